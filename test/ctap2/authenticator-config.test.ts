import { describe, expect, it } from 'vitest';
import { Permission } from '../../host/fido2/index.js';
import { Ctap2Command } from '../../proto/ctap2/command.js';
import { ConfigRequest, ConfigSubCommand } from '../../proto/ctap2/config.js';
import { encodeMembers } from '../../proto/ctap2/members.js';
import { CtapStatus } from '../../proto/ctap2/status.js';
import { MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH } from '../../proto/limits.js';
import { outcome } from './check.js';
import { ctapRequest, hash, makeRig, RP, user } from './rig.js';

const cdh = hash('config client data');

async function withPin(pin = '1234') {
  const rig = makeRig();
  await rig.client.clientPin.setPin(pin);
  const acfg = () => rig.client.clientPin.getPinToken(pin, { permissions: Permission.AUTHENTICATOR_CONFIG });
  return { ...rig, acfg };
}

describe('authenticatorConfig', () => {
  it('is advertised in getInfo with its defaults', async () => {
    const { client } = makeRig();
    const info = await client.getInfo();
    expect(info.options).toMatchObject({
      authnrCfg: true,
      alwaysUv: false,
      setMinPINLength: true,
      makeCredUvNotRqd: true,
    });
    expect(info.options.ep).toBeUndefined();
    expect(info.forcePinChange).toBe(false);
    expect(info.minPinLength).toBe(4);
    expect(info.maxRPIDsForSetMinPINLength).toBe(MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH);
  });

  it('needs a token with the acfg permission once the band is protected by a PIN or built-in UV', async () => {
    const { client, acfg, raw } = await withPin();
    expect(await outcome(client.config.toggleAlwaysUv(undefined))).toBe('CTAP2_ERR_PUAT_REQUIRED');
    const cm = await client.clientPin.getPinToken('1234', { permissions: Permission.CREDENTIAL_MANAGEMENT });
    expect(await outcome(client.config.toggleAlwaysUv(cm))).toBe('CTAP2_ERR_PIN_AUTH_INVALID');
    expect((await client.getInfo()).options.alwaysUv).toBe(false);
    // A pinUvAuthParam over anything but 32×0xff ‖ 0x0d ‖ subCommand ‖ subCommandParams does not verify.
    const token = await acfg();
    const forged = encodeMembers(ConfigRequest, {
      subCommand: ConfigSubCommand.SET_MIN_PIN_LENGTH,
      subCommandParams: new Map([[1, 8]]),
      pinUvAuthProtocol: token.protocol.version,
      pinUvAuthParam: token.authenticate(Uint8Array.of(ConfigSubCommand.SET_MIN_PIN_LENGTH)),
    });
    expect((await raw(ctapRequest(Ctap2Command.CONFIG, forged)))[0]).toBe(CtapStatus.CTAP2_ERR_PIN_AUTH_INVALID);
    expect((await client.getInfo()).minPinLength).toBe(4);
    expect(await outcome(client.config.toggleAlwaysUv(token))).toBe('OK');
    expect((await client.getInfo()).options.alwaysUv).toBe(true);
  });

  it('accepts commands without a token on a band with neither PIN nor enrolled user', async () => {
    const rig = makeRig();
    rig.band.enrolled = false;
    await rig.client.config.setMinPinLength(undefined, { newMinPinLength: 5 });
    expect((await rig.client.getInfo()).minPinLength).toBe(5);
    expect(await outcome(rig.client.config.setMinPinLength(undefined, { forceChangePin: true }))).toBe(
      'CTAP2_ERR_PIN_NOT_SET',
    );
    expect(await outcome(rig.client.config.enableEnterpriseAttestation(undefined))).toBe('CTAP1_ERR_INVALID_COMMAND');
    const unknown = await rig.raw(ctapRequest(Ctap2Command.CONFIG, encodeMembers(ConfigRequest, { subCommand: 0x7f })));
    expect(unknown[0]).toBe(CtapStatus.CTAP2_ERR_INVALID_SUBCOMMAND);
    const missing = await rig.raw(ctapRequest(Ctap2Command.CONFIG, new Map([[2, new Map()]])));
    expect(missing[0]).toBe(CtapStatus.CTAP2_ERR_MISSING_PARAMETER);
  });

  it('toggleAlwaysUv makes every ceremony verify the user, and survives a reboot', async () => {
    const rig = await withPin();
    const plain = await rig.client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) });
    expect(plain.parsedAuthenticatorData.flags.userVerified).toBe(false);
    await rig.client.config.toggleAlwaysUv(await rig.acfg());
    const after = rig.reboot();
    const info = await after.client.getInfo();
    expect(info.options.alwaysUv).toBe(true);
    expect(info.options.makeCredUvNotRqd).toBe(false);
    const made = await after.client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(2) });
    expect(made.parsedAuthenticatorData.flags.userVerified).toBe(true);
    const [assertion] = await after.client.getAssertion({
      clientDataHash: cdh,
      rpId: RP.id,
      allowCredentials: [plain.credentialId],
    });
    expect(assertion.parsedAuthenticatorData.flags.userVerified).toBe(true);
    // Off the wrist the built-in UV fails; with a PIN set the platform is sent to the PIN.
    after.band.onWrist = false;
    expect(await outcome(after.client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(3) }))).toBe(
      'CTAP2_ERR_PUAT_REQUIRED',
    );
    after.band.onWrist = true;
    await after.client.config.toggleAlwaysUv(
      await after.client.clientPin.getPinToken('1234', { permissions: Permission.AUTHENTICATOR_CONFIG }),
    );
    expect((await after.client.getInfo()).options.alwaysUv).toBe(false);
  });

  it('setMinPINLength raises the minimum, tells listed RPs, and forces a short PIN to change', async () => {
    const rig = await withPin('1234');
    await rig.client.config.setMinPinLength(await rig.acfg(), { newMinPinLength: 6, rpIds: [RP.id] });
    const info = await rig.client.getInfo();
    expect(info.minPinLength).toBe(6);
    expect(info.forcePinChange).toBe(true);
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
    // The PIN is right, but no token until it is changed; a retry is not lost.
    expect(await outcome(rig.acfg())).toBe('CTAP2_ERR_PIN_POLICY_VIOLATION');
    expect((await rig.client.clientPin.getRetries()).retries).toBe(8);
    expect(await outcome(rig.client.clientPin.changePin('1234', '12345'))).toBe('CTAP2_ERR_PIN_POLICY_VIOLATION');
    await rig.client.clientPin.changePin('1234', '123456');
    expect((await rig.client.getInfo()).forcePinChange).toBe(false);
    const token = await rig.client.clientPin.getPinToken('123456', { permissions: Permission.AUTHENTICATOR_CONFIG });
    // The minimum never shrinks; a longer PIN is not forced to change by a raise it already meets.
    expect(await outcome(rig.client.config.setMinPinLength(token, { newMinPinLength: 5 }))).toBe(
      'CTAP2_ERR_PIN_POLICY_VIOLATION',
    );
    await rig.client.config.setMinPinLength(token, { newMinPinLength: 6 });
    expect((await rig.client.getInfo()).forcePinChange).toBe(false);
    // forceChangePin forces a change regardless of length.
    await rig.client.config.setMinPinLength(token, { forceChangePin: true });
    expect((await rig.client.getInfo()).forcePinChange).toBe(true);
    // A reset ends the policy with the rest of the FIDO2 state.
    await rig.client.reset();
    const fresh = await rig.client.getInfo();
    expect(fresh.minPinLength).toBe(4);
    expect(fresh.forcePinChange).toBe(false);
  });

  it('refuses an RP-ID list longer than maxRPIDsForSetMinPINLength and keeps the old one', async () => {
    const rig = await withPin();
    const token = await rig.acfg();
    await rig.client.config.setMinPinLength(token, { rpIds: [RP.id] });
    const tooMany = Array.from({ length: MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH + 1 }, (_, i) => `rp${i}.example`);
    expect(await outcome(rig.client.config.setMinPinLength(token, { rpIds: tooMany }))).toBe(
      'CTAP1_ERR_INVALID_LENGTH',
    );
    const made = await rig.client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(1),
      extensions: { minPinLength: true },
    });
    expect(made.extensions).toEqual({ minPinLength: 4 });
  });
});
