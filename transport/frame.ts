import { allocBytes, ON_HEAP_LIMIT } from './bytes.js';
import { cobsDecodeInto, cobsEncodeInPlace, cobsMaxEncodedLength } from './cobs.js';
import { crc32 } from './crc32.js';
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
 * CRC-32 of each command byte alone: a frame's CRC is then zlib's CRC-32 of the payload continued from it, so
 * neither side needs a view of command + payload (a view of a small, on-heap array makes V8 move its bytes off the
 * heap first, which cost more than the whole rest of a small frame's encode: `node --cpu-prof`, test/bench).
 */
const COMMAND_CRC = Uint32Array.from({ length: 256 }, (_, command) => crc32(Uint8Array.of(command), 0));

/** CRC-32 of command + payload. */
function frameCrc(command: number, payload: Uint8Array): number {
  return crc32(payload, COMMAND_CRC[command]);
}

/** A small frame is decoded here, then its payload copied out to an array of its own (see decodeFrameAt). */
const scratch = new Uint8Array(ON_HEAP_LIMIT);

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
  const crc = frameCrc(unit.command, unit.payload);
  block[crcAt] = crc & 0xff;
  block[crcAt + 1] = (crc >>> 8) & 0xff;
  block[crcAt + 2] = (crc >>> 16) & 0xff;
  block[crcAt + 3] = crc >>> 24;
  const encoded = cobsEncodeInPlace(block, rawLength);
  block[encoded] = FRAME_DELIMITER;
  // Below 254 raw bytes the COBS bound is exact, and the block is returned whole rather than as a view.
  return encoded + 1 === block.length ? block : block.subarray(0, encoded + 1);
}

/** One frame as read up to (not including) its 0x00 delimiter. */
export function decodeFrame(encoded: Uint8Array): Unit {
  return decodeFrameAt(encoded, 0, encoded.length);
}

/**
 * The frame held at `bytes[from, to)`, delimiter excluded: what a stream reader finds inside a chunk, decoded
 * without a view of the chunk. A frame small enough for an on-heap array is decoded into a scratch array and its
 * payload copied to an array of its own; a larger one is decoded into a pooled array its payload is a view of.
 */
export function decodeFrameAt(bytes: Uint8Array, from: number, to: number): Unit {
  const length = to - from;
  if (length > MAX_ENCODED_FRAME_LENGTH) {
    throw new TransportError(
      'FRAME_TOO_LARGE',
      `expected an encoded frame of at most ${MAX_ENCODED_FRAME_LENGTH} bytes, got ${length}; the sender exceeds the ${MAX_FRAME_PAYLOAD}-byte payload limit or a delimiter was lost`,
    );
  }
  const small = length <= ON_HEAP_LIMIT;
  const raw = small ? scratch : allocBytes(length);
  const rawLength = cobsDecodeInto(raw, bytes, from, to);
  if (rawLength < MIN_RAW) {
    throw new TransportError(
      'FRAME_TOO_SHORT',
      `expected a frame of at least ${MIN_RAW} bytes (command + CRC-32), got ${rawLength}; the frame is truncated, drop it`,
    );
  }
  const bodyLength = rawLength - CRC_BYTES;
  let payload: Uint8Array;
  if (small) {
    payload = new Uint8Array(bodyLength - 1);
    for (let i = 1; i < bodyLength; i++) payload[i - 1] = raw[i];
  } else {
    // A view, not a copy: `raw` was allocated for this frame alone.
    payload = raw.subarray(1, bodyLength);
  }
  const sent =
    (raw[bodyLength] | (raw[bodyLength + 1] << 8) | (raw[bodyLength + 2] << 16) | (raw[bodyLength + 3] << 24)) >>> 0;
  const computed = frameCrc(raw[0], payload);
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
  return { command: raw[0], payload };
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, '0');
}
