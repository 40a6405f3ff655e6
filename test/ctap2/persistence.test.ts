import { ATTESTATION_STORE_KEY } from '../../firmware-sim/ctap2/attestation.js';
import { PowerCutError } from '../../firmware-sim/flash-errors.js';
import { describe, expect, it } from 'vitest';
import { Permission, type MakeCredentialResult } from '../../host/fido2/index.js';
import { containsPrivateKeyOf, outcome, signatureValid } from './check.js';
import { hash, makeRig, RP, user } from './rig.js';

const cdh = hash('persistence client data');

describe('persistence', () => {
  it('increases the signature counter and keeps it across a new authenticator on the same store', async () => {
    const rig = makeRig();
    const made = await rig.client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) });
    const count = async (client: typeof rig.client) =>
      (await client.getAssertion({ rpId: RP.id, clientDataHash: cdh, allowCredentials: [made.credentialId] }))[0]
        .parsedAuthenticatorData.signCount;
    const c1 = await count(rig.client);
    const c2 = await count(rig.client);
    expect(c1).toBeGreaterThan(made.parsedAuthenticatorData.signCount);
    expect(c2).toBeGreaterThan(c1);
    const rebooted = rig.reboot();
    const c3 = await count(rebooted.client);
    expect(c3).toBeGreaterThan(c2);
    // The credential made before the reboot still signs validly.
    const [assertion] = await rebooted.client.getAssertion({
      rpId: RP.id,
      clientDataHash: cdh,
      allowCredentials: [made.credentialId],
    });
    expect(signatureValid(made.publicKey, assertion.authenticatorData, cdh, assertion.signature)).toBe(true);
  });

  it('ends every earlier credential, resident or not, when the fido2/ keys are deleted', async () => {
    const rig = makeRig();
    await rig.client.clientPin.setPin('1234');
    const made: MakeCredentialResult[] = [];
    made.push(await rig.client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) }));
    made.push(
      await rig.client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(2), options: { rk: true, uv: true } }),
    );
    made.push(
      await rig.client.makeCredential({
        clientDataHash: cdh,
        rp: RP,
        user: user(3),
        options: { rk: true, uv: true },
        extensions: { credProtect: 3 },
      }),
    );
    const ga = await rig.client.clientPin.getPinToken('1234', { permissions: Permission.GET_ASSERTION, rpId: RP.id });

    // The band's "delete user data": one commit that drops every fido2/ key, behind the authenticator's back.
    rig.store.commit({ delPrefix: ['fido2/'] });

    for (const credential of made) {
      expect(
        await outcome(
          rig.client.getAssertion({
            rpId: RP.id,
            clientDataHash: cdh,
            allowCredentials: [credential.credentialId],
            options: { uv: true },
          }),
        ),
      ).toBe('CTAP2_ERR_NO_CREDENTIALS');
    }
    expect(await outcome(rig.client.getAssertion({ rpId: RP.id, clientDataHash: cdh, options: { uv: true } }))).toBe(
      'CTAP2_ERR_NO_CREDENTIALS',
    );
    // The token from before the wipe is dead too, and so is the PIN.
    expect(
      await outcome(
        rig.client.getAssertion({
          rpId: RP.id,
          clientDataHash: cdh,
          allowCredentials: [made[0].credentialId],
          pinUvAuthToken: ga,
        }),
      ),
    ).toBe('CTAP2_ERR_PIN_AUTH_INVALID');
    expect((await rig.client.getInfo()).options.clientPin).toBe(false);

    // Re-enrollment: new credentials work, old ones stay dead (a new master secret).
    const fresh = await rig.client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) });
    expect(
      await outcome(
        rig.client.getAssertion({ rpId: RP.id, clientDataHash: cdh, allowCredentials: [fresh.credentialId] }),
      ),
    ).toBe('OK');
    expect(
      await outcome(
        rig.client.getAssertion({ rpId: RP.id, clientDataHash: cdh, allowCredentials: [made[0].credentialId] }),
      ),
    ).toBe('CTAP2_ERR_NO_CREDENTIALS');
  });

  it('keeps all state under fido2/ (but the factory attestation identity), and neither flash nor any reply holds a private key in the clear', async () => {
    const rig = makeRig();
    await rig.client.clientPin.setPin('1234');
    const made = await rig.client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(1),
      options: { rk: true, uv: true },
    });
    const [assertion] = await rig.client.getAssertion({ rpId: RP.id, clientDataHash: cdh, options: { uv: true } });
    const snapshot = rig.store.snapshot();
    // The factory attestation identity (batch attestation) is the one key outside fido2/, so a wipe leaves it.
    expect([...snapshot.keys()].every((k) => k.startsWith('fido2/') || k === ATTESTATION_STORE_KEY)).toBe(true);
    for (const value of [
      ...snapshot.values(),
      made.attestationObject,
      assertion.authenticatorData,
      assertion.signature,
      assertion.credentialId,
    ]) {
      expect(containsPrivateKeyOf(value, made.publicKey)).toBe(false);
    }
  });

  it('survives a power cut during a commit: the reply never comes, and the old state stays whole', async () => {
    const rig = makeRig();
    const made = await rig.client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) });
    const before = rig.store.snapshot();
    const cut = new PowerCutError(1, 'lost');
    rig.store.failNextCommit = cut;
    await expect(
      rig.client.getAssertion({ rpId: RP.id, clientDataHash: cdh, allowCredentials: [made.credentialId] }),
    ).rejects.toBe(cut);
    expect(rig.store.snapshot()).toEqual(before);
    const rebooted = rig.reboot();
    expect(
      await outcome(
        rebooted.client.getAssertion({ rpId: RP.id, clientDataHash: cdh, allowCredentials: [made.credentialId] }),
      ),
    ).toBe('OK');
  });
});
