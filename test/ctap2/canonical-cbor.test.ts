import { Encoder } from 'cbor-x';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CborError, decodeCanonical, encodeCanonical, type CborValue } from '../../proto/ctap2/canonical-cbor.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));

function reason(input: string): string {
  try {
    decodeCanonical(bytes(input));
    return 'accepted';
  } catch (error) {
    if (error instanceof CborError) return error.reason;
    throw error;
  }
}

describe('canonical CBOR encoder', () => {
  it('sorts map keys length-first then bytewise, integers before text of the same length', () => {
    const encoded = encodeCanonical(
      new Map<number | string, CborValue>([
        ['bb', 1],
        [-1, 2],
        ['a', 3],
        [24, 4],
        [1, 5],
      ]),
    );
    // 01 (1), 20 (-1), 1818 (24), 6161 ("a"), 626262 ("bb")
    expect(hex(encoded)).toBe('a5' + '0105' + '2002' + '181804' + '616103' + '62626201');
  });

  it('writes integers in their shortest form, including ones beyond 32 bits', () => {
    expect(hex(encodeCanonical(23))).toBe('17');
    expect(hex(encodeCanonical(24))).toBe('1818');
    expect(hex(encodeCanonical(2 ** 32))).toBe('1b0000000100000000');
    expect(hex(encodeCanonical(10n))).toBe('0a');
    expect(hex(encodeCanonical(-(2 ** 32) - 1))).toBe('3b0000000100000000');
  });

  it('sorts nested maps and leaves out undefined members', () => {
    expect(hex(encodeCanonical({ type: 'public-key', id: Uint8Array.of(1), extra: undefined }))).toBe(
      'a2' + '626964' + '4101' + '64747970656a7075626c69632d6b6579',
    );
  });

  it('refuses floats and integers beyond 64 bits', () => {
    expect(() => encodeCanonical(1.5)).toThrow(CborError);
    expect(() => encodeCanonical(Number.NaN)).toThrow(CborError);
    expect(() => encodeCanonical(2n ** 64n)).toThrow(CborError);
    expect(() => encodeCanonical(-(2n ** 64n))).toThrow(CborError);
  });
});

describe('strict decoder', () => {
  it('accepts canonical input', () => {
    expect(reason('a201020304')).toBe('accepted');
  });
  it.each([
    ['unsorted map keys', 'a203040102', 'non-canonical'],
    ['duplicate map keys', 'a201020103', 'non-canonical'],
    ['non-minimal integer', '1817', 'non-canonical'],
    ['non-minimal length', '5801ff', 'non-canonical'],
    ['indefinite-length array', '9f01ff', 'non-canonical'],
    ['tag', 'c240', 'unsupported'],
    ['float', 'f93c00', 'unsupported'],
    ['undefined', 'f7', 'unsupported'],
    ['five levels of nesting', '8181818181' + '01', 'too-deep'],
    ['truncated byte string', '4301', 'malformed'],
    ['invalid UTF-8', '62c328', 'malformed'],
    ['a length beyond the input', '9a00010000', 'malformed'],
    ['byte-string map key', 'a1410101', 'unsupported'],
    ['reserved additional information', '1c', 'malformed'],
    ['the integer -2^64', '3bffffffffffffffff', 'unsupported'],
  ])('rejects %s', (_, input, expected) => {
    expect(reason(input)).toBe(expected);
  });

  it('rejects bytes after the item', () => {
    expect(reason('0101')).toBe('trailing-bytes');
  });

  it('accepts four levels of nesting', () => {
    expect(reason('81818181' + '01')).toBe('accepted');
  });
});

const key = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.string({ maxLength: 8 }));
const leaf = fc.oneof(
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc
    .bigInt({ min: -(2n ** 64n) + 1n, max: 2n ** 64n - 1n })
    .filter((b) => b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)),
  fc.string({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 40 }),
  fc.boolean(),
  fc.constant(null),
);
const value: fc.Arbitrary<CborValue> = fc.letrec<{ node: CborValue }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('node'), { maxLength: 4 }),
    fc
      .uniqueArray(fc.tuple(key, tie('node')), {
        maxLength: 4,
        selector: ([k]) => (typeof k === 'number' ? `n${k}` : `s${k}`),
      })
      .map((entries) => new Map(entries)),
  ),
})).node;

describe('round trips (property)', () => {
  it('decode(encode(v)) reproduces v and encode(decode(b)) reproduces b', () => {
    fc.assert(
      fc.property(value, (v) => {
        const encoded = encodeCanonical(v);
        let decoded: CborValue;
        try {
          decoded = decodeCanonical(encoded, { maxDepth: 64 });
        } catch (error) {
          throw new Error(`own output rejected: ${hex(encoded)}: ${(error as Error).message}`, { cause: error });
        }
        expect(decoded).toEqual(v);
        expect(hex(encodeCanonical(decoded))).toBe(hex(encoded));
      }),
      { numRuns: 300 },
    );
  });

  it('anything the decoder accepts re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (input) => {
        let decoded: CborValue;
        try {
          decoded = decodeCanonical(input);
        } catch (error) {
          expect(error).toBeInstanceOf(CborError);
          return;
        }
        expect(hex(encodeCanonical(decoded))).toBe(hex(input));
      }),
      { numRuns: 3000 },
    );
  });
});

/**
 * An independent encoder for the same bytes: cbor-x, after the value is put in canonical shape (map keys sorted by
 * their cbor-x encoding, integers from 2^32 on as bigints, small bigints as numbers), as the project encoded before
 * it wrote CTAP2 CBOR itself.
 */
const cborX = new Encoder({
  useRecords: false,
  variableMapSize: true,
  tagUint8Array: false,
  mapsAsObjects: false,
  useFloat32: 0,
  largeBigIntToFloat: false,
});
const cborXBytes = (v: unknown) => new Uint8Array(cborX.encode(v));
function canonicalShape(v: CborValue): unknown {
  if (typeof v === 'number') return Math.abs(v) >= 2 ** 32 && !(v === -(2 ** 32)) ? BigInt(v) : v;
  if (typeof v === 'bigint') return v < 2n ** 32n && v >= -(2n ** 32n) ? Number(v) : v;
  if (Array.isArray(v)) return v.map(canonicalShape);
  if (v instanceof Map) {
    const entries = [...v.entries()].map(([k, item]) => ({ k, key: cborXBytes(canonicalShape(k)), item }));
    entries.sort((a, b) => a.key.length - b.key.length || Buffer.compare(a.key, b.key));
    return new Map(entries.map(({ k, item }) => [canonicalShape(k), canonicalShape(item)]));
  }
  return v;
}

describe('the canonical writer against cbor-x', () => {
  const text = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30, unit: 'grapheme' }));
  const anyKey = fc.oneof(fc.integer({ min: -70000, max: 70000 }), text);
  const anyLeaf = fc.oneof(
    leaf,
    text,
    fc.integer({ min: -(2 ** 33), max: 2 ** 33 }),
    fc.uint8Array({ minLength: 20, maxLength: 300 }),
  );
  const tree: fc.Arbitrary<CborValue> = fc.letrec<{ node: CborValue }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      anyLeaf,
      fc.array(tie('node'), { maxLength: 30 }),
      fc
        .uniqueArray(fc.tuple(anyKey, tie('node')), {
          maxLength: 6,
          selector: ([k]) => (typeof k === 'number' ? `n${k}` : `s${k}`),
        })
        .map((entries) => new Map(entries)),
    ),
  })).node;

  it('writes the bytes cbor-x writes for the value in canonical shape', () => {
    fc.assert(
      fc.property(tree, (v) => {
        expect(hex(encodeCanonical(v))).toBe(hex(cborXBytes(canonicalShape(v))));
      }),
      { numRuns: 500 },
    );
  });

  it('sorts large maps as it sorts small ones', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(anyKey, anyLeaf), {
          minLength: 10,
          maxLength: 60,
          selector: ([k]) => (typeof k === 'number' ? `n${k}` : `s${k}`),
        }),
        (entries) => {
          const v = new Map<number | string, CborValue>(entries);
          expect(hex(encodeCanonical(v))).toBe(hex(cborXBytes(canonicalShape(v))));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('writes a message larger than its scratch buffer, and a Buffer as a plain byte string', () => {
    const big = new Map<number, CborValue>([
      [1, new Uint8Array(5000).fill(7)],
      [2, Buffer.from('abc')],
    ]);
    expect(decodeCanonical(encodeCanonical(big))).toEqual(
      new Map<number, CborValue>([
        [1, new Uint8Array(5000).fill(7)],
        [2, Uint8Array.from(Buffer.from('abc'))],
      ]),
    );
  });
});
