import type { CborInput, CborMap } from '../../proto/ctap2/canonical-cbor.js';
import { Permission } from '../../proto/ctap2/client-pin.js';
import { parseRequestMembers } from '../../proto/ctap2/ctap-failure.js';
import {
  INITIAL_SERIALIZED_LARGE_BLOB_ARRAY,
  largeBlobArrayIntact,
  largeBlobMaxFragmentLength,
  largeBlobsAuthMessage,
  LargeBlobsRequest,
  LargeBlobsResponse,
} from '../../proto/ctap2/large-blobs.js';
import { encodeMembers, type Decoded } from '../../proto/ctap2/members.js';
import { MAX_MESSAGE_SIZE } from '../../proto/index.js';
import { MAX_SERIALIZED_LARGE_BLOB_ARRAY } from '../../proto/limits.js';
import type { CommandContext } from './command-context.js';
import { CtapStatus, fail } from './ctap-failure.js';
import { StoreKeys } from './fido2-store.js';
import { protocolFor, verifyPinUvAuthParam } from './pin-uv-auth-param.js';
import { protectedByUserVerification } from './user-verification.js';

const WHERE = 'authenticatorLargeBlobs';

type Params = Decoded<typeof LargeBlobsRequest>;

/** §6.10.2 maxFragmentLength for this band's maxMsgSize. */
export const MAX_FRAGMENT_LENGTH = largeBlobMaxFragmentLength(MAX_MESSAGE_SIZE);

/** The committed serialized large-blob array; the initial one while none was ever written (or after a reset/wipe). */
export function storedLargeBlobArray(c: CommandContext): Uint8Array {
  const stored = c.store.get(StoreKeys.largeBlobArray);
  if (stored === undefined) return INITIAL_SERIALIZED_LARGE_BLOB_ARRAY;
  if (stored.length > MAX_SERIALIZED_LARGE_BLOB_ARRAY || !largeBlobArrayIntact(stored))
    throw new Error(`${StoreKeys.largeBlobArray} fails its hash; the FIDO2 state is corrupt, reset the authenticator`);
  return stored;
}

/**
 * authenticatorLargeBlobs (CTAP 2.1 §6.10.2), with the spec's step numbers. Reads need no authorisation. A band
 * protected by some form of user verification takes writes only with a pinUvAuthParam from a token with the lbw
 * permission. A write opened at offset 0 fills a RAM buffer of its announced length; the last fragment's hash check
 * decides, and the new array replaces the old one in one flash commit, so a power cut leaves the old array or the
 * new one. A refused fragment changes nothing: the pending write is only opened or advanced after every check passed
 * (the spec opens it at step 5.2, before authorisation; doing it after keeps a caller without a token from
 * disturbing another's write).
 */
export function largeBlobs(c: CommandContext, request: CborMap): CborInput | undefined {
  // Step 1: offset is required (the member table's MISSING_PARAMETER is the decoder's; the spec names
  // INVALID_PARAMETER, which is what an absent offset gets here).
  if (!request.has(LargeBlobsRequest.offset.key))
    fail(CtapStatus.CTAP1_ERR_INVALID_PARAMETER, `${WHERE} needs an offset (member 0x03)`);
  const params = parseRequestMembers(LargeBlobsRequest, request, WHERE);
  const { get, set, offset, length } = params;
  // Steps 2-3.
  if (get === undefined && set === undefined)
    fail(CtapStatus.CTAP1_ERR_INVALID_PARAMETER, `${WHERE} needs get (to read) or set (to write)`);
  if (get !== undefined && set !== undefined)
    fail(CtapStatus.CTAP1_ERR_INVALID_PARAMETER, `${WHERE} takes get or set, not both`);
  if (get !== undefined) return read(c, params, get);
  return write(c, params, set as Uint8Array, offset, length);
}

function read(c: CommandContext, params: Params, get: number): CborInput {
  // Step 4.1-4.2.
  if (params.length !== undefined)
    fail(CtapStatus.CTAP1_ERR_INVALID_PARAMETER, `${WHERE} get takes no length; length belongs to a set at offset 0`);
  if (params.pinUvAuthParam !== undefined || params.pinUvAuthProtocol !== undefined)
    fail(CtapStatus.CTAP1_ERR_INVALID_PARAMETER, `${WHERE} get takes no pinUvAuthParam: reading needs no token`);
  // Step 4.3.
  if (get > MAX_FRAGMENT_LENGTH)
    fail(
      CtapStatus.CTAP1_ERR_INVALID_LENGTH,
      `${WHERE} get ${get} exceeds maxFragmentLength ${MAX_FRAGMENT_LENGTH} (maxMsgSize − 64); read in fragments`,
    );
  const array = storedLargeBlobArray(c);
  // Step 4.4.
  if (params.offset > array.length)
    fail(
      CtapStatus.CTAP1_ERR_INVALID_PARAMETER,
      `${WHERE} get offset ${params.offset} lies beyond the ${array.length}-byte array`,
    );
  // Step 4.5.
  return encodeMembers(LargeBlobsResponse, { config: array.slice(params.offset, params.offset + get) });
}

function write(
  c: CommandContext,
  params: Params,
  fragment: Uint8Array,
  offset: number,
  length: number | undefined,
): undefined {
  // Step 5.1.
  if (fragment.length > MAX_FRAGMENT_LENGTH)
    fail(
      CtapStatus.CTAP1_ERR_INVALID_LENGTH,
      `${WHERE} set of ${fragment.length} bytes exceeds maxFragmentLength ${MAX_FRAGMENT_LENGTH}; write in fragments`,
    );
  const epoch = c.store.epoch();
  let pending = c.volatile.largeBlobWrite;
  if (pending !== undefined && pending.epoch !== epoch) pending = c.volatile.largeBlobWrite = undefined;
  let expectedLength: number;
  if (offset === 0) {
    // Step 5.2.
    if (length === undefined)
      fail(CtapStatus.CTAP1_ERR_INVALID_PARAMETER, `${WHERE} set at offset 0 needs length, the whole array's size`);
    if (length > MAX_SERIALIZED_LARGE_BLOB_ARRAY)
      fail(
        CtapStatus.CTAP2_ERR_LARGE_BLOB_STORAGE_FULL,
        `${WHERE}: an array of ${length} bytes exceeds maxSerializedLargeBlobArray ${MAX_SERIALIZED_LARGE_BLOB_ARRAY}`,
      );
    if (length < INITIAL_SERIALIZED_LARGE_BLOB_ARRAY.length)
      fail(
        CtapStatus.CTAP1_ERR_INVALID_PARAMETER,
        `${WHERE}: length ${length} is shorter than any serialized array (${INITIAL_SERIALIZED_LARGE_BLOB_ARRAY.length} bytes)`,
      );
    expectedLength = length;
  } else {
    // Step 5.3.
    if (length !== undefined)
      fail(CtapStatus.CTAP1_ERR_INVALID_PARAMETER, `${WHERE} set: length belongs only to the fragment at offset 0`);
    // Step 5.4.
    if (pending === undefined || offset !== pending.received)
      fail(
        CtapStatus.CTAP1_ERR_INVALID_SEQ,
        pending === undefined
          ? `${WHERE} set at offset ${offset} continues no write; start at offset 0`
          : `${WHERE} set at offset ${offset}, but the next fragment is due at ${pending.received}`,
      );
    expectedLength = pending.buffer.length;
  }
  // Step 5.5.
  if (protectedByUserVerification(c)) {
    if (params.pinUvAuthParam === undefined)
      fail(
        CtapStatus.CTAP2_ERR_PUAT_REQUIRED,
        `${WHERE} set needs a pinUvAuthParam from a token with the lbw permission: the band is protected by user verification`,
      );
    const protocol = protocolFor(params.pinUvAuthProtocol, WHERE);
    verifyPinUvAuthParam(
      c,
      protocol,
      largeBlobsAuthMessage(offset, fragment),
      params.pinUvAuthParam,
      Permission.LARGE_BLOB_WRITE,
      WHERE,
    );
  }
  // Step 5.6.
  if (offset + fragment.length > expectedLength)
    fail(
      CtapStatus.CTAP1_ERR_INVALID_PARAMETER,
      `${WHERE} set: ${fragment.length} bytes at offset ${offset} run past the announced length ${expectedLength}`,
    );
  // Steps 5.7-5.9.
  if (offset === 0) pending = { buffer: new Uint8Array(expectedLength), received: 0, epoch };
  const write = pending as NonNullable<typeof pending>;
  write.buffer.set(fragment, offset);
  write.received = offset + fragment.length;
  c.volatile.largeBlobWrite = write;
  if (write.received < expectedLength) return undefined;
  // Step 5.10: the array is whole. Whatever the check says, this write is over.
  c.volatile.largeBlobWrite = undefined;
  if (!largeBlobArrayIntact(write.buffer))
    fail(
      CtapStatus.CTAP2_ERR_INTEGRITY_FAILURE,
      `${WHERE}: the last 16 bytes are not the truncated SHA-256 of the array; nothing was written`,
    );
  c.store.commit({ put: { [StoreKeys.largeBlobArray]: write.buffer } });
  return undefined;
}
