/**
 * Byte arrays for the codecs' outputs (decoded frames, reassembled messages, encoded frames). Each typed array
 * over 64 bytes has an ArrayBuffer outside V8's heap, and allocating them one by one made the garbage collector
 * half the cost of CTAPHID reassembly (`node --cpu-prof`, test/bench). Like Node's Buffer.allocUnsafe, small
 * arrays are cut from a shared pool instead, but zero-filled; a kept array keeps its pool (8 KiB) alive.
 */
const POOL_SIZE = 8 * 1024;
/** V8 keeps typed arrays up to this size on its own heap: cheapest as they are. */
const ON_HEAP = 64;

let pool = new ArrayBuffer(POOL_SIZE);
let used = 0;

export function allocBytes(length: number): Uint8Array {
  if (length <= ON_HEAP || length > POOL_SIZE >>> 1) return new Uint8Array(length);
  if (used + length > POOL_SIZE) {
    pool = new ArrayBuffer(POOL_SIZE);
    used = 0;
  }
  const bytes = new Uint8Array(pool, used, length);
  // Keep every array 8-byte aligned, as Node's pool does.
  used += (length + 7) & ~7;
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
