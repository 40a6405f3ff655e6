import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deflateRawSync, deflateSync, inflateRawSync, inflateSync } from 'node:zlib';
import {
  CborError,
  decodeCanonical,
  encodeCanonical,
  type CborInput,
  type CborValue,
} from '../../proto/ctap2/canonical-cbor.js';
import { Ctap2Command } from '../../proto/ctap2/command.js';
import {
  LARGE_BLOB_ARRAY_HASH_BYTES,
  LARGE_BLOB_KEY_BYTES,
  LARGE_BLOB_NONCE_BYTES,
  LARGE_BLOB_TAG_BYTES,
  largeBlobArrayIntact,
  largeBlobAssociatedData,
  LargeBlobMap,
  largeBlobMaxFragmentLength,
  largeBlobsAuthMessage,
  LargeBlobsRequest,
  LargeBlobsResponse,
  serializeLargeBlobArray,
} from '../../proto/ctap2/large-blobs.js';
import { DEFAULT_MAX_MSG_SIZE, OptionId } from '../../proto/ctap2/get-info.js';
import { decodeMembers, encodeMembers, Ctap2MemberError } from '../../proto/ctap2/members.js';
import type { AuthenticatorInfo } from './authenticator-info.js';
import type { CtapChannel, TransactOptions } from './ctap-channel.js';
import { Fido2ProtocolError } from './ctap-error.js';
import type { PinUvAuthToken } from './pin-uv-auth-token.js';
import { decodeReply, requireReply } from './reply-fields.js';

/**
 * DEFLATE never expands data more than 1032:1 (RFC 1951's longest match of 258 bytes coded in two bits), so an
 * entry whose origSize is beyond that is not a blob of ours; it bounds what a read inflates.
 */
const DEFLATE_MAX_RATIO = 1032;

/**
 * How a per-credential blob is compressed before it is encrypted. CTAP 2.1 §6.10.3 says DEFLATE (RFC 1951, raw),
 * what current platforms write; python-fido2 before 1.0 and libfido2 before 1.11 wrote and read the zlib stream
 * (RFC 1950: DEFLATE with a two-byte header and an Adler-32 trailer). Reading accepts both; write 'zlib' only for a
 * platform that reads nothing else.
 */
export type LargeBlobCompression = 'deflate-raw' | 'zlib';

/**
 * NOT_SUPPORTED: the authenticator has no largeBlobs. TOO_LARGE: the array would exceed its limit. BAD_KEY: a key
 * that is not 32 bytes. UNREADABLE_ARRAY: the stored array passes its hash but is not a CBOR array this client
 * reads, so replacing one entry would drop the others.
 */
export type LargeBlobErrorCode = 'NOT_SUPPORTED' | 'TOO_LARGE' | 'BAD_KEY' | 'UNREADABLE_ARRAY';

/** A large-blob operation refused on the host's side, before anything reached the authenticator. */
export class LargeBlobError extends Error {
  override readonly name = 'LargeBlobError';
  constructor(
    readonly code: LargeBlobErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The authenticator's large-blob array as read. */
export interface LargeBlobArray {
  /** The decoded CBOR array; empty when the array failed its hash (§6.10.3: treat it as the initial array). */
  entries: CborValue[];
  /** The serialized bytes as stored, hash included. */
  serialized: Uint8Array;
  /** Whether the trailing hash matched and the rest is one CBOR array. */
  intact: boolean;
}

export interface LargeBlobWriteOptions extends TransactOptions {
  /** A token with the lbw permission; required once the authenticator is protected by a PIN or built-in UV. */
  token?: PinUvAuthToken;
}

export interface PutBlobOptions extends LargeBlobWriteOptions {
  /** Default 'deflate-raw' (the spec). */
  compression?: LargeBlobCompression;
}

function checkKey(key: Uint8Array, operation: string): void {
  if (!(key instanceof Uint8Array) || key.length !== LARGE_BLOB_KEY_BYTES)
    throw new LargeBlobError(
      'BAD_KEY',
      `${operation}: a largeBlobKey is ${LARGE_BLOB_KEY_BYTES} bytes (from makeCredential or getAssertion with extensions.largeBlobKey, or credentialManagement.credentials); got ${key?.length ?? 'nothing'}`,
    );
}

/** One entry of the array, encrypted under `key` (§6.10.3): AES-256-GCM over the compressed blob. */
export function sealLargeBlob(
  key: Uint8Array,
  data: Uint8Array,
  compression: LargeBlobCompression = 'deflate-raw',
  nonce: Uint8Array = new Uint8Array(randomBytes(LARGE_BLOB_NONCE_BYTES)),
): Map<number, CborInput> {
  checkKey(key, 'sealLargeBlob');
  const compressed = compression === 'zlib' ? deflateSync(data) : deflateRawSync(data);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: LARGE_BLOB_TAG_BYTES });
  cipher.setAAD(largeBlobAssociatedData(data.length));
  const ciphertext = Buffer.concat([cipher.update(compressed), cipher.final(), cipher.getAuthTag()]);
  return encodeMembers(LargeBlobMap, {
    ciphertext: new Uint8Array(ciphertext),
    nonce,
    origSize: data.length,
  }) as Map<number, CborInput>;
}

/** What can be told of an entry without its key: the blob's size and the ciphertext's, where the entry has them. */
export function largeBlobEntrySize(entry: CborValue): { origSize?: number; ciphertextBytes?: number } {
  if (!(entry instanceof Map)) return {};
  const origSize = entry.get(LargeBlobMap.origSize.key);
  const ciphertext = entry.get(LargeBlobMap.ciphertext.key);
  return {
    ...(typeof origSize === 'number' ? { origSize } : {}),
    ...(ciphertext instanceof Uint8Array ? { ciphertextBytes: ciphertext.length } : {}),
  };
}

/** The compressed plaintext of an entry if `key` opens it, else undefined (another credential's entry, or junk). */
function openEntry(key: Uint8Array, entry: CborValue): { compressed: Uint8Array; origSize: number } | undefined {
  let fields;
  try {
    fields = decodeMembers(LargeBlobMap, entry, 'large-blob entry');
  } catch (error) {
    if (error instanceof Ctap2MemberError) return undefined;
    throw error;
  }
  const { ciphertext, nonce, origSize } = fields;
  if (nonce.length !== LARGE_BLOB_NONCE_BYTES || ciphertext.length < LARGE_BLOB_TAG_BYTES) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: LARGE_BLOB_TAG_BYTES });
  decipher.setAAD(largeBlobAssociatedData(origSize));
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - LARGE_BLOB_TAG_BYTES));
  try {
    const compressed = Buffer.concat([
      decipher.update(ciphertext.subarray(0, ciphertext.length - LARGE_BLOB_TAG_BYTES)),
      decipher.final(),
    ]);
    return { compressed: new Uint8Array(compressed), origSize };
  } catch {
    return undefined; // the tag does not verify: not this key's entry
  }
}

/** The blob inside an opened entry: raw DEFLATE (the spec) or, failing that, a zlib stream; exactly origSize bytes. */
function inflate(compressed: Uint8Array, origSize: number): Uint8Array | undefined {
  if (origSize > (compressed.length + 1) * DEFLATE_MAX_RATIO) return undefined;
  for (const inflateWith of [inflateRawSync, inflateSync]) {
    try {
      const data = inflateWith(compressed, { maxOutputLength: Math.max(origSize, 1) });
      if (data.length === origSize) return new Uint8Array(data);
    } catch {
      // not this format, or longer than origSize
    }
  }
  return undefined;
}

/**
 * authenticatorLargeBlobs (CTAP 2.1 §6.10) from the platform's side, with the per-credential blobs of §6.10.3 on top:
 * each credential made with `extensions.largeBlobKey` has a 32-byte key, and its blob is an entry of the
 * authenticator's one array, encrypted under that key. Reading needs nothing; writing replaces the whole array and,
 * on an authenticator protected by a PIN or built-in UV, needs a token with the lbw permission
 * (`Permission.LARGE_BLOB_WRITE`). Use `Fido2Client.largeBlobs` rather than constructing one.
 */
export class LargeBlobs {
  constructor(
    private readonly channel: CtapChannel,
    private readonly info: (opts: TransactOptions) => Promise<AuthenticatorInfo>,
  ) {}

  private async limits(operation: string, opts: TransactOptions) {
    const info = await this.info(opts);
    if (info.options[OptionId.largeBlobs] !== true)
      throw new LargeBlobError(
        'NOT_SUPPORTED',
        `${operation}: this authenticator has no large-blob storage (getInfo option largeBlobs is not true)`,
      );
    return {
      maxFragment: largeBlobMaxFragmentLength(info.maxMsgSize ?? DEFAULT_MAX_MSG_SIZE),
      maxArray: info.maxSerializedLargeBlobArray,
    };
  }

  /** The serialized array, fragment by fragment (§6.10.2 get), until a fragment shorter than asked for. */
  async readSerialized(opts: TransactOptions = {}): Promise<Uint8Array> {
    const op = 'authenticatorLargeBlobs get';
    const { maxFragment, maxArray } = await this.limits(op, opts);
    const fragments: Uint8Array[] = [];
    let offset = 0;
    for (;;) {
      const reply = requireReply(
        await this.channel.call(
          Ctap2Command.LARGE_BLOBS,
          encodeMembers(LargeBlobsRequest, { get: maxFragment, offset }),
          op,
          opts,
        ),
        op,
      );
      const { config } = decodeReply(LargeBlobsResponse, reply, op);
      if (config === undefined) throw new Fido2ProtocolError(`${op}: the response lacks config (member 0x01)`);
      if (config.length > maxFragment)
        throw new Fido2ProtocolError(`${op}: ${config.length} bytes returned where at most ${maxFragment} were asked`);
      fragments.push(config);
      offset += config.length;
      // Memory stays bounded by what the authenticator announced (or, without an announcement, by a sane ceiling).
      if (offset > (maxArray ?? 1 << 20))
        throw new Fido2ProtocolError(`${op}: the array is longer than maxSerializedLargeBlobArray ${maxArray}`);
      if (config.length < maxFragment) break;
    }
    return new Uint8Array(Buffer.concat(fragments));
  }

  /** The array, checked: an array that fails its hash or is not a CBOR array reads as empty, as §6.10.3 says. */
  async read(opts: TransactOptions = {}): Promise<LargeBlobArray> {
    const serialized = await this.readSerialized(opts);
    if (!largeBlobArrayIntact(serialized)) return { entries: [], serialized, intact: false };
    let value: CborValue;
    try {
      value = decodeCanonical(serialized.subarray(0, serialized.length - LARGE_BLOB_ARRAY_HASH_BYTES));
    } catch (error) {
      if (error instanceof CborError) return { entries: [], serialized, intact: false };
      throw error;
    }
    return Array.isArray(value)
      ? { entries: value, serialized, intact: true }
      : { entries: [], serialized, intact: false };
  }

  /** Replaces the whole array (§6.10.2 set), in fragments of maxMsgSize − 64 bytes. */
  async write(entries: readonly CborInput[], opts: LargeBlobWriteOptions = {}): Promise<void> {
    const op = 'authenticatorLargeBlobs set';
    const { maxFragment, maxArray } = await this.limits(op, opts);
    const serialized = serializeLargeBlobArray(encodeCanonical(entries));
    if (maxArray !== undefined && serialized.length > maxArray)
      throw new LargeBlobError(
        'TOO_LARGE',
        `${op}: the array would be ${serialized.length} bytes; this authenticator keeps at most ${maxArray} (getInfo maxSerializedLargeBlobArray)`,
      );
    const { token } = opts;
    for (let offset = 0; offset < serialized.length; offset += maxFragment) {
      const fragment = serialized.subarray(offset, offset + maxFragment);
      await this.channel.call(
        Ctap2Command.LARGE_BLOBS,
        encodeMembers(LargeBlobsRequest, {
          set: fragment,
          offset,
          length: offset === 0 ? serialized.length : undefined,
          pinUvAuthParam: token?.authenticate(largeBlobsAuthMessage(offset, fragment)),
          pinUvAuthProtocol: token?.protocol.version,
        }),
        op,
        opts,
      );
    }
  }

  /** The blob of the credential whose largeBlobKey is `key`, or undefined when the array holds none for it. */
  async getBlob(key: Uint8Array, opts: TransactOptions = {}): Promise<Uint8Array | undefined> {
    checkKey(key, 'largeBlobs.getBlob');
    for (const entry of (await this.read(opts)).entries) {
      const opened = openEntry(key, entry);
      const data = opened === undefined ? undefined : inflate(opened.compressed, opened.origSize);
      if (data !== undefined) return data;
    }
    return undefined;
  }

  /**
   * The entries a per-credential change writes back beside its own. An array failing its hash is the initial one
   * (§6.10.3); one passing its hash that this client cannot read is refused rather than overwritten, since it may
   * hold other platforms' blobs.
   */
  private async entriesToKeep(op: string, opts: TransactOptions): Promise<CborValue[]> {
    const array = await this.read(opts);
    if (!array.intact && largeBlobArrayIntact(array.serialized))
      throw new LargeBlobError(
        'UNREADABLE_ARRAY',
        `${op}: the authenticator's large-blob array passes its hash but is not a CBOR array this client reads; changing one blob would drop the others. Inspect it with largeBlobs.readSerialized(), or replace it whole with largeBlobs.write()`,
      );
    return array.entries;
  }

  /** Stores `data` as the credential's blob, replacing any it had; other credentials' entries are kept as they are. */
  async putBlob(key: Uint8Array, data: Uint8Array, opts: PutBlobOptions = {}): Promise<void> {
    checkKey(key, 'largeBlobs.putBlob');
    const entries = await this.entriesToKeep('largeBlobs.putBlob', opts);
    const others = entries.filter((entry) => openEntry(key, entry) === undefined);
    await this.write([...(others as CborInput[]), sealLargeBlob(key, data, opts.compression)], opts);
  }

  /** Removes the credential's blob; false when it had none (and nothing was written). */
  async deleteBlob(key: Uint8Array, opts: LargeBlobWriteOptions = {}): Promise<boolean> {
    checkKey(key, 'largeBlobs.deleteBlob');
    const entries = await this.entriesToKeep('largeBlobs.deleteBlob', opts);
    const others = entries.filter((entry) => openEntry(key, entry) === undefined);
    if (others.length === entries.length) return false;
    await this.write(others, opts);
    return true;
  }
}
