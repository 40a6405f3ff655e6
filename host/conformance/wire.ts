import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import {
  BandMessageCodec,
  Command,
  commandName,
  CONT_DATA_SIZE,
  HID_REPORT_SIZE,
  hidErrorName,
  INIT_DATA_SIZE,
  MAX_MESSAGE_SIZE,
  type BandMessage,
} from '../../proto/index.js';
import type { Unit } from '../../transport/index.js';

/**
 * The suite's own view of the wire. Frames and reports are built here by hand rather than with the transport
 * layer's encoders, so a bug shared by the host stack and the band cannot hide itself; the numbers they follow
 * are proto's CTAPHID tables, the one source.
 */

export const MAX_PAYLOAD = MAX_MESSAGE_SIZE;
export const REPORT_SIZE = HID_REPORT_SIZE;
export const INIT_DATA = INIT_DATA_SIZE;
export const CONT_DATA = CONT_DATA_SIZE;
export const BROADCAST = 0xffffffff;

export { HidError as HidErr } from '../../proto/index.js';

export function hex(bytes: Uint8Array, max = 16): string {
  const shown = Buffer.from(bytes.subarray(0, max)).toString('hex');
  return bytes.length > max ? `${shown}… (${bytes.length} bytes)` : shown || '(empty)';
}

export function cidHex(cid: number): string {
  return `0x${cid.toString(16).padStart(8, '0')}`;
}

export function decodeBand(payload: Uint8Array): BandMessage | undefined {
  try {
    return BandMessageCodec.decode(payload);
  } catch {
    return undefined;
  }
}

export function isBandEvent(unit: Unit): boolean {
  if (unit.command !== Command.BAND) return false;
  const message = decodeBand(unit.payload);
  return message?.requestId === 0 && message.body?.case === 'event';
}

/** One line per unit, for "got …" in failure details. */
export function describeUnit(unit: Unit): string {
  switch (unit.command) {
    case Command.ERROR:
      return `ERROR ${hidErrorName(unit.payload[0] ?? 0)}`;
    case Command.KEEPALIVE:
      return `KEEPALIVE ${unit.payload[0] ?? '?'}`;
    case Command.BAND: {
      const message = decodeBand(unit.payload);
      return message ? describeBandMessage(message) : `BAND with an undecodable payload ${hex(unit.payload)}`;
    }
    case Command.CBOR:
      return `CBOR status 0x${(unit.payload[0] ?? 0).toString(16).padStart(2, '0')} (${unit.payload.length} bytes)`;
    default:
      return `${commandName(unit.command)} (${unit.payload.length} bytes)`;
  }
}

export function describeBandMessage(message: BandMessage): string {
  const body = message.body;
  if (!body) return `BandMessage{request_id ${message.requestId}, no body}`;
  if (body.case === 'event')
    return `event ${body.value.kind?.case ?? '(empty)'}${body.value.kind ? ` ${JSON.stringify(body.value.kind.value)}` : ''}`;
  if (body.case === 'error')
    return `error ${body.value.code} (request_id ${message.requestId}, state ${body.value.state})`;
  return `${body.case} reply (request_id ${message.requestId})`;
}

// ---------------------------------------------------------------- COBS/CRC frames (docs/protocol.md §Layer 1a)

export function cobs(raw: Uint8Array): Uint8Array {
  const out: number[] = [0];
  let codeAt = 0;
  let code = 1;
  for (const byte of raw) {
    if (byte === 0) {
      out[codeAt] = code;
      codeAt = out.length;
      out.push(0);
      code = 1;
      continue;
    }
    out.push(byte);
    code++;
    if (code === 0xff) {
      out[codeAt] = code;
      codeAt = out.length;
      out.push(0);
      code = 1;
    }
  }
  out[codeAt] = code;
  return Uint8Array.from(out);
}

/** A whole frame with its delimiter; `corruptCrc` flips the CRC's first byte. */
export function frame(command: number, payload: Uint8Array, options: { corruptCrc?: boolean } = {}): Uint8Array {
  const raw = new Uint8Array(1 + payload.length + 4);
  raw[0] = command;
  raw.set(payload, 1);
  const crc = crc32(raw.subarray(0, 1 + payload.length));
  new DataView(raw.buffer).setUint32(1 + payload.length, crc, true);
  if (options.corruptCrc) raw[1 + payload.length] ^= 0xff;
  const body = cobs(raw);
  const out = new Uint8Array(body.length + 1);
  out.set(body);
  return out;
}

// ---------------------------------------------------------------- CTAPHID reports (CTAP 2.1 §11.2.4)

export function initReport(
  cid: number,
  command: number,
  length: number,
  data: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const report = new Uint8Array(REPORT_SIZE);
  new DataView(report.buffer).setUint32(0, cid);
  report[4] = 0x80 | command;
  report[5] = (length >>> 8) & 0xff;
  report[6] = length & 0xff;
  report.set(data.subarray(0, INIT_DATA), 7);
  return report;
}

export function contReport(cid: number, seq: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const report = new Uint8Array(REPORT_SIZE);
  new DataView(report.buffer).setUint32(0, cid);
  report[4] = seq;
  report.set(data.subarray(0, CONT_DATA), 5);
  return report;
}

/** A whole message as reports. */
export function reports(cid: number, command: number, payload: Uint8Array): Uint8Array[] {
  const out = [initReport(cid, command, payload.length, payload)];
  for (let at = INIT_DATA, seq = 0; at < payload.length; at += CONT_DATA, seq++)
    out.push(contReport(cid, seq, payload.subarray(at)));
  return out;
}

export interface ParsedReport {
  cid: number;
  /** Set on an init packet: the command without the 0x80 bit. */
  command?: number;
  length?: number;
  seq?: number;
  data: Uint8Array;
}

export function parseReport(report: Uint8Array): ParsedReport {
  const cid = new DataView(report.buffer, report.byteOffset, report.length).getUint32(0);
  if (report[4] & 0x80) {
    const length = (report[5] << 8) | report[6];
    return { cid, command: report[4] & 0x7f, length, data: report.slice(7, 7 + Math.min(length, INIT_DATA)) };
  }
  return { cid, seq: report[4], data: report.slice(5) };
}

export function describeReport(report: Uint8Array): string {
  const p = parseReport(report);
  if (p.command === undefined) return `continuation seq ${p.seq} on ${cidHex(p.cid)}`;
  const what = p.command === Command.ERROR ? `ERROR ${hidErrorName(p.data[0] ?? 0)}` : commandName(p.command);
  return `${what} on ${cidHex(p.cid)}`;
}

export function randomNonce(): Uint8Array {
  return new Uint8Array(randomBytes(8));
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Bytes 0, 1, 2, … 250, 0, 1, … (every value but a few, so framing bugs around 0x00 show). */
export function pattern(length: number, seed = 0): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i + seed) % 251;
  return out;
}
