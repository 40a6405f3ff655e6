import type { CborValue } from '../../proto/ctap2/canonical-cbor.js';
import { Ctap2MemberError, decodeMembers, type Decoded, type Members } from '../../proto/ctap2/members.js';
import type { CtapStatusCode } from '../../proto/ctap2/status.js';
import { CtapStatus, fail } from './ctap-failure.js';

/**
 * The band's edge: every CBOR map a request carries is decoded here, once, through its member table in proto/ctap2/,
 * into a typed struct. An absent required member is CTAP2_ERR_MISSING_PARAMETER, a member of the wrong CBOR type
 * CTAP2_ERR_CBOR_UNEXPECTED_TYPE, an integer beyond what the member defines CTAP1_ERR_INVALID_PARAMETER. Members a
 * table does not know are ignored (CTAP 2.1 §6 is forward-compatible).
 */
export function memberErrorStatus(error: Ctap2MemberError): CtapStatusCode {
  switch (error.reason) {
    case 'missing':
      return CtapStatus.CTAP2_ERR_MISSING_PARAMETER;
    case 'out-of-range':
      return CtapStatus.CTAP1_ERR_INVALID_PARAMETER;
    case 'wrong-type':
    case 'not-a-map':
      return CtapStatus.CTAP2_ERR_CBOR_UNEXPECTED_TYPE;
  }
}

export function parseMembers<const S extends Members>(spec: S, value: CborValue, where: string): Decoded<S> {
  try {
    return decodeMembers(spec, value, where);
  } catch (error) {
    if (error instanceof Ctap2MemberError) fail(memberErrorStatus(error), error.message);
    throw error;
  }
}
