import fc from 'fast-check';
import type { CborValue } from '../../host/fido2/index.js';

export const cborKey = fc.oneof(
  fc.integer({ min: -30, max: 30 }),
  fc.constantFrom('id', 'type', 'alg', 'rk', 'up', 'uv', 'name', 'hmac-secret', 'credProtect'),
  fc.string({ maxLength: 6 }),
);

export const cborLeaf: fc.Arbitrary<CborValue> = fc.oneof(
  fc.integer({ min: -300, max: 300 }),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.string({ maxLength: 20 }),
  fc.uint8Array({ maxLength: 70 }),
  fc.boolean(),
  fc.constant(null),
);

/** Any value the CTAP2 canonical encoder can write, at most `depth` containers deep. */
export function cborValue(depth = 3): fc.Arbitrary<CborValue> {
  if (depth === 0) return cborLeaf;
  const inner = cborValue(depth - 1);
  return fc.oneof(
    { weight: 3, arbitrary: cborLeaf },
    { weight: 1, arbitrary: fc.array(inner, { maxLength: 4 }) },
    {
      weight: 1,
      arbitrary: fc
        .uniqueArray(fc.tuple(cborKey, inner), {
          maxLength: 5,
          selector: ([k]) => (typeof k === 'number' ? `n${k}` : `s${k}`),
        })
        .map((entries) => new Map(entries)),
    },
  );
}
