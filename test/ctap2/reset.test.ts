import { describe, expect, it } from 'vitest';
import { Ctap2Authenticator } from '../../firmware-sim/ctap2/index.js';
import { Permission } from '../../host/fido2/index.js';
import { outcome } from './check.js';
import { AAGUID, FakeBand, hash, makeRig, RP, user } from './rig.js';
import { MemoryFlashStore } from './memory-store.js';

const cdh = hash('reset client data');

describe('authenticatorReset', () => {
  it('erases credentials and the PIN within 10 s of power-up, after a touch', async () => {
    const { client, band, store } = makeRig();
    await client.clientPin.setPin('1234');
    const token = await client.clientPin.getPinToken('1234', { permissions: Permission.MAKE_CREDENTIAL, rpId: RP.id });
    const made = await client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(1),
      options: { rk: true },
      pinUvAuthToken: token,
    });
    const cm = await client.clientPin.getPinToken('1234', { permissions: Permission.CREDENTIAL_MANAGEMENT });
    band.clock += 10_000;
    await client.reset();
    expect(band.presenceLog.at(-1)?.purpose).toBe('reset');
    expect(store.keys('fido2/')).toEqual([]);
    expect((await client.getInfo()).options.clientPin).toBe(false);
    expect(
      await outcome(client.getAssertion({ rpId: RP.id, clientDataHash: cdh, allowCredentials: [made.credentialId] })),
    ).toBe('CTAP2_ERR_NO_CREDENTIALS');
    // Tokens issued before the reset are dead.
    expect(await outcome(client.credentialManagement.metadata(cm))).toBe('CTAP2_ERR_PIN_AUTH_INVALID');
  });

  it('is refused more than 10 s after power-up, and before any power-up', async () => {
    const rig = makeRig();
    await rig.client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) });
    rig.band.clock += 10_001;
    expect(await outcome(rig.client.reset())).toBe('CTAP2_ERR_NOT_ALLOWED');
    expect(rig.store.keys('fido2/').length).toBeGreaterThan(0);
    const rebooted = rig.reboot();
    expect(await outcome(rebooted.client.reset())).toBe('OK');

    const store = new MemoryFlashStore();
    const band = new FakeBand(store, 'no power-up');
    const never = new Ctap2Authenticator(band, { aaguid: AAGUID, firmwareVersion: 1 });
    expect(
      await never.handle(Uint8Array.of(0x07), { signal: new AbortController().signal, keepalive: () => {} }),
    ).toEqual(Uint8Array.of(0x30));
  });

  it('needs the touch: a denial and a timeout leave everything in place', async () => {
    const { client, band, store } = makeRig();
    await client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) });
    band.presenceAnswers.push(false, 'timeout');
    expect(await outcome(client.reset())).toBe('CTAP2_ERR_OPERATION_DENIED');
    expect(await outcome(client.reset())).toBe('CTAP2_ERR_USER_ACTION_TIMEOUT');
    expect(store.keys('fido2/').length).toBeGreaterThan(0);
  });
});
