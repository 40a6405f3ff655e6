import { describe, expect, it } from 'vitest';
import { Permission, type CborInput } from '../../host/fido2/index.js';
import { outcome } from './check.js';
import { ctapRequest, hash, makeRig, RP, user, type Rig } from './rig.js';

const cdh = hash('cm client data');

async function populated(): Promise<Rig> {
  const rig = makeRig();
  await rig.client.clientPin.setPin('1234');
  for (const [rp, n] of [
    [RP.id, 1],
    [RP.id, 2],
    ['b.example', 3],
  ] as const) {
    const token = await rig.client.clientPin.getPinToken('1234', { permissions: Permission.MAKE_CREDENTIAL, rpId: rp });
    await rig.client.makeCredential({
      clientDataHash: cdh,
      rp: { id: rp },
      user: user(n),
      options: { rk: true },
      pinUvAuthToken: token,
      extensions: n === 2 ? { credProtect: 2 } : undefined,
    });
  }
  return rig;
}

describe('authenticatorCredentialManagement', () => {
  it('reports metadata, RPs and credentials', async () => {
    const { client } = await populated();
    const cm = await client.clientPin.getPinToken('1234', { permissions: Permission.CREDENTIAL_MANAGEMENT });
    expect(await client.credentialManagement.metadata(cm)).toEqual({
      existingResidentCredentialsCount: 3,
      maxPossibleRemainingResidentCredentialsCount: 47,
    });
    const rps = await client.credentialManagement.rps(cm);
    expect(rps.map((r) => r.rp.id)).toEqual(['b.example', RP.id]);
    expect(rps[1].rpIdHash).toEqual(hash(RP.id));
    const creds = await client.credentialManagement.credentials(cm, RP.id);
    expect(creds.map((c) => c.user.name)).toEqual(['user2@example.com', 'user1@example.com']);
    expect(creds.map((c) => c.credProtect)).toEqual([2, 1]);
    expect(await client.credentialManagement.credentials(cm, 'nobody.example')).toEqual([]);
  });

  it('deletes a credential, which then no longer signs', async () => {
    const { client } = await populated();
    const cm = await client.clientPin.getPinToken('1234', { permissions: Permission.CREDENTIAL_MANAGEMENT });
    const [victim] = await client.credentialManagement.credentials(cm, 'b.example');
    await client.credentialManagement.delete(cm, victim.credentialId);
    expect(await client.credentialManagement.rps(cm)).toHaveLength(1);
    expect(await outcome(client.credentialManagement.delete(cm, victim.credentialId))).toBe('CTAP2_ERR_NO_CREDENTIALS');
    // A new token replaces the cm token.
    const ga = await client.clientPin.getPinToken('1234', { permissions: Permission.GET_ASSERTION, rpId: 'b.example' });
    expect(
      await outcome(
        client.getAssertion({
          rpId: 'b.example',
          clientDataHash: cdh,
          allowCredentials: [victim.credentialId],
          pinUvAuthToken: ga,
        }),
      ),
    ).toBe('CTAP2_ERR_NO_CREDENTIALS');
    expect(await outcome(client.credentialManagement.metadata(cm))).toBe('CTAP2_ERR_PIN_AUTH_INVALID');
  });

  it('updates user names but not the user id', async () => {
    const { client } = await populated();
    const cm = await client.clientPin.getPinToken('1234', { permissions: Permission.CREDENTIAL_MANAGEMENT });
    const [cred] = await client.credentialManagement.credentials(cm, 'b.example');
    await client.credentialManagement.updateUser(cm, cred.credentialId, { id: cred.user.id, name: 'new name' });
    const [updated] = await client.credentialManagement.credentials(cm, 'b.example');
    expect(updated.user).toEqual({ id: cred.user.id, name: 'new name' });
    expect(await outcome(client.credentialManagement.updateUser(cm, cred.credentialId, { id: Uint8Array.of(9) }))).toBe(
      'CTAP1_ERR_INVALID_PARAMETER',
    );
  });

  it('needs a token with the cm permission, and honours its RP binding', async () => {
    const { client, raw } = await populated();
    expect(await raw(ctapRequest(0x0a, new Map<number, CborInput>([[1, 1]])))).toEqual(Uint8Array.of(0x36));
    const mc = await client.clientPin.getPinToken('1234', { permissions: Permission.MAKE_CREDENTIAL, rpId: RP.id });
    expect(await outcome(client.credentialManagement.metadata(mc))).toBe('CTAP2_ERR_PIN_AUTH_INVALID');
    const scoped = await client.clientPin.getPinToken('1234', {
      permissions: Permission.CREDENTIAL_MANAGEMENT,
      rpId: RP.id,
    });
    expect(await outcome(client.credentialManagement.metadata(scoped))).toBe('CTAP2_ERR_PIN_AUTH_INVALID');
    expect(await client.credentialManagement.credentials(scoped, RP.id)).toHaveLength(2);
    expect(await outcome(client.credentialManagement.credentials(scoped, 'b.example'))).toBe(
      'CTAP2_ERR_PIN_AUTH_INVALID',
    );
  });

  it('refuses GetNextRP / GetNextCredential outside an enumeration', async () => {
    const { client, raw } = await populated();
    expect(await raw(ctapRequest(0x0a, new Map<number, CborInput>([[1, 3]])))).toEqual(Uint8Array.of(0x30));
    expect(await raw(ctapRequest(0x0a, new Map<number, CborInput>([[1, 5]])))).toEqual(Uint8Array.of(0x30));
    const cm = await client.clientPin.getPinToken('1234', { permissions: Permission.CREDENTIAL_MANAGEMENT });
    await client.credentialManagement.rps(cm);
    // The enumeration is finished; there is no next RP.
    expect(await raw(ctapRequest(0x0a, new Map<number, CborInput>([[1, 3]])))).toEqual(Uint8Array.of(0x30));
  });
});
