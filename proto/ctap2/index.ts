// CTAP2's share of the wire contract: canonical CBOR (CTAP 2.1 §8) and the status codes (§8.2), used by the band's
// authenticator (firmware-sim/ctap2/) and the host's Fido2Client (host/fido2/) alike.
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
