import type { CborMap, CborValue } from '../../proto/ctap2/canonical-cbor.js';
import { Ctap2MemberError, decodeMembers, type Decoded, type Members } from '../../proto/ctap2/members.js';
import { Fido2ProtocolError } from './ctap-error.js';

/**
 * The host's edge: an authenticator's reply map (or a map inside it) is decoded once through its member table in
 * proto/ctap2/; a missing or mistyped member is a Fido2ProtocolError naming it.
 */
export function decodeReply<const S extends Members>(spec: S, value: CborValue, operation: string): Decoded<S> {
  try {
    return decodeMembers(spec, value, `${operation}: the response`);
  } catch (error) {
    if (error instanceof Ctap2MemberError) throw new Fido2ProtocolError(error.message, { cause: error });
    throw error;
  }
}

export function requireReply(value: CborMap | undefined, operation: string): CborMap {
  if (value === undefined)
    throw new Fido2ProtocolError(`${operation}: the authenticator returned OK without the expected response map`);
  return value;
}
