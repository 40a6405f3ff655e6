import { TransportError } from './errors.js';

/**
 * Consistent Overhead Byte Stuffing (Cheshire & Baker, 1999): removes every 0x00 from a block so that
 * 0x00 can delimit frames and a reader resynchronises at the next 0x00 after any corruption.
 * This is the minimal form: no trailing 0x01 group after a full 254-byte group that ends the input.
 */

/** Upper bound of cobsEncode(data).length for `length` input bytes. */
export function cobsMaxEncodedLength(length: number): number {
  return length === 0 ? 1 : length + Math.ceil(length / 254);
}

export function cobsEncode(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(cobsMaxEncodedLength(data.length));
  let codeAt = 0;
  let code = 1;
  let w = 1;
  for (let i = 0; i < data.length; i++) {
    const byte = data[i];
    if (byte === 0) {
      out[codeAt] = code;
      codeAt = w++;
      code = 1;
      continue;
    }
    out[w++] = byte;
    code++;
    if (code === 0xff) {
      out[codeAt] = code;
      code = 1;
      // A full group carries no implied zero, so a new group is only needed if input remains.
      if (i + 1 < data.length) codeAt = w++;
      else return out.subarray(0, w);
    }
  }
  out[codeAt] = code;
  return out.subarray(0, w);
}

export function cobsDecode(encoded: Uint8Array): Uint8Array {
  if (encoded.length === 0) {
    throw new TransportError('FRAME_COBS', 'expected a COBS block of at least 1 byte, got 0 bytes; the frame is empty, wait for the next one');
  }
  const out = new Uint8Array(encoded.length);
  let w = 0;
  let r = 0;
  while (r < encoded.length) {
    const code = encoded[r];
    if (code === 0) {
      throw new TransportError(
        'FRAME_COBS',
        `expected no 0x00 inside a COBS block, got one at offset ${r} of ${encoded.length}; the frame is damaged, drop it and resynchronise`,
      );
    }
    const end = r + code;
    if (end > encoded.length) {
      throw new TransportError(
        'FRAME_COBS',
        `expected the COBS code 0x${code.toString(16)} at offset ${r} to stay within the ${encoded.length}-byte block, it points ${end - encoded.length} byte(s) past the end; the frame is truncated or damaged, drop it`,
      );
    }
    for (r++; r < end; r++) {
      const byte = encoded[r];
      if (byte === 0) {
        throw new TransportError(
          'FRAME_COBS',
          `expected no 0x00 inside a COBS block, got one at offset ${r} of ${encoded.length}; the frame is damaged, drop it and resynchronise`,
        );
      }
      out[w++] = byte;
    }
    if (code !== 0xff && r < encoded.length) out[w++] = 0;
  }
  return out.subarray(0, w);
}
