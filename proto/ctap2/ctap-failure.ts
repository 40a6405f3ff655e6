import type { CborValue } from './canonical-cbor.js';
import { Ctap2MemberError, decodeMembers, type Decoded, type Members } from './members.js';
import { CtapStatus, ctapStatusName, type CtapStatusCode } from './status.js';

/**
 * An authenticator's decision to end a command with a CTAP status (CTAP 2.1 §8.2). Thrown by the band's command
 * handlers and by the authenticator side of the extension modules; the band's `handle` turns it into the one-byte
 * reply. The message is for logs and tests (the wire only carries the status byte).
 */
export class CtapFailure extends Error {
  override readonly name = 'CtapFailure';
  constructor(
    readonly status: CtapStatusCode,
    message: string,
  ) {
    super(`${ctapStatusName(status)}: ${message}`);
  }
}

export function fail(status: CtapStatusCode, message: string): never {
  throw new CtapFailure(status, message);
}

/**
 * How an authenticator answers a request map that does not fit its member table: an absent required member is
 * CTAP2_ERR_MISSING_PARAMETER, a member of the wrong CBOR type CTAP2_ERR_CBOR_UNEXPECTED_TYPE, an integer beyond what
 * the member defines or a byte string of another length than it fixes CTAP1_ERR_INVALID_PARAMETER.
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

/**
 * The authenticator's edge: decodes a request map (or a map inside one) into its typed struct, once, failing with
 * the spec's status. Members the table does not know are ignored (CTAP 2.1 §6 is forward-compatible).
 */
export function parseRequestMembers<const S extends Members>(spec: S, value: CborValue, where: string): Decoded<S> {
  try {
    return decodeMembers(spec, value, where);
  } catch (error) {
    if (error instanceof Ctap2MemberError) fail(memberErrorStatus(error), error.message);
    throw error;
  }
}
