import { describe, expect, it } from 'vitest';
import { ATTESTATION_STORE_KEY } from '../../firmware-sim/ctap2/attestation.js';
import { Permission } from '../../host/fido2/index.js';
import { outcome, signatureValid } from './check.js';
import { AAGUID, hash, makeRig, RP, user } from './rig.js';

const cdh = hash('client data');

describe('authenticatorMakeCredential', () => {
  it('creates a non-discoverable ES256 credential with packed self attestation', async () => {
    const { client, store } = makeRig({ attestation: 'self' });
    const result = await client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) });
    expect(result.fmt).toBe('packed');
    expect([...result.attStmt.keys()].sort()).toEqual(['alg', 'sig']);
    expect(result.attStmt.get('alg')).toBe(-7);
    expect(
      signatureValid(result.publicKey, result.authenticatorData, cdh, result.attStmt.get('sig') as Uint8Array),
    ).toBe(true);
    const ad = result.parsedAuthenticatorData;
    expect(ad.rpIdHash).toEqual(hash(RP.id));
    expect(ad.flags.userPresent).toBe(true);
    expect(ad.flags.userVerified).toBe(false);
    expect(ad.attestedCredentialData?.aaguid).toEqual(AAGUID);
    expect(result.credentialId.length).toBe(63);
    // Non-discoverable: nothing per credential in flash.
    expect(store.keys('fido2/rk/')).toEqual([]);
  });

  it('makes a discoverable credential when rk and uv are set, flagging UV', async () => {
    const { client, store } = makeRig();
    const result = await client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(1),
      options: { rk: true, uv: true },
    });
    expect(result.parsedAuthenticatorData.flags.userVerified).toBe(true);
    expect(store.keys('fido2/rk/')).toHaveLength(1);
  });

  it('refuses a discoverable credential without any user verification', async () => {
    const { client } = makeRig();
    expect(
      await outcome(client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1), options: { rk: true } })),
    ).toBe('CTAP2_ERR_PUAT_REQUIRED');
  });

  it('overwrites the discoverable credential of the same user at the same RP', async () => {
    const { client, store } = makeRig();
    await client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1), options: { rk: true, uv: true } });
    const second = await client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: { ...user(1), name: 'renamed' },
      options: { rk: true, uv: true },
    });
    expect(store.keys('fido2/rk/')).toHaveLength(1);
    const [assertion] = await client.getAssertion({ rpId: RP.id, clientDataHash: cdh, options: { uv: true } });
    expect(assertion.credentialId).toEqual(second.credentialId);
    expect(assertion.user?.name).toBe('renamed');
  });

  it('answers CTAP2_ERR_CREDENTIAL_EXCLUDED after asking for a touch', async () => {
    const { client, band } = makeRig();
    const existing = await client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) });
    const touchesBefore = band.presenceLog.length;
    expect(
      await outcome(
        client.makeCredential({
          clientDataHash: cdh,
          rp: RP,
          user: user(2),
          excludeCredentials: [existing.credentialId],
        }),
      ),
    ).toBe('CTAP2_ERR_CREDENTIAL_EXCLUDED');
    expect(band.presenceLog.length).toBe(touchesBefore + 1);
    // The same ID excludes nothing at another RP: IDs are bound to their RP.
    expect(
      await outcome(
        client.makeCredential({
          clientDataHash: cdh,
          rp: { id: 'other.example' },
          user: user(2),
          excludeCredentials: [existing.credentialId],
        }),
      ),
    ).toBe('OK');
  });

  it('keeps a userVerificationRequired credential out of a non-UV excludeList check', async () => {
    const { client } = makeRig();
    const protectedCred = await client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(1),
      extensions: { credProtect: 3 },
    });
    expect(
      await outcome(
        client.makeCredential({
          clientDataHash: cdh,
          rp: RP,
          user: user(2),
          excludeCredentials: [protectedCred.credentialId],
        }),
      ),
    ).toBe('OK');
    expect(
      await outcome(
        client.makeCredential({
          clientDataHash: cdh,
          rp: RP,
          user: user(2),
          excludeCredentials: [protectedCred.credentialId],
          options: { uv: true },
        }),
      ),
    ).toBe('CTAP2_ERR_CREDENTIAL_EXCLUDED');
  });

  it('supports ES256 only', async () => {
    const { client } = makeRig();
    expect(
      await outcome(
        client.makeCredential({
          clientDataHash: cdh,
          rp: RP,
          user: user(1),
          pubKeyCredParams: [
            { type: 'public-key', alg: -8 },
            { type: 'public-key', alg: -257 },
          ],
        }),
      ),
    ).toBe('CTAP2_ERR_UNSUPPORTED_ALGORITHM');
    expect(
      await outcome(
        client.makeCredential({
          clientDataHash: cdh,
          rp: RP,
          user: user(1),
          pubKeyCredParams: [
            { type: 'public-key', alg: -8 },
            { type: 'public-key', alg: -7 },
          ],
        }),
      ),
    ).toBe('OK');
  });

  it('rejects up=false', async () => {
    const { client } = makeRig();
    expect(
      await outcome(client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1), options: { up: false } })),
    ).toBe('CTAP2_ERR_INVALID_OPTION');
  });

  it('maps a denied touch, a cancel and an unenrolled band to their codes', async () => {
    const rig = makeRig();
    rig.band.presenceAnswers.push(false);
    expect(await outcome(rig.client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) }))).toBe(
      'CTAP2_ERR_OPERATION_DENIED',
    );

    rig.band.presenceAnswers.push('wait-for-abort');
    const controller = new AbortController();
    const keepalives: number[] = [];
    const pending = outcome(
      rig.client.makeCredential(
        { clientDataHash: cdh, rp: RP, user: user(1) },
        { signal: controller.signal, onKeepalive: (s) => keepalives.push(s) },
      ),
    );
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort();
    expect(await pending).toBe('CTAP2_ERR_KEEPALIVE_CANCEL');
    expect(keepalives).toContain(2);

    rig.band.enrolled = false;
    expect(await outcome(rig.client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) }))).toBe(
      'CTAP2_ERR_OPERATION_DENIED',
    );
  });

  it('verifies UV from the wrist, and asks for the PIN when the band is off the wrist and a PIN is set', async () => {
    const rig = makeRig();
    rig.band.onWrist = false;
    expect(
      await outcome(rig.client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1), options: { uv: true } })),
    ).toBe('CTAP2_ERR_OPERATION_DENIED');
    await rig.client.clientPin.setPin('1234');
    expect(
      await outcome(rig.client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1), options: { uv: true } })),
    ).toBe('CTAP2_ERR_PUAT_REQUIRED');
    const token = await rig.client.clientPin.getPinToken('1234', {
      permissions: Permission.MAKE_CREDENTIAL,
      rpId: RP.id,
    });
    const made = await rig.client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(1),
      options: { rk: true },
      pinUvAuthToken: token,
    });
    expect(made.parsedAuthenticatorData.flags.userVerified).toBe(true);
  });

  it('reports CTAP2_ERR_KEY_STORE_FULL when discoverable slots run out', async () => {
    const { client } = makeRig({ maxResidentCredentials: 2 });
    await client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1), options: { rk: true, uv: true } });
    await client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(2), options: { rk: true, uv: true } });
    expect(
      await outcome(
        client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(3), options: { rk: true, uv: true } }),
      ),
    ).toBe('CTAP2_ERR_KEY_STORE_FULL');
    // Overwriting an existing account still fits, and non-discoverable credentials need no slot.
    expect(
      await outcome(
        client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(2), options: { rk: true, uv: true } }),
      ),
    ).toBe('OK');
    expect(await outcome(client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(3) }))).toBe('OK');
  });

  it('persists each credential in exactly one commit that also bumps the counter', async () => {
    const { client, store } = makeRig();
    const before = store.commits.length;
    await client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1), options: { rk: true, uv: true } });
    expect(store.commits.length).toBe(before + 1);
    const keys = Object.keys(store.commits.at(-1)?.put ?? {});
    expect(keys).toContain('fido2/sign-count');
    expect(keys.some((k) => k.startsWith('fido2/rk/'))).toBe(true);
    // FIDO2 state lives under fido2/ (what a wipe deletes); the one exception is the factory attestation identity,
    // made by the first batch attestation and written in the same commit.
    expect(keys).toContain(ATTESTATION_STORE_KEY);
    expect(store.keys().every((k) => k.startsWith('fido2/') || k === ATTESTATION_STORE_KEY)).toBe(true);
  });
});
