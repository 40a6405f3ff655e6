import { createRequire } from 'node:module';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { ON_HEAP_LIMIT } from './bytes.js';

/**
 * CRC-32 (ISO-HDLC: zlib's, reflected 0xEDB88320) of `bytes`, continued from `seed` (the CRC of what came before).
 *
 * Node's bundled zlib computes it without SIMD (about 4.7 bytes/ns here: 1.6 µs for a 7609-byte frame, half of a
 * frame's encode + decode, `node --cpu-prof` of test/bench `frame_vs_delimiter`), so longer runs go to
 * @node-rs/crc32 (crc32fast: PCLMULQDQ on x86-64, the CRC instructions on ARMv8), 0.67 µs for the same frame.
 * Up to ON_HEAP_LIMIT bytes zlib stays: such an array may live on V8's heap, and handing it to a native addon
 * makes V8 move its bytes off the heap first; zlib's binding reads it in place. Where the addon's prebuilt binary
 * does not load (a platform it does not ship), zlib does all of it: same results, slower.
 */
export function crc32(bytes: Uint8Array, seed: number): number {
  // zlib's crc32(seed, NULL, 0) means "start afresh" (0), and an empty array whose ArrayBuffer exists has a NULL
  // data pointer: node's zlib.crc32 then answers 0, not the seed. The CRC of nothing more is the seed.
  if (bytes.length === 0) return seed;
  return bytes.length > ON_HEAP_LIMIT && simd ? simd(bytes, seed) : zlibCrc32(bytes, seed);
}

type Crc32 = (bytes: Uint8Array, seed: number) => number;

const simd = loadSimd();

function loadSimd(): Crc32 | undefined {
  try {
    const addon = createRequire(import.meta.url)('@node-rs/crc32') as { crc32: Crc32 };
    // The check value of CRC-32/ISO-HDLC ("123456789"), continued from a seed as zlib continues it.
    const check = new TextEncoder().encode('123456789');
    return addon.crc32(check, 0) === 0xcbf43926 &&
      addon.crc32(check.subarray(4), zlibCrc32(check.subarray(0, 4))) === 0xcbf43926
      ? addon.crc32
      : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the SIMD CRC-32 loaded (false: zlib computes every CRC). For tests and the benchmark's report. */
export const simdCrc32 = simd !== undefined;
