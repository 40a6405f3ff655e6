import { encodeCanonical, type CborInput } from '../../proto/ctap2/canonical-cbor.js';
import { Ctap2Command } from '../../proto/ctap2/command.js';
import { configAuthMessage, ConfigRequest, ConfigSubCommand, SetMinPinLengthParams } from '../../proto/ctap2/config.js';
import { encodeMembers } from '../../proto/ctap2/members.js';
import type { CtapChannel, TransactOptions } from './ctap-channel.js';
import type { PinUvAuthToken } from './pin-uv-auth-token.js';

export interface SetMinPinLengthOptions {
  /** The new minimum PIN length in code points; it may only grow. Absent: keep the current minimum. */
  newMinPinLength?: number;
  /** RP IDs the minPinLength extension may tell the minimum to; replaces the current list. */
  rpIds?: string[];
  /** Require the PIN to be changed before the next token. */
  forceChangePin?: boolean;
}

/**
 * authenticatorConfig (CTAP 2.1 §6.11). Pass a token with the acfg permission; an authenticator with neither a PIN
 * nor built-in UV accepts the commands without one.
 */
export class AuthenticatorConfig {
  /** Sends over the Fido2Client's channel; use `Fido2Client.config` rather than constructing one. */
  constructor(private readonly channel: CtapChannel) {}

  private async call(
    token: PinUvAuthToken | undefined,
    subCommand: number,
    subParams: CborInput | undefined,
    operation: string,
    opts: TransactOptions,
  ): Promise<void> {
    const encoded = subParams === undefined ? new Uint8Array(0) : encodeCanonical(subParams);
    const params = encodeMembers(ConfigRequest, {
      subCommand,
      subCommandParams: subParams,
      pinUvAuthProtocol: token?.protocol.version,
      pinUvAuthParam: token?.authenticate(configAuthMessage(subCommand, encoded)),
    });
    await this.channel.call(Ctap2Command.CONFIG, params, operation, opts);
  }

  /** enableEnterpriseAttestation (§6.11.1); an authenticator without enterprise attestation answers INVALID_COMMAND. */
  async enableEnterpriseAttestation(token: PinUvAuthToken | undefined, opts: TransactOptions = {}): Promise<void> {
    const op = 'authenticatorConfig enableEnterpriseAttestation';
    await this.call(token, ConfigSubCommand.ENABLE_ENTERPRISE_ATTESTATION, undefined, op, opts);
  }

  /** Switches alwaysUv; read the new state from getInfo's `alwaysUv` option. */
  async toggleAlwaysUv(token: PinUvAuthToken | undefined, opts: TransactOptions = {}): Promise<void> {
    await this.call(token, ConfigSubCommand.TOGGLE_ALWAYS_UV, undefined, 'authenticatorConfig toggleAlwaysUv', opts);
  }

  /** setMinPINLength (§6.11.4): raise the minimum PIN length, set the minPinLength RP list, or force a PIN change. */
  async setMinPinLength(
    token: PinUvAuthToken | undefined,
    options: SetMinPinLengthOptions,
    opts: TransactOptions = {},
  ): Promise<void> {
    const subParams = encodeMembers(SetMinPinLengthParams, {
      newMinPINLength: options.newMinPinLength,
      minPinLengthRPIDs: options.rpIds,
      forceChangePin: options.forceChangePin,
    });
    const op = 'authenticatorConfig setMinPINLength';
    await this.call(token, ConfigSubCommand.SET_MIN_PIN_LENGTH, subParams.size === 0 ? undefined : subParams, op, opts);
  }
}
