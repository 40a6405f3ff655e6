import { createRequire } from 'node:module';
import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, simdCrc32 } from '../../transport/crc32.js';

/**
 * A node_modules installed before the dependency was added (`npm install` brings it) skips the addon check with the
 * reason; under REQUIRE_SYSTEM_DEPS=1 (CI, after `npm ci`) it is checked, so a build that lost it cannot pass.
 */
function addonInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('@node-rs/crc32');
    return true;
  } catch {
    if (process.env.REQUIRE_SYSTEM_DEPS === '1') return true;
    console.log('crc32: @node-rs/crc32 is not installed (run npm install); only the zlib path is checked');
    return false;
  }
}

describe('crc32', () => {
  it.skipIf(!addonInstalled())(
    'loads the SIMD CRC-32 where @node-rs/crc32 ships a binary (Linux x64 and arm64 here)',
    () => {
      if (process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64'))
        expect(simdCrc32).toBe(true);
    },
  );

  it("gives zlib's CRC-32 for every length, seed and position in a larger array, either side of the on-heap limit", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 600 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (bytes, offset, seed) => {
          const view = new Uint8Array(offset + bytes.length + 3).subarray(offset, offset + bytes.length);
          view.set(bytes);
          const expected = bytes.length === 0 ? seed : zlibCrc32(bytes, seed);
          expect(crc32(view, seed)).toBe(expected);
          expect(crc32(bytes, seed)).toBe(expected);
        },
      ),
      { numRuns: 500 },
    );
    const largest = Uint8Array.from({ length: 7609 }, (_, i) => (i * 131 + 7) & 0xff);
    expect(crc32(largest, 0x12345678)).toBe(zlibCrc32(largest, 0x12345678));
  });

  it('continues a CRC: the CRC of a + b is the CRC of b seeded with the CRC of a; nothing more leaves it as it was', () => {
    const bytes = new TextEncoder().encode('123456789'.repeat(20));
    for (const cut of [0, 1, 64, 65, 100, bytes.length]) {
      expect(crc32(bytes.subarray(cut), crc32(bytes.subarray(0, cut), 0))).toBe(zlibCrc32(bytes));
    }
    expect(crc32(new Uint8Array(0), 0xdeadbeef)).toBe(0xdeadbeef);
    expect(crc32(new TextEncoder().encode('123456789'), 0)).toBe(0xcbf43926);
  });
});
