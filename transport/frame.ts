import { crc32 } from 'node:zlib';
import { allocBytes } from './bytes.js';
import { cobsDecodeInto, cobsEncodeInPlace, cobsMaxEncodedLength } from './cobs.js';
import { TransportError } from './errors.js';
import type { Unit } from './transport.js';
import { assertUnit, MAX_COMMAND, MAX_UNIT_PAYLOAD } from './unit.js';

/**
 * Serial and TCP frame: COBS([command][payload][CRC-32 LE of command+payload]) then one 0x00.
 *
 * The payload ceiling is the CTAPHID message ceiling (7609 bytes) so every wire carries exactly the
 * same units: a unit read from serial can be forwarded to USB HID or UDP without being split or refused.
 */
export const MAX_FRAME_PAYLOAD = MAX_UNIT_PAYLOAD;
export const FRAME_DELIMITER = 0x00;
const CRC_BYTES = 4;
const MIN_RAW = 1 + CRC_BYTES;
/** Longest COBS block (delimiter excluded) a valid frame can have; a reader may drop anything longer. */
export const MAX_ENCODED_FRAME_LENGTH = cobsMaxEncodedLength(1 + MAX_FRAME_PAYLOAD + CRC_BYTES);

/**
 * The bytes to put on the wire for one unit, trailing 0x00 delimiter included. One allocation: the raw frame is
 * written one byte into the output and COBS-encoded in place.
 */
export function encodeFrame(unit: Unit): Uint8Array {
  assertUnit(unit);
  const rawLength = 1 + unit.payload.length + CRC_BYTES;
  const block = allocBytes(cobsMaxEncodedLength(rawLength) + 1);
  block[1] = unit.command;
  block.set(unit.payload, 2);
  const crcAt = 2 + unit.payload.length;
  // By hand, not through a DataView: a view of a small (on-heap) array first moves its bytes off the heap.
  const crc = crc32(block.subarray(1, crcAt));
  block[crcAt] = crc & 0xff;
  block[crcAt + 1] = (crc >>> 8) & 0xff;
  block[crcAt + 2] = (crc >>> 16) & 0xff;
  block[crcAt + 3] = crc >>> 24;
  const encoded = cobsEncodeInPlace(block, rawLength);
  block[encoded] = FRAME_DELIMITER;
  return block.subarray(0, encoded + 1);
}

/** One frame as read up to (not including) its 0x00 delimiter. */
export function decodeFrame(encoded: Uint8Array): Unit {
  if (encoded.length > MAX_ENCODED_FRAME_LENGTH) {
    throw new TransportError(
      'FRAME_TOO_LARGE',
      `expected an encoded frame of at most ${MAX_ENCODED_FRAME_LENGTH} bytes, got ${encoded.length}; the sender exceeds the ${MAX_FRAME_PAYLOAD}-byte payload limit or a delimiter was lost`,
    );
  }
  const raw = allocBytes(encoded.length);
  const rawLength = cobsDecodeInto(raw, encoded);
  if (rawLength < MIN_RAW) {
    throw new TransportError(
      'FRAME_TOO_SHORT',
      `expected a frame of at least ${MIN_RAW} bytes (command + CRC-32), got ${rawLength}; the frame is truncated, drop it`,
    );
  }
  const bodyLength = rawLength - CRC_BYTES;
  const body = raw.subarray(0, bodyLength);
  const sent =
    (raw[bodyLength] | (raw[bodyLength + 1] << 8) | (raw[bodyLength + 2] << 16) | (raw[bodyLength + 3] << 24)) >>> 0;
  const computed = crc32(body);
  if (sent !== computed) {
    throw new TransportError(
      'FRAME_CRC',
      `expected CRC-32 0x${hex32(computed)} over ${bodyLength} bytes, got 0x${hex32(sent)}; the frame was corrupted on the wire, drop it`,
    );
  }
  if (bodyLength - 1 > MAX_FRAME_PAYLOAD) {
    throw new TransportError(
      'FRAME_TOO_LARGE',
      `expected a payload of at most ${MAX_FRAME_PAYLOAD} bytes, got ${bodyLength - 1}; the sender exceeds the protocol limit`,
    );
  }
  if (raw[0] > MAX_COMMAND) {
    throw new TransportError(
      'FRAME_BAD_COMMAND',
      `expected a 7-bit command (0x00-0x7f), got 0x${raw[0].toString(16)}; the sender is not speaking this framing`,
    );
  }
  // A view, not a copy: `raw` was allocated for this frame alone.
  return { command: raw[0], payload: raw.subarray(1, bodyLength) };
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, '0');
}
