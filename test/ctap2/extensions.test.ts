import { describe, expect, it } from 'vitest';
import { Fido2Store } from '../../firmware-sim/ctap2/fido2-store.js';
import { CtapStatus, Permission, type CborInput } from '../../host/fido2/index.js';
import { MAX_CRED_BLOB_LENGTH } from '../../proto/limits.js';
import { outcome } from './check.js';
import { ctapRequest, hash, makeRig, RP, user } from './rig.js';

const cdh = hash('extensions client data');
const salt1 = new Uint8Array(32).fill(0x11);
const salt2 = new Uint8Array(32).fill(0x22);

describe('credProtect', () => {
  it('returns the level it stored, and hides credentials from requests without UV as the level asks', async () => {
    const { client } = makeRig();
    const made = [];
    for (const level of [1, 2, 3] as const) {
      const result = await client.makeCredential({
        clientDataHash: cdh,
        rp: RP,
        user: user(level),
        options: { rk: true, uv: true },
        extensions: { credProtect: level },
      });
      expect(result.extensions.credProtect).toBe(level);
      made.push(result);
    }
    // No UV, no allowList: only level 1.
    expect((await client.getAssertion({ rpId: RP.id, clientDataHash: cdh })).map((a) => a.userHandle)).toEqual([
      user(1).id,
    ]);
    // No UV, allowList: levels 1 and 2.
    expect(
      await outcome(
        client.getAssertion({ rpId: RP.id, clientDataHash: cdh, allowCredentials: [made[1].credentialId] }),
      ),
    ).toBe('OK');
    expect(
      await outcome(
        client.getAssertion({ rpId: RP.id, clientDataHash: cdh, allowCredentials: [made[2].credentialId] }),
      ),
    ).toBe('CTAP2_ERR_NO_CREDENTIALS');
    // UV: everything.
    expect(
      (await client.getAssertion({ rpId: RP.id, clientDataHash: cdh, options: { uv: true } })).map((a) => a.userHandle),
    ).toEqual([user(3).id, user(2).id, user(1).id]);
  });

  it('protects non-discoverable credentials too, and emits no unsolicited output', async () => {
    const { client } = makeRig();
    const plain = await client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) });
    expect(plain.parsedAuthenticatorData.flags.extensionData).toBe(false);
    const strict = await client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(2),
      extensions: { credProtect: 3 },
    });
    expect(
      await outcome(client.getAssertion({ rpId: RP.id, clientDataHash: cdh, allowCredentials: [strict.credentialId] })),
    ).toBe('CTAP2_ERR_NO_CREDENTIALS');
    expect(
      await outcome(
        client.getAssertion({
          rpId: RP.id,
          clientDataHash: cdh,
          allowCredentials: [strict.credentialId],
          options: { uv: true },
        }),
      ),
    ).toBe('OK');
  });
});

describe('hmac-secret', () => {
  it('derives stable per-credential secrets, different with and without UV, the same under both protocols', async () => {
    const { client } = makeRig();
    const a = await client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(1),
      extensions: { hmacSecret: true },
    });
    const b = await client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(2),
      extensions: { hmacSecret: true },
    });
    expect(a.extensions.hmacSecret).toBe(true);
    const secret = async (id: Uint8Array, protocol: 1 | 2, uv: boolean, withSalt2 = false) => {
      const [assertion] = await client.getAssertion({
        rpId: RP.id,
        clientDataHash: cdh,
        allowCredentials: [id],
        options: { uv },
        extensions: { hmacSecret: { salt1, ...(withSalt2 ? { salt2 } : {}), protocol } },
      });
      expect(assertion.parsedAuthenticatorData.flags.extensionData).toBe(true);
      return assertion.extensions.hmacSecret;
    };
    const first = await secret(a.credentialId, 2, false);
    expect(first?.output1).toHaveLength(32);
    expect((await secret(a.credentialId, 2, false))?.output1).toEqual(first?.output1);
    expect((await secret(a.credentialId, 1, false))?.output1).toEqual(first?.output1);
    expect((await secret(a.credentialId, 2, true))?.output1).not.toEqual(first?.output1);
    expect((await secret(b.credentialId, 2, false))?.output1).not.toEqual(first?.output1);
    const both = await secret(a.credentialId, 1, false, true);
    expect(both?.output1).toEqual(first?.output1);
    expect(both?.output2).toHaveLength(32);
    expect(both?.output2).not.toEqual(first?.output1);
  });

  it('refuses up=false with hmac-secret', async () => {
    const { client } = makeRig();
    const a = await client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(1),
      extensions: { hmacSecret: true },
    });
    expect(
      await outcome(
        client.getAssertion({
          rpId: RP.id,
          clientDataHash: cdh,
          allowCredentials: [a.credentialId],
          options: { up: false },
          extensions: { hmacSecret: { salt1 } },
        }),
      ),
    ).toBe('CTAP2_ERR_UNSUPPORTED_OPTION');
  });
});

describe('credBlob', () => {
  const blob = new Uint8Array(MAX_CRED_BLOB_LENGTH).map((_, i) => i * 7);

  it('stores a blob with a discoverable credential and returns it on getAssertion when asked, also after a reboot', async () => {
    const rig = makeRig();
    const made = await rig.client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(1),
      options: { rk: true, uv: true },
      extensions: { credBlob: blob },
    });
    expect(made.extensions).toEqual({ credBlob: true });
    const [asked] = await rig.client.getAssertion({ rpId: RP.id, clientDataHash: cdh, extensions: { credBlob: true } });
    expect(asked.extensions.credBlob).toEqual(blob);
    const [notAsked] = await rig.client.getAssertion({ rpId: RP.id, clientDataHash: cdh });
    expect(notAsked.extensions).toEqual({});
    expect(notAsked.parsedAuthenticatorData.flags.extensionData).toBe(false);
    const rebooted = rig.reboot();
    const [again] = await rebooted.client.getAssertion({
      rpId: RP.id,
      clientDataHash: cdh,
      allowCredentials: [made.credentialId],
      extensions: { credBlob: true },
    });
    expect(again.extensions.credBlob).toEqual(blob);
  });

  it('keeps the blob when credentialManagement updates the user', async () => {
    const { client } = makeRig();
    const made = await client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(1),
      options: { rk: true, uv: true },
      extensions: { credBlob: blob },
    });
    await client.clientPin.setPin('1234');
    const token = await client.clientPin.getPinToken('1234', { permissions: Permission.CREDENTIAL_MANAGEMENT });
    await client.credentialManagement.updateUser(token, made.credentialId, { ...user(1), displayName: 'Renamed' });
    const [assertion] = await client.getAssertion({ rpId: RP.id, clientDataHash: cdh, extensions: { credBlob: true } });
    expect(assertion.extensions.credBlob).toEqual(blob);
  });

  it('answers false for a non-discoverable credential or a blob over maxCredBlobLength, and an empty blob for those', async () => {
    const { client } = makeRig();
    const plain = await client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(1),
      extensions: { credBlob: blob },
    });
    expect(plain.extensions).toEqual({ credBlob: false });
    const tooLong = await client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(2),
      options: { rk: true, uv: true },
      extensions: { credBlob: new Uint8Array(MAX_CRED_BLOB_LENGTH + 1) },
    });
    expect(tooLong.extensions).toEqual({ credBlob: false });
    for (const made of [plain, tooLong]) {
      const [assertion] = await client.getAssertion({
        rpId: RP.id,
        clientDataHash: cdh,
        allowCredentials: [made.credentialId],
        extensions: { credBlob: true },
      });
      expect(assertion.extensions.credBlob).toEqual(new Uint8Array(0));
    }
  });

  it('refuses an input of the wrong CBOR type', async () => {
    const { raw } = makeRig();
    const params = new Map<number, CborInput>([
      [1, cdh],
      [2, RP],
      [3, user(1)],
      [4, [{ type: 'public-key', alg: -7 }]],
      [6, { credBlob: true }],
    ]);
    expect((await raw(ctapRequest(0x01, params)))[0]).toBe(CtapStatus.CTAP2_ERR_CBOR_UNEXPECTED_TYPE);
  });
});

describe('minPinLength', () => {
  it('tells no RP the minimum PIN length while the RP-ID list is empty (the default)', async () => {
    const { client } = makeRig();
    const made = await client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(1),
      extensions: { minPinLength: true },
    });
    expect(made.extensions).toEqual({});
    expect(made.parsedAuthenticatorData.flags.extensionData).toBe(false);
  });

  it('tells the RPs on the list setMinPINLength keeps, the current minimum, which also governs new PINs', async () => {
    const rig = makeRig();
    // What authenticatorConfig setMinPINLength writes (CTAP 2.1 §6.11.4): the list and a new minimum.
    rig.store.commit({
      put: { ...Fido2Store.minPinLengthRpIdsPut([RP.id]), ...Fido2Store.minPinLengthPut(6) },
    });
    const listed = await rig.client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(1),
      extensions: { minPinLength: true },
    });
    expect(listed.extensions).toEqual({ minPinLength: 6 });
    const other = await rig.client.makeCredential({
      clientDataHash: cdh,
      rp: { id: 'other.example' },
      user: user(1),
      extensions: { minPinLength: true },
    });
    expect(other.extensions).toEqual({});
    expect((await rig.client.getInfo()).minPinLength).toBe(6);
    expect(await outcome(rig.client.clientPin.setPin('12345'))).toBe('CTAP2_ERR_PIN_POLICY_VIOLATION');
    expect(await outcome(rig.client.clientPin.setPin('123456'))).toBe('OK');
  });
});
