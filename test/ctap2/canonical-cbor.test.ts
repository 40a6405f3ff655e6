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

describe('what the encoder refuses', () => {
  function refusal(value: unknown): string {
    try {
      encodeCanonical(value as never);
    } catch (error) {
      if (error instanceof CborError) return `${error.reason}: ${error.message}`;
      throw error;
    }
    return 'encoded';
  }
  class Credential {
    constructor(readonly id = Uint8Array.of(1)) {}
  }
  it.each([
    ['a Set', new Set([1, 2]), /unsupported: .*a Set; pass a plain object, a Map, an array or a Uint8Array/],
    ['a Date', new Date(0), /unsupported: .*a Date/],
    ['a RegExp', /x/, /unsupported: .*a RegExp/],
    ['a class instance with enumerable members', new Credential(), /unsupported: .*a Credential/],
    ['an ArrayBuffer', new ArrayBuffer(2), /unsupported: .*an ArrayBuffer; wrap the bytes in a Uint8Array/],
    ['a Uint16Array', Uint16Array.of(1), /unsupported: .*a Uint16Array; wrap the bytes in a Uint8Array/],
    ['a DataView', new DataView(new ArrayBuffer(1)), /unsupported: .*a DataView; wrap the bytes/],
    ['a Uint8ClampedArray', Uint8ClampedArray.of(1), /unsupported: .*a Uint8ClampedArray/],
    ['a boxed string', new String('a'), /unsupported: .*a String/],
    ['a Promise', Promise.resolve(1), /unsupported: .*a Promise/],
    ['an Error', new Error('x'), /unsupported: .*an Error/],
    ['an object with symbol keys', { [Symbol('s')]: 1, a: 1 }, /unsupported: .*an object with symbol keys/],
    ['a function', () => 1, /unsupported: CTAP2 CBOR has no function values/],
    ['a symbol', Symbol('s'), /unsupported: CTAP2 CBOR has no symbol values/],
    ['undefined on its own', undefined, /unsupported: CTAP2 CBOR has no undefined values/],
    ['undefined in an array', [1, undefined], /unsupported: CTAP2 CBOR has no undefined values/],
    ['a hole in an array', [1, , 3], /unsupported: CTAP2 CBOR has no undefined values/], // eslint-disable-line no-sparse-arrays
    ['a float', 0.5, /unsupported: CTAP2 CBOR carries integers only/],
    ['a boolean map key', new Map([[true, 1]]), /unsupported: map keys must be integers or text strings/],
    ['a float map key', new Map([[1.5, 1]]), /unsupported: CTAP2 CBOR carries integers only/],
  ])('refuses %s with its typed error', (_, value, expected) => {
    expect(refusal(value)).toMatch(expected);
  });

  it('refuses such a value wherever it is nested, not only at the top', () => {
    expect(refusal(new Map([[1, { x: [new Set([1])] }]]))).toMatch(/unsupported: .*a Set/);
    expect(refusal({ when: new Date(0) })).toMatch(/unsupported: .*a Date/);
  });

  it('still encodes everything it encodes faithfully', () => {
    const nullPrototype = Object.create(null) as Record<string, number>;
    nullPrototype.a = 1;
    class Members extends Map<number, number> {}
    expect(hex(encodeCanonical(nullPrototype))).toBe('a1' + '6161' + '01');
    expect(hex(encodeCanonical(new Members([[1, 2]])))).toBe('a1' + '0102');
    expect(hex(encodeCanonical(Buffer.from([9])))).toBe('4109');
    expect(hex(encodeCanonical([true, false, null, 'x', -1, 2n ** 63n]))).toBe(
      '86' + 'f5' + 'f4' + 'f6' + '6178' + '20' + '1b8000000000000000',
    );
    expect(hex(encodeCanonical({ kept: 1, left: undefined }))).toBe('a1' + '646b657074' + '01');
  });

  it('writes nothing into a later message after a refusal', () => {
    expect(refusal([1, 2, new Set()])).toMatch(/unsupported/);
    expect(hex(encodeCanonical([3]))).toBe('8103');
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
    ['indefinite-length map', 'bf0102ff', 'non-canonical'],
    ['indefinite-length byte string', '5f4101ff', 'non-canonical'],
    ['indefinite-length text string', '7f6161ff', 'non-canonical'],
    ['a lone break', 'ff', 'malformed'],
    ['non-minimal 8-byte integer', '1b00000000ffffffff', 'non-canonical'],
    ['non-minimal negative integer', '3800', 'non-canonical'],
    ['non-minimal map length', 'b8010102', 'non-canonical'],
    ['a map nested five deep', 'a101a101a101a101a10101', 'too-deep'],
    ['a text key after a longer one', 'a2626262016161' + '02', 'non-canonical'],
    ['a text key sorted before an integer key', 'a2616101' + '0102', 'non-canonical'],
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
    expect(reason('a1010200')).toBe('trailing-bytes');
  });

  it('takes a deeper bound only when the caller asks for one', () => {
    expect(() => decodeCanonical(bytes('8181818181' + '01'), { maxDepth: 5 })).not.toThrow();
    expect(() => decodeCanonical(bytes('818181818181' + '01'), { maxDepth: 5 })).toThrow(CborError);
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
