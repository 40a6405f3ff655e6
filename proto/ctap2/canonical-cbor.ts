/**
 * CTAP2 canonical CBOR (CTAP 2.1 §8 "Message Encoding"): integers and lengths in their shortest form, definite
 * lengths only, map keys sorted by encoded length first and then bytewise, no tags, and at most four levels of
 * nested maps/arrays. It is part of the wire contract: the band's authenticator (firmware-sim/ctap2/) and the host's
 * Fido2Client (host/fido2/) both use this one copy.
 *
 * Both directions are written here: general encoders (cbor-x) keep insertion order for maps, write integers beyond
 * 32 bits as floats and bigints always in 8 bytes, so they needed a normalising pass that cost more than a P-256
 * signature per message; the writer below is one pass. Decoding is a strict reader: a reply or request that is not
 * canonical is refused rather than silently re-interpreted.
 */

export type CborKey = number | string;
export type CborMap = Map<CborKey, CborValue>;
export type CborValue = number | bigint | string | Uint8Array | boolean | null | CborValue[] | CborMap;

/**
 * What the encoder accepts: decoded values, plus plain objects for convenience; undefined map entries are left out.
 * Nothing else: a Set, Date, class instance or other typed array is refused at run time (CborError 'unsupported').
 */
export type CborInput =
  | number
  | bigint
  | string
  | Uint8Array
  | boolean
  | null
  | readonly CborInput[]
  | ReadonlyMap<CborKey, CborInput | undefined>
  | { readonly [key: string]: CborInput | undefined };

export type CborErrorReason = 'malformed' | 'non-canonical' | 'unsupported' | 'too-deep' | 'trailing-bytes';

export class CborError extends Error {
  override readonly name = 'CborError';
  constructor(
    readonly reason: CborErrorReason,
    message: string,
  ) {
    super(message);
  }
}

/** CTAP 2.1 §8: "the depth of nested CBOR structures ... is limited to at most four (4) levels". */
export const CTAP_MAX_NESTING = 4;

const UINT32_LIMIT = 2 ** 32;
const UINT64_LIMIT = 2n ** 64n;
/** A depth no CTAP2 structure comes near; past it the input is a cycle or a mistake. */
const MAX_ENCODE_DEPTH = 16;

function notAnInteger(value: number): never {
  throw new CborError(
    'unsupported',
    `CTAP2 CBOR carries integers only; got ${value}. Pass a safe integer or a bigint.`,
  );
}

/**
 * The canonical writer: one pass over the value into one growing buffer, map entries sorted by their encoded keys
 * as it goes. Integers take their shortest form at every size (the eight-byte form from 2^32 on, for numbers and
 * bigints alike), byte strings are written as they are whatever their class, and undefined map members are left
 * out. `test/ctap2/canonical-cbor.test.ts` checks its bytes against cbor-x on the normalised value.
 */
class CanonicalWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(scratch: Uint8Array) {
    this.buf = scratch;
    this.view = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);
  }

  /** The bytes written, copied out (the scratch buffer is the next call's). */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }

  /** An initial byte with major type `major` and argument `n` (0 <= n < 2^53) in its shortest form. */
  private head(major: number, n: number): void {
    this.room(9);
    const m = major << 5;
    if (n < 24) this.buf[this.pos++] = m | n;
    else if (n < 0x100) {
      this.buf[this.pos++] = m | 24;
      this.buf[this.pos++] = n;
    } else if (n < 0x10000) {
      this.buf[this.pos++] = m | 25;
      this.view.setUint16(this.pos, n);
      this.pos += 2;
    } else if (n < UINT32_LIMIT) {
      this.buf[this.pos++] = m | 26;
      this.view.setUint32(this.pos, n);
      this.pos += 4;
    } else {
      this.buf[this.pos++] = m | 27;
      this.view.setUint32(this.pos, Math.floor(n / UINT32_LIMIT));
      this.view.setUint32(this.pos + 4, n >>> 0);
      this.pos += 8;
    }
  }

  private integer(value: number | bigint): void {
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) notAnInteger(value);
      if (value >= 0) this.head(0, value);
      else this.head(1, -1 - value);
      return;
    }
    // -2^64 itself is valid CBOR, but CTAP never needs it (it takes a bignum tag in most encoders), so both
    // directions refuse it.
    if (value >= UINT64_LIMIT || value <= -UINT64_LIMIT) {
      throw new CborError('unsupported', `integer ${value} is outside [-2^64+1, 2^64-1]; bignum tags are not CTAP2.`);
    }
    const major = value >= 0n ? 0 : 1;
    const n = value >= 0n ? value : -1n - value;
    if (n <= BigInt(Number.MAX_SAFE_INTEGER)) return this.head(major, Number(n));
    this.room(9);
    this.buf[this.pos++] = (major << 5) | 27;
    this.view.setBigUint64(this.pos, n);
    this.pos += 8;
  }

  private text(value: string): void {
    const length = value.length;
    // Short ASCII text (every CTAP2 member name, most RP IDs) is its own UTF-8.
    if (length < 24) {
      let ascii = true;
      for (let i = 0; i < length && ascii; i++) ascii = value.charCodeAt(i) < 0x80;
      if (ascii) {
        this.room(1 + length);
        this.buf[this.pos++] = 0x60 | length;
        for (let i = 0; i < length; i++) this.buf[this.pos++] = value.charCodeAt(i);
        return;
      }
    }
    const encoded = utf8Encoder.encode(value);
    this.head(3, encoded.length);
    this.room(encoded.length);
    this.buf.set(encoded, this.pos);
    this.pos += encoded.length;
  }

  write(value: CborInput, depth: number): void {
    if (value === null) {
      this.room(1);
      this.buf[this.pos++] = 0xf6;
    } else if (typeof value === 'boolean') {
      this.room(1);
      this.buf[this.pos++] = value ? 0xf5 : 0xf4;
    } else if (typeof value === 'string') this.text(value);
    else if (typeof value === 'number' || typeof value === 'bigint') this.integer(value);
    else if (value instanceof Uint8Array) {
      this.head(2, value.length);
      this.room(value.length);
      this.buf.set(value, this.pos);
      this.pos += value.length;
    } else if (typeof value !== 'object') {
      throw new CborError('unsupported', `CTAP2 CBOR has no ${typeof value} values`);
    } else {
      if (depth >= MAX_ENCODE_DEPTH)
        throw new CborError('too-deep', `refusing to encode a value nested deeper than ${MAX_ENCODE_DEPTH} levels`);
      if (Array.isArray(value)) {
        const items = value as readonly CborInput[];
        this.head(4, items.length);
        for (const item of items) this.write(item, depth + 1);
      } else if (value instanceof Map || isPlainObject(value)) this.map(value, depth);
      else refuseObject(value);
    }
  }

  private map(
    value: ReadonlyMap<CborKey, CborInput | undefined> | { readonly [key: string]: CborInput | undefined },
    depth: number,
  ): void {
    const entries: { encodedKey: Uint8Array; key: CborKey; value: CborInput }[] = [];
    const add = (key: unknown, item: CborInput | undefined) => {
      if (item === undefined) return;
      if (typeof key !== 'number' && typeof key !== 'string') {
        throw new CborError('unsupported', `map keys must be integers or text strings; got ${typeof key}`);
      }
      entries.push({ encodedKey: encodeKey(key), key, value: item });
    };
    if (value instanceof Map)
      for (const [key, item] of value as ReadonlyMap<CborKey, CborInput | undefined>) add(key, item);
    else
      for (const key of Object.keys(value)) add(key, (value as { readonly [key: string]: CborInput | undefined })[key]);
    // CTAP2 maps are small: an insertion sort allocates nothing (Array.prototype.sort copies); large maps use sort.
    if (entries.length > 16) entries.sort((a, b) => compareEncodedKeys(a.encodedKey, b.encodedKey));
    else
      for (let i = 1; i < entries.length; i++) {
        const entry = entries[i];
        let j = i - 1;
        for (; j >= 0 && compareEncodedKeys(entries[j].encodedKey, entry.encodedKey) > 0; j--)
          entries[j + 1] = entries[j];
        entries[j + 1] = entry;
      }
    for (let i = 1; i < entries.length; i++) {
      if (compareEncodedKeys(entries[i - 1].encodedKey, entries[i].encodedKey) === 0) {
        throw new CborError('unsupported', `duplicate map key ${JSON.stringify(entries[i].key)}`);
      }
    }
    this.head(5, entries.length);
    for (const entry of entries) {
      this.room(entry.encodedKey.length);
      this.buf.set(entry.encodedKey, this.pos);
      this.pos += entry.encodedKey.length;
      this.write(entry.value, depth + 1);
    }
  }
}

const utf8Encoder = new TextEncoder();

/** An object literal (or `Object.create(null)`): its own enumerable string keys are all it holds. */
function isPlainObject(value: object): value is { readonly [key: string]: CborInput | undefined } {
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  // Symbol keys have no CBOR form; dropping them would encode less than the caller gave.
  return Object.getOwnPropertySymbols(value).length === 0;
}

/**
 * Anything else that is an object — a Set, Date, RegExp, ArrayBuffer, another typed array, a boxed primitive, a
 * class instance — has no faithful CTAP2 encoding: written as a map of its enumerable properties it would reach the
 * peer as something else (a Set as an empty map), so it is refused instead.
 */
function refuseObject(value: object): never {
  const prototype: unknown = Object.getPrototypeOf(value);
  const constructorName = (value.constructor as { name?: unknown } | undefined)?.name;
  const kind =
    prototype === Object.prototype || prototype === null
      ? 'an object with symbol keys'
      : typeof constructorName === 'string' && constructorName !== ''
        ? `${/^[AEIO]/.test(constructorName) ? 'an' : 'a'} ${constructorName}`
        : 'an object with a custom prototype';
  const hint =
    value instanceof ArrayBuffer || ArrayBuffer.isView(value)
      ? 'wrap the bytes in a Uint8Array'
      : 'pass a plain object, a Map, an array or a Uint8Array';
  throw new CborError('unsupported', `CTAP2 CBOR has no encoding for ${kind}; ${hint}.`);
}

/**
 * Encoded map keys by key: CTAP2 maps are keyed by a few small integers and short member names, and the encoding of
 * a key never changes. Bounded: past the bound, and for long text keys, keys are encoded every time.
 */
const ENCODED_KEYS_KEPT = 1024;
const ENCODED_KEY_MAX_TEXT = 64;
const encodedKeys = new Map<number | string, Uint8Array>();

function encodeKey(key: number | string): Uint8Array {
  let encoded = encodedKeys.get(key);
  if (encoded === undefined) {
    encoded = encodeCanonical(key);
    if (encodedKeys.size < ENCODED_KEYS_KEPT && (typeof key === 'number' || key.length <= ENCODED_KEY_MAX_TEXT))
      encodedKeys.set(key, encoded);
  }
  return encoded;
}

/** compareEncodedKeys for two ranges of one array. */
function compareRanges(bytes: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): number {
  if (aEnd - aStart !== bEnd - bStart) return aEnd - aStart - (bEnd - bStart);
  for (let i = 0; i < aEnd - aStart; i++) {
    if (bytes[aStart + i] !== bytes[bStart + i]) return bytes[aStart + i] - bytes[bStart + i];
  }
  return 0;
}

function compareEncodedKeys(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return 0;
}

/**
 * Where encodings are written before they are copied out: allocating a fresh buffer (and its DataView) per message
 * cost more than the encoding. A key encoded while the scratch is in use (the first time a key is seen) gets its own.
 */
const scratch = new Uint8Array(1024);
let scratchInUse = false;

/**
 * Encodes `value` in CTAP2 canonical form. Throws CborError ('unsupported') for floats, out-of-range integers, bad
 * keys, undefined outside a map member, and any object other than a plain object, Map, array or Uint8Array.
 */
export function encodeCanonical(value: CborInput): Uint8Array {
  if (scratchInUse) {
    const writer = new CanonicalWriter(new Uint8Array(64));
    writer.write(value, 0);
    return writer.bytes();
  }
  scratchInUse = true;
  try {
    const writer = new CanonicalWriter(scratch);
    writer.write(value, 0);
    return writer.bytes();
  } finally {
    scratchInUse = false;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

class StrictReader {
  pos: number;
  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    private readonly maxDepth: number,
  ) {
    this.pos = start;
  }

  private need(n: number): void {
    if (n > this.bytes.length - this.pos) {
      throw new CborError(
        'malformed',
        `CBOR item needs ${n} more byte(s) at offset ${this.pos} but only ${this.bytes.length - this.pos} remain`,
      );
    }
  }

  private byte(): number {
    this.need(1);
    return this.bytes[this.pos++];
  }

  /** Reads the argument of an initial byte and checks it uses the shortest form. */
  private argument(info: number, what: string): number | bigint {
    if (info < 24) return info;
    if (info === 31)
      throw new CborError(
        'non-canonical',
        `indefinite-length ${what} at offset ${this.pos - 1}; CTAP2 requires definite lengths`,
      );
    if (info > 27)
      throw new CborError('malformed', `reserved additional information ${info} at offset ${this.pos - 1}`);
    const size = 1 << (info - 24);
    this.need(size);
    const b = this.bytes;
    const at = this.pos;
    this.pos += size;
    // Numbers up to four bytes; the eight-byte form as two 32-bit halves, a bigint only beyond 2^53.
    let value: number | bigint;
    if (size === 1) value = b[at];
    else if (size === 2) value = (b[at] << 8) | b[at + 1];
    else if (size === 4) value = ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
    else {
      const high = ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
      const low = ((b[at + 4] << 24) | (b[at + 5] << 16) | (b[at + 6] << 8) | b[at + 7]) >>> 0;
      value = high < 0x200000 ? high * UINT32_LIMIT + low : (BigInt(high) << 32n) | BigInt(low);
    }
    const floor = info === 24 ? 24 : info === 25 ? 0x100 : info === 26 ? 0x10000 : UINT32_LIMIT;
    if (value < floor) {
      throw new CborError('non-canonical', `${what} ${value} at offset ${at - 1} is not in its shortest form`);
    }
    return value;
  }

  private length(info: number, what: string): number {
    const value = this.argument(info, what);
    if (typeof value === 'bigint' || value > this.bytes.length - this.pos) {
      // Every element takes at least one byte, so a count beyond the remaining bytes is a lie.
      throw new CborError(
        'malformed',
        `${what} length ${value} exceeds the ${this.bytes.length - this.pos} remaining bytes`,
      );
    }
    return value;
  }

  read(depth: number): CborValue {
    const start = this.pos;
    const initial = this.byte();
    const major = initial >> 5;
    const info = initial & 0x1f;
    switch (major) {
      case 0:
        return this.argument(info, 'unsigned integer');
      case 1: {
        const n = this.argument(info, 'negative integer');
        if (n === 0xffffffffffffffffn)
          throw new CborError('unsupported', `integer -2^64 at offset ${start} is not used by CTAP2`);
        const value = -1n - BigInt(n);
        return value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value;
      }
      case 2: {
        const len = this.length(info, 'byte string');
        this.need(len);
        const out = this.bytes.slice(this.pos, this.pos + len);
        this.pos += len;
        return out;
      }
      case 3: {
        const len = this.length(info, 'text string');
        this.need(len);
        const at = this.pos;
        this.pos += len;
        // Short ASCII text (member names, RP IDs) is valid UTF-8 as it stands.
        if (len <= 64) {
          let text = '';
          let i = at;
          for (; i < at + len && this.bytes[i] < 0x80; i++) text += String.fromCharCode(this.bytes[i]);
          if (i === at + len) return text;
        }
        try {
          return utf8.decode(this.bytes.subarray(at, at + len));
        } catch {
          throw new CborError('malformed', `text string at offset ${start} is not valid UTF-8`);
        }
      }
      case 4: {
        if (depth >= this.maxDepth)
          throw new CborError('too-deep', `array at offset ${start} nests deeper than ${this.maxDepth} levels`);
        const count = this.length(info, 'array');
        const out: CborValue[] = [];
        for (let i = 0; i < count; i++) out.push(this.read(depth + 1));
        return out;
      }
      case 5: {
        if (depth >= this.maxDepth)
          throw new CborError('too-deep', `map at offset ${start} nests deeper than ${this.maxDepth} levels`);
        const count = this.length(info, 'map');
        const out: CborMap = new Map();
        // The previous key's encoding, as a range of the input (no view per key).
        let previousStart = -1;
        let previousEnd = -1;
        for (let i = 0; i < count; i++) {
          const keyStart = this.pos;
          const key = this.read(depth + 1);
          if (!(typeof key === 'number' || typeof key === 'string')) {
            throw new CborError(
              'unsupported',
              `map key at offset ${keyStart} is ${describe(key)}; CTAP2 uses integer or text keys`,
            );
          }
          if (previousStart >= 0 && compareRanges(this.bytes, previousStart, previousEnd, keyStart, this.pos) >= 0) {
            throw new CborError(
              'non-canonical',
              `map key ${JSON.stringify(key)} at offset ${keyStart} is duplicated or out of canonical order`,
            );
          }
          previousStart = keyStart;
          previousEnd = this.pos;
          out.set(key, this.read(depth + 1));
        }
        return out;
      }
      case 6:
        throw new CborError('unsupported', `tag at offset ${start}; CTAP2 canonical CBOR has no tags`);
      default: {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        if (info === 31) throw new CborError('malformed', `unexpected break at offset ${start}`);
        if (info >= 25 && info <= 27)
          throw new CborError('unsupported', `floating-point value at offset ${start}; CTAP2 uses no floats`);
        throw new CborError(
          'unsupported',
          `simple value ${info} at offset ${start}; only false, true and null are used`,
        );
      }
    }
  }
}

function describe(value: CborValue): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return 'a byte string';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Map) return 'a map';
  return `a ${typeof value}`;
}

/** Decodes exactly one canonical item filling all of `bytes`. */
export function decodeCanonical(bytes: Uint8Array, options: { maxDepth?: number } = {}): CborValue {
  const { value, end } = decodeCanonicalPrefix(bytes, 0, options);
  if (end !== bytes.length) {
    throw new CborError(
      'trailing-bytes',
      `${bytes.length - end} byte(s) follow the CBOR item that ended at offset ${end}`,
    );
  }
  return value;
}

/** Decodes one canonical item starting at `offset` and says where it ended (authenticatorData embeds CBOR). */
export function decodeCanonicalPrefix(
  bytes: Uint8Array,
  offset: number,
  options: { maxDepth?: number } = {},
): { value: CborValue; end: number } {
  const reader = new StrictReader(bytes, offset, options.maxDepth ?? CTAP_MAX_NESTING);
  const value = reader.read(0);
  return { value, end: reader.pos };
}
