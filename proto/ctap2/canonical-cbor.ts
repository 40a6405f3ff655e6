import { Encoder } from 'cbor-x';

/**
 * CTAP2 canonical CBOR (CTAP 2.1 §8 "Message Encoding"): integers and lengths in their shortest form, definite
 * lengths only, map keys sorted by encoded length first and then bytewise, no tags, and at most four levels of
 * nested maps/arrays. It is part of the wire contract: the band's authenticator (firmware-sim/ctap2/) and the host's
 * Fido2Client (host/fido2/) both use this one copy.
 *
 * Encoding goes through cbor-x after the value tree is normalised here, because cbor-x keeps insertion order for
 * maps, writes integers beyond 32 bits as floats and bigints always in 8 bytes. Decoding is our own strict reader:
 * a reply or request that is not canonical is refused rather than silently re-interpreted.
 */

export type CborKey = number | string;
export type CborMap = Map<CborKey, CborValue>;
export type CborValue = number | bigint | string | Uint8Array | boolean | null | CborValue[] | CborMap;

/** What the encoder accepts: decoded values, plus plain objects for convenience; undefined map entries are left out. */
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

const encoder = new Encoder({
  useRecords: false,
  variableMapSize: true,
  tagUint8Array: false,
  mapsAsObjects: false,
  useFloat32: 0,
  largeBigIntToFloat: false,
});

const UINT32_LIMIT = 2 ** 32;
const UINT64_LIMIT = 2n ** 64n;

type Normalised = number | bigint | string | Uint8Array | boolean | null | Normalised[] | Map<Normalised, Normalised>;

function normaliseInteger(value: number | bigint): number | bigint {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new CborError(
        'unsupported',
        `CTAP2 CBOR carries integers only; got ${value}. Pass a safe integer or a bigint.`,
      );
    }
    // cbor-x writes numbers of 2^32 and beyond as float64; as a bigint they get the 8-byte integer form.
    return value >= UINT32_LIMIT || value < -UINT32_LIMIT ? BigInt(value) : value;
  }
  // -2^64 itself is valid CBOR, but cbor-x writes it as a bignum tag; CTAP never needs it, so both directions refuse it.
  if (value >= UINT64_LIMIT || value <= -UINT64_LIMIT) {
    throw new CborError('unsupported', `integer ${value} is outside [-2^64+1, 2^64-1]; bignum tags are not CTAP2.`);
  }
  // cbor-x writes every bigint in 8 bytes; small ones must take the shortest form instead.
  return value < BigInt(UINT32_LIMIT) && value >= -BigInt(UINT32_LIMIT) ? Number(value) : value;
}

function encodeRaw(value: Normalised): Uint8Array {
  // cbor-x may hand out a view of a buffer it reuses for the next call: copy before keeping it.
  return new Uint8Array(encoder.encode(value));
}

function compareEncodedKeys(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return 0;
}

function normalise(value: CborInput, depth: number): Normalised {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return normaliseInteger(value);
  if (value instanceof Uint8Array) {
    // A Buffer subclass would be tagged by some encoders; a plain view keeps it a byte string.
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (depth >= 16) throw new CborError('too-deep', 'refusing to encode a value nested deeper than 16 levels');
  if (Array.isArray(value)) return (value as readonly CborInput[]).map((item) => normalise(item, depth + 1));
  const entries: [CborInput, CborInput | undefined][] =
    value instanceof Map
      ? [...(value as ReadonlyMap<CborKey, CborInput | undefined>).entries()]
      : Object.entries(value as { [key: string]: CborInput | undefined });
  const sorted: { key: Normalised; encodedKey: Uint8Array; value: Normalised }[] = [];
  for (const [key, item] of entries) {
    if (item === undefined) continue;
    if (typeof key !== 'number' && typeof key !== 'string') {
      throw new CborError('unsupported', `map keys must be integers or text strings; got ${typeof key}`);
    }
    const normalisedKey = normalise(key, depth + 1);
    sorted.push({ key: normalisedKey, encodedKey: encodeRaw(normalisedKey), value: normalise(item, depth + 1) });
  }
  sorted.sort((a, b) => compareEncodedKeys(a.encodedKey, b.encodedKey));
  for (let i = 1; i < sorted.length; i++) {
    if (compareEncodedKeys(sorted[i - 1].encodedKey, sorted[i].encodedKey) === 0) {
      throw new CborError('unsupported', `duplicate map key ${JSON.stringify(sorted[i].key)}`);
    }
  }
  return new Map(sorted.map((entry) => [entry.key, entry.value]));
}

/** Encodes `value` in CTAP2 canonical form. Throws CborError for floats, out-of-range integers and bad keys. */
export function encodeCanonical(value: CborInput): Uint8Array {
  return encodeRaw(normalise(value, 0));
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
    let value = 0n;
    for (let i = 0; i < size; i++) value = (value << 8n) | BigInt(this.bytes[this.pos++]);
    const floor = info === 24 ? 24n : info === 25 ? 0x100n : info === 26 ? 0x10000n : 0x100000000n;
    if (value < floor) {
      throw new CborError(
        'non-canonical',
        `${what} ${value} at offset ${this.pos - 1 - size} is not in its shortest form`,
      );
    }
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
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
        const raw = this.bytes.subarray(this.pos, this.pos + len);
        this.pos += len;
        try {
          return utf8.decode(raw);
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
        let previousKey: Uint8Array | undefined;
        for (let i = 0; i < count; i++) {
          const keyStart = this.pos;
          const key = this.read(depth + 1);
          if (!(typeof key === 'number' || typeof key === 'string')) {
            throw new CborError(
              'unsupported',
              `map key at offset ${keyStart} is ${describe(key)}; CTAP2 uses integer or text keys`,
            );
          }
          const encodedKey = this.bytes.subarray(keyStart, this.pos);
          if (previousKey !== undefined && compareEncodedKeys(previousKey, encodedKey) >= 0) {
            throw new CborError(
              'non-canonical',
              `map key ${JSON.stringify(key)} at offset ${keyStart} is duplicated or out of canonical order`,
            );
          }
          previousKey = encodedKey;
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
