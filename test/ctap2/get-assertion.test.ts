import { describe, expect, it } from 'vitest';
import type { CborInput, MakeCredentialResult } from '../../host/fido2/index.js';
import { outcome, signatureValid } from './check.js';
import { ctapRequest, hash, makeRig, replyMap, RP, user } from './rig.js';

const cdh = hash('assertion client data');

describe('authenticatorGetAssertion', () => {
  it('signs with a non-discoverable credential named in the allowList', async () => {
    const { client } = makeRig();
    const made = await client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) });
    const [assertion, ...more] = await client.getAssertion({
      rpId: RP.id,
      clientDataHash: cdh,
      allowCredentials: [Uint8Array.of(1, 2, 3), made.credentialId],
    });
    expect(more).toEqual([]);
    expect(assertion.credentialId).toEqual(made.credentialId);
    expect(assertion.userHandle).toBeUndefined();
    expect(assertion.parsedAuthenticatorData.flags.userPresent).toBe(true);
    expect(signatureValid(made.publicKey, assertion.authenticatorData, cdh, assertion.signature)).toBe(true);
  });

  it('returns every discoverable credential of the RP, newest first, through getNextAssertion', async () => {
    const { client } = makeRig();
    const made: MakeCredentialResult[] = [];
    for (const n of [1, 2, 3])
      made.push(
        await client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(n), options: { rk: true, uv: true } }),
      );
    await client.makeCredential({
      clientDataHash: cdh,
      rp: { id: 'other.example' },
      user: user(9),
      options: { rk: true, uv: true },
    });
    const assertions = await client.getAssertion({ rpId: RP.id, clientDataHash: cdh });
    expect(assertions.map((a) => a.userHandle)).toEqual([user(3).id, user(2).id, user(1).id]);
    assertions.forEach((a, i) =>
      expect(signatureValid(made[2 - i].publicKey, a.authenticatorData, cdh, a.signature)).toBe(true),
    );
    // Without UV the names stay on the band.
    expect(assertions.every((a) => a.user?.name === undefined && a.user?.displayName === undefined)).toBe(true);
    const counters = assertions.map((a) => a.parsedAuthenticatorData.signCount);
    expect(counters[1]).toBeGreaterThan(counters[0]);
    expect(counters[2]).toBeGreaterThan(counters[1]);
  });

  it('reports numberOfCredentials only on the first response and names users after UV', async () => {
    const { client, raw } = makeRig();
    for (const n of [1, 2])
      await client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(n), options: { rk: true, uv: true } });
    const reply = await raw(
      ctapRequest(
        0x02,
        new Map<number, CborInput>([
          [1, RP.id],
          [2, cdh],
          [5, { uv: true }],
        ]),
      ),
    );
    const first = replyMap(reply);
    expect(first.get(5)).toBe(2);
    expect((first.get(4) as Map<string, CborInput>).get('name')).toBe('user2@example.com');
    const next = await raw(Uint8Array.of(0x08));
    const second = replyMap(next);
    expect(second.has(5)).toBe(false);
    expect(await raw(Uint8Array.of(0x08))).toEqual(Uint8Array.of(0x30));
  });

  it('refuses getNextAssertion without a preceding getAssertion, or after another command', async () => {
    const { client, raw } = makeRig();
    expect(await raw(Uint8Array.of(0x08))).toEqual(Uint8Array.of(0x30));
    for (const n of [1, 2])
      await client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(n), options: { rk: true, uv: true } });
    const reply = await raw(
      ctapRequest(
        0x02,
        new Map<number, CborInput>([
          [1, RP.id],
          [2, cdh],
        ]),
      ),
    );
    expect(reply[0]).toBe(0);
    await client.getInfo();
    expect(await raw(Uint8Array.of(0x08))).toEqual(Uint8Array.of(0x30));
  });

  it('expires getNextAssertion 30 s after the last assertion', async () => {
    const { client, raw, band } = makeRig();
    for (const n of [1, 2])
      await client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(n), options: { rk: true, uv: true } });
    await raw(
      ctapRequest(
        0x02,
        new Map<number, CborInput>([
          [1, RP.id],
          [2, cdh],
        ]),
      ),
    );
    band.clock += 30_000;
    expect(await raw(Uint8Array.of(0x08))).toEqual(Uint8Array.of(0x30));
  });

  it('answers CTAP2_ERR_NO_CREDENTIALS for unknown RPs and foreign credential IDs', async () => {
    const { client } = makeRig();
    const made = await client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) });
    expect(await outcome(client.getAssertion({ rpId: RP.id, clientDataHash: cdh }))).toBe('CTAP2_ERR_NO_CREDENTIALS');
    expect(
      await outcome(
        client.getAssertion({ rpId: 'evil.example', clientDataHash: cdh, allowCredentials: [made.credentialId] }),
      ),
    ).toBe('CTAP2_ERR_NO_CREDENTIALS');
    const tampered = made.credentialId.slice();
    tampered[20] ^= 1;
    expect(await outcome(client.getAssertion({ rpId: RP.id, clientDataHash: cdh, allowCredentials: [tampered] }))).toBe(
      'CTAP2_ERR_NO_CREDENTIALS',
    );
  });

  it('a credential that has signed is still refused for another RP, and ends with a reset', async () => {
    const { client, band } = makeRig();
    const made = await client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) });
    const allowCredentials = [made.credentialId];
    for (let i = 0; i < 2; i++) {
      const [assertion] = await client.getAssertion({ rpId: RP.id, clientDataHash: cdh, allowCredentials });
      expect(signatureValid(made.publicKey, assertion.authenticatorData, cdh, assertion.signature)).toBe(true);
    }
    expect(await outcome(client.getAssertion({ rpId: 'evil.example', clientDataHash: cdh, allowCredentials }))).toBe(
      'CTAP2_ERR_NO_CREDENTIALS',
    );
    band.clock += 10_000;
    await client.reset();
    expect(await outcome(client.getAssertion({ rpId: RP.id, clientDataHash: cdh, allowCredentials }))).toBe(
      'CTAP2_ERR_NO_CREDENTIALS',
    );
  });

  it('signs silently with up=false, leaving the UP flag clear and asking for no touch', async () => {
    const { client, band } = makeRig();
    const made = await client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) });
    const touches = band.presenceLog.length;
    const [assertion] = await client.getAssertion({
      rpId: RP.id,
      clientDataHash: cdh,
      allowCredentials: [made.credentialId],
      options: { up: false },
    });
    expect(assertion.parsedAuthenticatorData.flags.userPresent).toBe(false);
    expect(band.presenceLog.length).toBe(touches);
  });

  it('refuses the rk option and an unenrolled band', async () => {
    const rig = makeRig();
    const made = await rig.client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) });
    const request = (options: CborInput) =>
      rig.raw(
        ctapRequest(
          0x02,
          new Map<number, CborInput>([
            [1, RP.id],
            [2, cdh],
            [3, [{ id: made.credentialId, type: 'public-key' }]],
            [5, options],
          ]),
        ),
      );
    expect(await request({ rk: true })).toEqual(Uint8Array.of(0x2b));
    rig.band.enrolled = false;
    expect(
      await outcome(
        rig.client.getAssertion({ rpId: RP.id, clientDataHash: cdh, allowCredentials: [made.credentialId] }),
      ),
    ).toBe('CTAP2_ERR_OPERATION_DENIED');
  });
});
