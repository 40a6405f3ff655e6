// CTAP2's share of the wire contract (CTAP 2.1 §6, §8, §12): canonical CBOR, status codes, command bytes, the member
// tables of every request and response, option and extension identifiers. The band's authenticator
// (firmware-sim/ctap2/), the host's Fido2Client (host/fido2/), `bandctl trace` and the conformance suite all use it.
export {
  CborError,
  decodeCanonical,
  decodeCanonicalPrefix,
  encodeCanonical,
  type CborInput,
  type CborKey,
  type CborMap,
  type CborValue,
} from './canonical-cbor.js';
export { CtapStatus, ctapStatusName, type CtapStatusCode, type CtapStatusName } from './status.js';
export {
  Ctap2Command,
  CTAP2_COMMAND_SPEC_NAMES,
  ctap2CommandName,
  type Ctap2CommandCode,
  type Ctap2CommandName,
} from './command.js';
export {
  cborTypeName,
  Ctap2MemberError,
  decodeMembers,
  encodeMembers,
  memberNames,
  members,
  type Decoded,
  type Encodable,
  type Member,
  type MemberErrorReason,
  type Members,
  type MemberType,
} from './members.js';
export { Cose, CoseEc2Key } from './cose.js';
export * from './webauthn-entities.js';
export * from './make-credential.js';
export * from './get-assertion.js';
export * from './get-info.js';
export * from './client-pin.js';
export * from './credential-management.js';
export * from './bio-enrollment.js';
export * from './config.js';
export * from './attestation-certificate.js';
export * from './large-blobs.js';
export { CTAP2_SCHEMA, type Ctap2CommandSchema } from './schema.js';
