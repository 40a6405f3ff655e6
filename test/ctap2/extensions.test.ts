import { describe, expect, it } from 'vitest';
import { outcome } from './check.js';
import { hash, makeRig, RP, user } from './rig.js';

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
