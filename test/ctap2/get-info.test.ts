import { describe, expect, it } from 'vitest';
import { AAGUID, hash, makeRig, RP, user } from './rig.js';

describe('authenticatorGetInfo', () => {
  it('describes a CTAP 2.1 band with ES256, both PIN protocols and its extensions', async () => {
    const { client } = makeRig({ maxResidentCredentials: 10 });
    const info = await client.getInfo();
    expect(info.versions).toEqual(['U2F_V2', 'FIDO_2_0', 'FIDO_2_1']);
    expect(info.extensions).toEqual(['credProtect', 'hmac-secret', 'credBlob', 'minPinLength', 'largeBlobKey']);
    expect(info.aaguid).toEqual(AAGUID);
    expect(info.maxMsgSize).toBe(7609);
    expect(info.maxCredBlobLength).toBe(32);
    expect(info.maxSerializedLargeBlobArray).toBe(4096);
    expect(info.pinUvAuthProtocols).toEqual([2, 1]);
    expect(info.algorithms).toEqual([{ type: 'public-key', alg: -7 }]);
    expect(info.maxCredentialIdLength).toBe(63);
    expect(info.minPinLength).toBe(4);
    expect(info.firmwareVersion).toBe(7);
    expect(info.options).toEqual({
      rk: true,
      up: true,
      uv: true,
      clientPin: false,
      pinUvAuthToken: true,
      credMgmt: true,
      makeCredUvNotRqd: true,
      authnrCfg: true,
      alwaysUv: false,
      setMinPINLength: true,
      largeBlobs: true,
    });
    expect(info.remainingDiscoverableCredentials).toBe(10);
    await client.makeCredential({ clientDataHash: hash('i'), rp: RP, user: user(1), options: { rk: true, uv: true } });
    expect((await client.getInfo()).remainingDiscoverableCredentials).toBe(9);
  });

  it('reports uv false once the band holds no enrolled user', async () => {
    const { client, band } = makeRig();
    band.enrolled = false;
    expect((await client.getInfo()).options.uv).toBe(false);
  });
});
