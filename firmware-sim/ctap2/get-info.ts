import type { CborInput } from '../../proto/ctap2/canonical-cbor.js';
import { PinUvAuthProtocolId } from '../../proto/ctap2/client-pin.js';
import { Cose } from '../../proto/ctap2/cose.js';
import { AuthenticatorGetInfoResponse, Ctap2Version, OptionId, UvModality } from '../../proto/ctap2/get-info.js';
import { encodeMembers } from '../../proto/ctap2/members.js';
import { PUBLIC_KEY_CREDENTIAL_TYPE, PublicKeyCredentialParameters } from '../../proto/ctap2/webauthn-entities.js';
import type { CommandContext } from './command-context.js';
import { CREDENTIAL_ID_LENGTH } from './credential-id.js';
import { enterpriseAttestationCapable } from './enterprise-attestation.js';
import { extensionInfo } from './extension-processing.js';
import { MAX_CREDENTIAL_COUNT_IN_LIST, MAX_MESSAGE_SIZE as MAX_MSG_SIZE } from '../../proto/index.js';
import { MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH, MAX_SERIALIZED_LARGE_BLOB_ARRAY } from '../../proto/limits.js';

// maxMsgSize (CTAP 2.1 §6.2) is what fits a CTAPHID message of 128 continuation packets; maxCredentialCountInList
// (getInfo maxCredentialCountInList) is an advisory batch size: longer lists are still processed. Both are proto's
// limits.
export { MAX_CREDENTIAL_COUNT_IN_LIST, MAX_MSG_SIZE };

/**
 * authenticatorGetInfo (§6.4). Options that depend on state (clientPin, uv) are read afresh on every call:
 * uv is true only while a user is enrolled (the band's built-in UV is its fingerprint + wrist state), and
 * makeCredUvNotRqd lets platforms create non-discoverable credentials without UV, unless alwaysUv is on.
 */
export function getInfo(c: CommandContext): CborInput {
  const enrolled = c.env.userEnrolled();
  const resident = c.credentials.allResident().length;
  const extensions = extensionInfo(c);
  const alwaysUv = c.store.alwaysUv();
  return encodeMembers(AuthenticatorGetInfoResponse, {
    ...extensions.members,
    versions: [Ctap2Version.U2F_V2, Ctap2Version.FIDO_2_0, Ctap2Version.FIDO_2_1],
    extensions: extensions.ids,
    aaguid: c.config.aaguid,
    options: {
      [OptionId.rk]: true,
      [OptionId.up]: true,
      [OptionId.uv]: enrolled,
      [OptionId.clientPin]: c.store.pinHash() !== undefined,
      [OptionId.pinUvAuthToken]: true,
      [OptionId.credMgmt]: true,
      [OptionId.makeCredUvNotRqd]: !alwaysUv,
      [OptionId.authnrCfg]: true,
      [OptionId.alwaysUv]: alwaysUv,
      [OptionId.setMinPINLength]: true,
      [OptionId.largeBlobs]: true,
      // §6.4 ep: present when capable, true once enabled (§7.1).
      ...(enterpriseAttestationCapable(c) ? { [OptionId.ep]: c.store.enterpriseAttestation() } : {}),
      ...bioOptions(c),
    },
    maxMsgSize: MAX_MSG_SIZE,
    pinUvAuthProtocols: [PinUvAuthProtocolId.TWO, PinUvAuthProtocolId.ONE],
    maxCredentialCountInList: MAX_CREDENTIAL_COUNT_IN_LIST,
    maxCredentialIdLength: CREDENTIAL_ID_LENGTH,
    transports: c.config.transports,
    algorithms: [
      encodeMembers(PublicKeyCredentialParameters, { type: PUBLIC_KEY_CREDENTIAL_TYPE, alg: Cose.ALG_ES256 }),
    ],
    maxSerializedLargeBlobArray: MAX_SERIALIZED_LARGE_BLOB_ARRAY,
    forcePINChange: c.store.forcePinChange(),
    minPINLength: c.store.minPinLength(),
    maxRPIDsForSetMinPINLength: MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH,
    firmwareVersion: c.config.firmwareVersion,
    uvModality: c.env.bio === undefined ? undefined : UvModality.FINGERPRINT_INTERNAL,
    remainingDiscoverableCredentials: Math.max(0, c.config.maxResidentCredentials - resident),
  });
}

/**
 * §6.4 bioEnroll: true while a fingerprint is enrolled, false while none is; uvBioEnroll: a token with the be
 * permission can come from built-in UV (getPinUvAuthTokenUsingUvWithPermissions). Absent without a sensor.
 */
function bioOptions(c: CommandContext): Record<string, boolean> {
  if (c.env.bio === undefined) return {};
  return { [OptionId.bioEnroll]: c.env.bio.enrollment() !== undefined, [OptionId.uvBioEnroll]: true };
}
