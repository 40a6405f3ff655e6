/**
 * Byte arrays for the codecs' outputs (decoded frames, reassembled messages, encoded frames, CTAPHID reports). Each
 * typed array over 64 bytes has an ArrayBuffer outside V8's heap, and allocating them one by one made the garbage
 * collector half the cost of CTAPHID reassembly (`node --cpu-prof`, test/bench). Like Node's Buffer.allocUnsafe,
 * they are cut from shared pools instead, but zero-filled; a kept array keeps its pool alive.
 *
 * Two pools, so that what a kept array pins stays in proportion to it: arrays up to 1 KiB (every band message in
 * practice) share an 8 KiB pool as Node's Buffer does; larger ones, up to the largest frame, share a 32 KiB pool.
 * A 7.6 KB frame allocated on its own cost more than its two CRC-32s (calloc, then the garbage collector's sweep of
 * one more off-heap buffer; 9.8 µs an encode+decode against 8.4 µs pooled, test/bench frame figures).
 */
const SMALL_POOL = 8 * 1024;
const SMALL_MAX = 1024;
const LARGE_POOL = 32 * 1024;
/** Covers the largest encoded frame (7,645 bytes): four to a pool. */
const LARGE_MAX = LARGE_POOL / 4;
/** V8 keeps typed arrays up to this size on its own heap: cheapest as they are (but a view of one moves it off). */
export const ON_HEAP_LIMIT = 64;

let small = new ArrayBuffer(SMALL_POOL);
let smallUsed = 0;
let large = new ArrayBuffer(LARGE_POOL);
let largeUsed = 0;

export function allocBytes(length: number): Uint8Array {
  if (length <= ON_HEAP_LIMIT) return new Uint8Array(length);
  // Keep every array 8-byte aligned, as Node's pool does.
  const step = (length + 7) & ~7;
  if (length <= SMALL_MAX) {
    if (smallUsed + step > SMALL_POOL) {
      small = new ArrayBuffer(SMALL_POOL);
      smallUsed = 0;
    }
    const bytes = new Uint8Array(small, smallUsed, length);
    smallUsed += step;
    return bytes;
  }
  if (length > LARGE_MAX) return new Uint8Array(length);
  if (largeUsed + step > LARGE_POOL) {
    large = new ArrayBuffer(LARGE_POOL);
    largeUsed = 0;
  }
  const bytes = new Uint8Array(large, largeUsed, length);
  largeUsed += step;
  return bytes;
}

/**
 * Buffer's indexOf (memchr), called on a Uint8Array as it is: V8's TypedArray#indexOf scans about ten times slower,
 * and wrapping a small array in a Buffer would move its bytes off the V8 heap first.
 */
// eslint-disable-next-line @typescript-eslint/unbound-method -- always called with .call(array, ...)
export const indexOfByte = (Buffer.prototype as Buffer).indexOf as (
  this: Uint8Array,
  value: number,
  byteOffset: number,
) => number;
