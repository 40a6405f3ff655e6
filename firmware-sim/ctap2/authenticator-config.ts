import { encodeCanonical, type CborInput, type CborMap } from '../../proto/ctap2/canonical-cbor.js';
import { configAuthMessage, ConfigRequest, ConfigSubCommand, SetMinPinLengthParams } from '../../proto/ctap2/config.js';
import { Permission } from '../../proto/ctap2/client-pin.js';
import { parseRequestMembers } from '../../proto/ctap2/ctap-failure.js';
import { MAX_PIN_BYTES, MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH } from '../../proto/limits.js';
import type { CommandContext } from './command-context.js';
import { CtapStatus, fail } from './ctap-failure.js';
import { enterpriseAttestationCapable } from './enterprise-attestation.js';
import { Fido2Store } from './fido2-store.js';
import { protocolFor, verifyPinUvAuthParam } from './pin-uv-auth-param.js';
import { protectedByUserVerification } from './user-verification.js';

const WHERE = 'authenticatorConfig';

/**
 * authenticatorConfig (CTAP 2.1 §6.11). The pinUvAuthParam covers `configAuthMessage` and needs the acfg
 * permission. A band with neither a PIN nor an enrolled user (built-in UV) is
 * "not protected by some form of user verification" and accepts the command without one (§6.11 step 3).
 */
export function authenticatorConfig(c: CommandContext, request: CborMap): CborInput | undefined {
  const {
    subCommand,
    subCommandParams: subParamsMap,
    pinUvAuthProtocol: protocolVersion,
    pinUvAuthParam,
  } = parseRequestMembers(ConfigRequest, request, WHERE);

  if (pinUvAuthParam !== undefined || protectedByUserVerification(c)) {
    if (pinUvAuthParam === undefined)
      fail(CtapStatus.CTAP2_ERR_PUAT_REQUIRED, `${WHERE} needs a pinUvAuthParam from a token with the acfg permission`);
    const protocol = protocolFor(protocolVersion, WHERE);
    // The decoder accepted only canonical CBOR, so re-encoding reproduces the bytes the platform authenticated.
    const encodedParams = subParamsMap === undefined ? new Uint8Array(0) : encodeCanonical(subParamsMap);
    const message = configAuthMessage(subCommand, encodedParams);
    verifyPinUvAuthParam(c, protocol, message, pinUvAuthParam, Permission.AUTHENTICATOR_CONFIG, WHERE);
  }

  switch (subCommand) {
    case ConfigSubCommand.ENABLE_ENTERPRISE_ATTESTATION:
      // §6.11.1: only for an authenticator that is enterprise attestation capable (getInfo "ep" present).
      if (!enterpriseAttestationCapable(c))
        fail(CtapStatus.CTAP1_ERR_INVALID_COMMAND, 'this band has no enterprise attestation to enable');
      c.store.commit(Fido2Store.enterpriseAttestationPut());
      return undefined;
    case ConfigSubCommand.TOGGLE_ALWAYS_UV:
      // §6.11.2: the band always has a form of UV to offer (PIN or wrist), so alwaysUv may be switched either way.
      c.store.commit(Fido2Store.alwaysUvPut(!c.store.alwaysUv()));
      return undefined;
    case ConfigSubCommand.SET_MIN_PIN_LENGTH:
      setMinPinLength(c, subParamsMap);
      return undefined;
    default:
      fail(
        CtapStatus.CTAP2_ERR_INVALID_SUBCOMMAND,
        `${WHERE} sub-command 0x${subCommand.toString(16)} is not supported`,
      );
  }
}

/** §6.11.4 setMinPINLength. */
function setMinPinLength(c: CommandContext, subParamsMap: CborMap | undefined): void {
  const params =
    subParamsMap === undefined
      ? {}
      : parseRequestMembers(SetMinPinLengthParams, subParamsMap, `${WHERE} setMinPINLength subCommandParams`);
  const current = c.store.minPinLength();
  const newMin = params.newMinPINLength ?? current;
  // Step 2: the minimum only ever grows (a reset is the way back down).
  if (newMin < current)
    fail(
      CtapStatus.CTAP2_ERR_PIN_POLICY_VIOLATION,
      `newMinPINLength ${newMin} is below the current minimum ${current}; the minimum can only grow until a reset`,
    );
  if (newMin > MAX_PIN_BYTES)
    fail(
      CtapStatus.CTAP2_ERR_PIN_POLICY_VIOLATION,
      `newMinPINLength ${newMin} exceeds the ${MAX_PIN_BYTES}-byte PIN limit`,
    );
  let rpIds: string[] | undefined;
  if (params.minPinLengthRPIDs !== undefined) {
    const list = params.minPinLengthRPIDs;
    if (!list.every((id): id is string => typeof id === 'string'))
      fail(CtapStatus.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, `${WHERE} minPinLengthRPIDs must be an array of text RP IDs`);
    // Step 3: at most maxRPIDsForSetMinPINLength (getInfo 0x10).
    if (list.length > MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH)
      fail(
        CtapStatus.CTAP1_ERR_INVALID_LENGTH,
        `minPinLengthRPIDs names ${list.length} RP IDs; this band keeps at most ${MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH}`,
      );
    rpIds = [...new Set(list)];
  }
  const pinSet = c.store.pinHash() !== undefined;
  // Step 4.
  if (params.forceChangePin === true && !pinSet)
    fail(CtapStatus.CTAP2_ERR_PIN_NOT_SET, 'forceChangePin needs a PIN to change; set one with clientPIN setPIN');
  // Step 6: a PIN shorter than the new minimum must be changed. A PIN whose length was never recorded counts as short.
  const pinLength = c.store.pinLength();
  const force = params.forceChangePin === true || (pinSet && (pinLength === undefined || pinLength < newMin));
  c.store.commit({
    put: {
      ...Fido2Store.minPinLengthPut(newMin),
      ...(rpIds === undefined ? {} : Fido2Store.minPinLengthRpIdsPut(rpIds)),
      ...(force ? Fido2Store.forcePinChangePut(true).put : {}),
    },
  });
}
