import { createHash } from 'node:crypto';
import { Ctap2Command } from './command.js';
import { members } from './members.js';

/** authenticatorLargeBlobs (CTAP 2.1 §6.10) request members. */
export const LargeBlobsRequest = members({
  get: { key: 0x01, type: 'uint' },
  set: { key: 0x02, type: 'bytes' },
  offset: { key: 0x03, type: 'uint', required: true },
  length: { key: 0x04, type: 'uint' },
  pinUvAuthParam: { key: 0x05, type: 'bytes' },
  pinUvAuthProtocol: { key: 0x06, type: 'uint' },
});

/** authenticatorLargeBlobs response members (§6.10): `config` is the fragment a `get` read. */
export const LargeBlobsResponse = members({
  config: { key: 0x01, type: 'bytes' },
});

/** One entry of the serialized large-blob array (§6.10.3 "large, per-credential blobs"). */
export const LargeBlobMap = members({
  /** AEAD_AES_256_GCM ciphertext of DEFLATE(blob), the 16-byte tag appended. */
  ciphertext: { key: 0x01, type: 'bytes', required: true },
  /** The 12-byte GCM nonce. */
  nonce: { key: 0x02, type: 'bytes', required: true },
  /** The blob's length before compression; bound into the associated data. */
  origSize: { key: 0x03, type: 'uint', required: true },
});

/** §6.10: the array ends with LEFT(SHA-256(every byte before it), 16). */
export const LARGE_BLOB_ARRAY_HASH_BYTES = 16;

/** §6.10.2: each get or set moves at most maxFragmentLength = maxMsgSize − 64 bytes. */
export const LARGE_BLOB_FRAGMENT_OVERHEAD = 64;

/** §6.10.3: a per-credential blob entry's GCM nonce and tag. */
export const LARGE_BLOB_NONCE_BYTES = 12;
export const LARGE_BLOB_TAG_BYTES = 16;
/** §12.3: the largeBlobKey the authenticator keeps with a credential. */
export const LARGE_BLOB_KEY_BYTES = 32;

/** maxFragmentLength for an authenticator's getInfo maxMsgSize (§6.10.2). */
export function largeBlobMaxFragmentLength(maxMsgSize: number): number {
  return maxMsgSize - LARGE_BLOB_FRAGMENT_OVERHEAD;
}

/** LEFT(SHA-256(data), 16): the integrity trailer of a serialized large-blob array. */
export function largeBlobArrayHash(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest().subarray(0, LARGE_BLOB_ARRAY_HASH_BYTES));
}

/** A serialized large-blob array: the CBOR array's bytes followed by their truncated hash. */
export function serializeLargeBlobArray(encodedArray: Uint8Array): Uint8Array {
  const out = new Uint8Array(encodedArray.length + LARGE_BLOB_ARRAY_HASH_BYTES);
  out.set(encodedArray, 0);
  out.set(largeBlobArrayHash(encodedArray), encodedArray.length);
  return out;
}

/** Whether the last 16 bytes of `serialized` are the truncated hash of the bytes before them (§6.10.2 step 10.1). */
export function largeBlobArrayIntact(serialized: Uint8Array): boolean {
  if (serialized.length < LARGE_BLOB_ARRAY_HASH_BYTES) return false;
  const body = serialized.subarray(0, serialized.length - LARGE_BLOB_ARRAY_HASH_BYTES);
  const trailer = serialized.subarray(serialized.length - LARGE_BLOB_ARRAY_HASH_BYTES);
  const expected = largeBlobArrayHash(body);
  return expected.every((byte, i) => byte === trailer[i]);
}

/**
 * The array an authenticator starts with and returns to on reset (§6.10.1): the empty CBOR array (0x80) and its
 * truncated hash, 17 bytes. A set of fewer bytes than this cannot be a serialized array (§6.10.2 step 3.3).
 */
export const INITIAL_SERIALIZED_LARGE_BLOB_ARRAY: Uint8Array = serializeLargeBlobArray(Uint8Array.of(0x80));

/**
 * The message a set's pinUvAuthParam authenticates (§6.10.2 step 6.4):
 * 32×0xff ‖ h'0c00' ‖ uint32LittleEndian(offset) ‖ SHA-256(the fragment in `set`).
 */
export function largeBlobsAuthMessage(offset: number, fragment: Uint8Array): Uint8Array {
  const message = new Uint8Array(32 + 2 + 4 + 32);
  message.fill(0xff, 0, 32);
  message[32] = Ctap2Command.LARGE_BLOBS;
  message[33] = 0x00;
  new DataView(message.buffer).setUint32(34, offset, true);
  message.set(createHash('sha256').update(fragment).digest(), 38);
  return message;
}

/** §6.10.3: the AEAD associated data of a per-credential blob: "blob" ‖ uint64LittleEndian(origSize). */
export function largeBlobAssociatedData(origSize: number): Uint8Array {
  const data = new Uint8Array(4 + 8);
  data.set(new TextEncoder().encode('blob'), 0);
  new DataView(data.buffer).setBigUint64(4, BigInt(origSize), true);
  return data;
}
