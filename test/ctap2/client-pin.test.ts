import { describe, expect, it } from 'vitest';
import { Permission, type CborInput } from '../../host/fido2/index.js';
import { outcome } from './check.js';
import { ctapRequest, hash, makeRig, RP, user } from './rig.js';

const cdh = hash('pin client data');

describe('authenticatorClientPIN', () => {
  it.each([1, 2] as const)('sets and changes a PIN and issues tokens under protocol %i', async (protocol) => {
    const { client } = makeRig();
    expect((await client.getInfo()).options.clientPin).toBe(false);
    await client.clientPin.setPin('1234', { protocol });
    expect((await client.getInfo()).options.clientPin).toBe(true);
    expect(await client.clientPin.getRetries()).toEqual({ retries: 8, powerCycleState: false });
    await client.clientPin.changePin('1234', 'correct horse', { protocol });
    expect(await outcome(client.clientPin.getPinToken('1234', { protocol }))).toBe('CTAP2_ERR_PIN_INVALID');
    const token = await client.clientPin.getPinToken('correct horse', {
      protocol,
      permissions: Permission.MAKE_CREDENTIAL,
      rpId: RP.id,
    });
    const made = await client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(1),
      options: { rk: true },
      pinUvAuthToken: token,
    });
    expect(made.parsedAuthenticatorData.flags.userVerified).toBe(true);
  });

  it('refuses a second setPIN, short PINs and changePIN without a PIN', async () => {
    const { client } = makeRig();
    expect(await outcome(client.clientPin.changePin('1234', '5678'))).toBe('CTAP2_ERR_PIN_NOT_SET');
    expect(await outcome(client.clientPin.setPin('123'))).toBe('CTAP2_ERR_PIN_POLICY_VIOLATION');
    expect(await outcome(client.clientPin.getPinToken('1234'))).toBe('CTAP2_ERR_PIN_NOT_SET');
    await client.clientPin.setPin('1234');
    expect(await outcome(client.clientPin.setPin('5678'))).toBe('CTAP2_ERR_PIN_AUTH_INVALID');
    expect(await outcome(client.clientPin.changePin('1234', 'abc'))).toBe('CTAP2_ERR_PIN_POLICY_VIOLATION');
  });

  it('counts retries, blocks after three mismatches per power-up and locks at zero', async () => {
    const rig = makeRig();
    await rig.client.clientPin.setPin('1234');
    const wrong = () => outcome(rig.client.clientPin.getPinToken('0000'));
    expect(await wrong()).toBe('CTAP2_ERR_PIN_INVALID');
    expect(await wrong()).toBe('CTAP2_ERR_PIN_INVALID');
    expect(await wrong()).toBe('CTAP2_ERR_PIN_AUTH_BLOCKED');
    // Blocked even for the right PIN, and no retry is spent while blocked.
    expect(await outcome(rig.client.clientPin.getPinToken('1234'))).toBe('CTAP2_ERR_PIN_AUTH_BLOCKED');
    expect(await rig.client.clientPin.getRetries()).toEqual({ retries: 5, powerCycleState: true });
    // The count survives a reboot (it is in flash); the 3-mismatch block does not.
    let current = rig.reboot();
    expect(await current.client.clientPin.getRetries()).toEqual({ retries: 5, powerCycleState: false });
    // A correct PIN restores the full count.
    await current.client.clientPin.getPinToken('1234');
    expect((await current.client.clientPin.getRetries()).retries).toBe(8);
    const results: string[] = [];
    for (let attempt = 0; attempt < 8; attempt++) {
      if (attempt > 0 && attempt % 3 === 0) current = current.reboot();
      results.push(await outcome(current.client.clientPin.getPinToken('0000')));
    }
    expect(results).toEqual([
      'CTAP2_ERR_PIN_INVALID',
      'CTAP2_ERR_PIN_INVALID',
      'CTAP2_ERR_PIN_AUTH_BLOCKED',
      'CTAP2_ERR_PIN_INVALID',
      'CTAP2_ERR_PIN_INVALID',
      'CTAP2_ERR_PIN_AUTH_BLOCKED',
      'CTAP2_ERR_PIN_INVALID',
      'CTAP2_ERR_PIN_BLOCKED',
    ]);
    current = current.reboot();
    expect(await outcome(current.client.clientPin.getPinToken('1234'))).toBe('CTAP2_ERR_PIN_BLOCKED');
    expect((await current.client.clientPin.getRetries()).retries).toBe(0);
  });

  it('enforces token permissions and the RP binding', async () => {
    const { client } = makeRig();
    await client.clientPin.setPin('1234');
    const gaOnly = await client.clientPin.getPinToken('1234', { permissions: Permission.GET_ASSERTION, rpId: RP.id });
    expect(
      await outcome(client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1), pinUvAuthToken: gaOnly })),
    ).toBe('CTAP2_ERR_PIN_AUTH_INVALID');
    const otherRp = await client.clientPin.getPinToken('1234', {
      permissions: Permission.MAKE_CREDENTIAL,
      rpId: 'other.example',
    });
    expect(
      await outcome(client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1), pinUvAuthToken: otherRp })),
    ).toBe('CTAP2_ERR_PIN_AUTH_INVALID');
    expect(await outcome(client.clientPin.getPinToken('1234', { permissions: Permission.MAKE_CREDENTIAL }))).toBe(
      'CTAP1_ERR_INVALID_PARAMETER',
    );
    expect(await outcome(client.clientPin.getPinToken('1234', { permissions: 0 }))).toBe('CTAP1_ERR_INVALID_PARAMETER');
    expect(await outcome(client.clientPin.getPinToken('1234', { permissions: Permission.BIO_ENROLLMENT }))).toBe(
      'CTAP2_ERR_UNAUTHORIZED_PERMISSION',
    );
    // Refused permission requests spend no PIN retry.
    expect((await client.clientPin.getRetries()).retries).toBe(8);
  });

  it('consumes a token with its first ceremony, and ends it after 10 minutes or unused after 30 s', async () => {
    const { client, band } = makeRig();
    await client.clientPin.setPin('1234');
    const token = await client.clientPin.getPinToken('1234', {
      permissions: Permission.MAKE_CREDENTIAL | Permission.GET_ASSERTION,
      rpId: RP.id,
    });
    await client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1), pinUvAuthToken: token });
    expect(
      await outcome(client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(2), pinUvAuthToken: token })),
    ).toBe('CTAP2_ERR_PIN_AUTH_INVALID');
    const idle = await client.clientPin.getPinToken('1234', { permissions: Permission.MAKE_CREDENTIAL, rpId: RP.id });
    band.clock += 30_000;
    expect(
      await outcome(client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(2), pinUvAuthToken: idle })),
    ).toBe('CTAP2_ERR_PIN_AUTH_INVALID');
    const cm = await client.clientPin.getPinToken('1234', { permissions: Permission.CREDENTIAL_MANAGEMENT });
    await client.credentialManagement.metadata(cm);
    band.clock += 9 * 60_000;
    await client.credentialManagement.metadata(cm);
    band.clock += 60_000;
    expect(await outcome(client.credentialManagement.metadata(cm))).toBe('CTAP2_ERR_PIN_AUTH_INVALID');
  });

  it('issues a legacy getPinToken carrying mc and ga, and refuses permissions on it', async () => {
    const { client, raw } = makeRig();
    await client.clientPin.setPin('1234');
    const legacy = await client.clientPin.getPinToken('1234', { protocol: 1 });
    expect(
      await outcome(client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1), pinUvAuthToken: legacy })),
    ).toBe('OK');
    const reply = await raw(
      ctapRequest(
        0x06,
        new Map<number, CborInput>([
          [1, 2],
          [2, 5],
          [3, new Map()],
          [6, new Uint8Array(32)],
          [9, 1],
        ]),
      ),
    );
    expect(reply).toEqual(Uint8Array.of(0x02));
  });

  it("issues tokens from the band's built-in UV only while it is on the wrist", async () => {
    const { client, band } = makeRig();
    const token = await client.clientPin.getUvToken({
      permissions: Permission.GET_ASSERTION | Permission.MAKE_CREDENTIAL,
      rpId: RP.id,
    });
    const made = await client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(1),
      options: { rk: true },
      pinUvAuthToken: token,
    });
    expect(made.parsedAuthenticatorData.flags.userVerified).toBe(true);
    expect(await client.clientPin.getUvRetries()).toBe(8);
    band.onWrist = false;
    expect(await outcome(client.clientPin.getUvToken({ permissions: Permission.GET_ASSERTION, rpId: RP.id }))).toBe(
      'CTAP2_ERR_UV_INVALID',
    );
    band.enrolled = false;
    expect(await outcome(client.clientPin.getUvToken({ permissions: Permission.GET_ASSERTION, rpId: RP.id }))).toBe(
      'CTAP2_ERR_NOT_ALLOWED',
    );
    expect(await client.clientPin.getUvRetries()).toBe(0);
  });

  it('answers the zero-length pinUvAuthParam probe after a touch', async () => {
    const { client, raw, band } = makeRig();
    const probe = () =>
      raw(
        ctapRequest(
          0x01,
          new Map<number, CborInput>([
            [1, cdh],
            [2, { id: RP.id }],
            [3, { id: Uint8Array.of(1) }],
            [4, [{ type: 'public-key', alg: -7 }]],
            [8, new Uint8Array(0)],
            [9, 2],
          ]),
        ),
      );
    expect(await probe()).toEqual(Uint8Array.of(0x35));
    expect(band.presenceLog.at(-1)?.purpose).toBe('selection');
    await client.clientPin.setPin('1234');
    expect(await probe()).toEqual(Uint8Array.of(0x31));
  });

  it('refuses unknown sub-commands and protocols, and bad key agreement keys', async () => {
    const { raw } = makeRig();
    expect(
      await raw(
        ctapRequest(
          0x06,
          new Map<number, CborInput>([
            [1, 2],
            [2, 0x08],
          ]),
        ),
      ),
    ).toEqual(Uint8Array.of(0x3e));
    expect(
      await raw(
        ctapRequest(
          0x06,
          new Map<number, CborInput>([
            [1, 3],
            [2, 2],
          ]),
        ),
      ),
    ).toEqual(Uint8Array.of(0x02));
    expect(await raw(ctapRequest(0x06, new Map<number, CborInput>([[2, 2]])))).toEqual(Uint8Array.of(0x14));
    const offCurve = new Map<number, CborInput>([
      [1, 2],
      [3, -25],
      [-1, 1],
      [-2, new Uint8Array(32).fill(1)],
      [-3, new Uint8Array(32).fill(2)],
    ]);
    expect(
      await raw(
        ctapRequest(
          0x06,
          new Map<number, CborInput>([
            [1, 2],
            [2, 3],
            [3, offCurve],
            [4, new Uint8Array(32)],
            [5, new Uint8Array(80)],
          ]),
        ),
      ),
    ).toEqual(Uint8Array.of(0x02));
  });
});
