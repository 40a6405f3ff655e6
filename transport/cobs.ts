import { TransportError } from './errors.js';

/**
 * Consistent Overhead Byte Stuffing (Cheshire & Baker, 1999): removes every 0x00 from a block so that
 * 0x00 can delimit frames and a reader resynchronises at the next 0x00 after any corruption.
 * This is the minimal form: no trailing 0x01 group after a full 254-byte group that ends the input.
 *
 * Both directions work a group at a time: `indexOf(0)` finds where a run of non-zero bytes ends and the
 * run is copied in one `set`. Runs shorter than SHORT_RUN are copied by a loop, which beats creating a
 * subarray for a handful of bytes. The search is Buffer's indexOf (memchr), called on the Uint8Array as
 * it is: V8's TypedArray#indexOf scans about ten times slower, and wrapping small arrays in a Buffer
 * would move their bytes off the V8 heap first.
 */

const SHORT_RUN = 16;
const indexOfByte = Buffer.prototype.indexOf as (this: Uint8Array, value: number, byteOffset: number) => number;

/** Upper bound of cobsEncode(data).length for `length` input bytes. */
export function cobsMaxEncodedLength(length: number): number {
  return length === 0 ? 1 : length + Math.ceil(length / 254);
}

/** Copies `source[from, to)` to `target` at `at`. */
function copyRun(target: Uint8Array, at: number, source: Uint8Array, from: number, to: number): void {
  if (to - from < SHORT_RUN) {
    for (let i = from; i < to; i++) target[at++] = source[i];
  } else {
    target.set(source.subarray(from, to), at);
  }
}

export function cobsEncode(data: Uint8Array): Uint8Array {
  return encode(data, 0);
}

/** cobsEncode(data) followed by one 0x00 delimiter, in one allocation (encodeFrame). */
export function cobsEncodeDelimited(data: Uint8Array): Uint8Array {
  return encode(data, 1);
}

/** Encodes `data` and leaves `trailing` zero bytes after the block. */
function encode(data: Uint8Array, trailing: number): Uint8Array {
  const length = data.length;
  const out = new Uint8Array(cobsMaxEncodedLength(length) + trailing);
  let r = 0;
  let w = 0;
  let zero = -1;
  for (;;) {
    if (zero < r) {
      zero = indexOfByte.call(data, 0, r);
      if (zero < 0) zero = length;
    }
    const run = zero - r;
    if (run >= 254) {
      // A full group carries no implied zero, so a new group is only needed if input remains.
      out[w] = 0xff;
      copyRun(out, w + 1, data, r, r + 254);
      w += 255;
      r += 254;
      if (r === length) return out.subarray(0, w + trailing);
      continue;
    }
    out[w] = run + 1;
    copyRun(out, w + 1, data, r, zero);
    w += run + 1;
    if (zero === length) return out.subarray(0, w + trailing);
    r = zero + 1;
  }
}

export function cobsDecode(encoded: Uint8Array): Uint8Array {
  const length = encoded.length;
  if (length === 0) {
    throw new TransportError(
      'FRAME_COBS',
      'expected a COBS block of at least 1 byte, got 0 bytes; the frame is empty, wait for the next one',
    );
  }
  // A valid block has no 0x00 at all; where the first one is decides which complaint comes first.
  const firstZero = indexOfByte.call(encoded, 0, 0);
  const zeroAt = (at: number) =>
    new TransportError(
      'FRAME_COBS',
      `expected no 0x00 inside a COBS block, got one at offset ${at} of ${length}; the frame is damaged, drop it and resynchronise`,
    );
  const out = new Uint8Array(length);
  let w = 0;
  let r = 0;
  while (r < length) {
    const code = encoded[r];
    if (code === 0) throw zeroAt(r);
    const end = r + code;
    if (end > length) {
      throw new TransportError(
        'FRAME_COBS',
        `expected the COBS code 0x${code.toString(16)} at offset ${r} to stay within the ${length}-byte block, it points ${end - length} byte(s) past the end; the frame is truncated or damaged, drop it`,
      );
    }
    if (firstZero >= 0 && firstZero < end) throw zeroAt(firstZero);
    copyRun(out, w, encoded, r + 1, end);
    w += code - 1;
    r = end;
    if (code !== 0xff && r < length) out[w++] = 0;
  }
  return out.subarray(0, w);
}
