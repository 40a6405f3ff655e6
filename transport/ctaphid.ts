import {
  Command,
  CONT_DATA_SIZE,
  HID_REPORT_SIZE,
  HidError,
  INIT_DATA_SIZE,
  MAX_SEQ,
  type HidErrorName,
} from '../proto/ctaphid.js';
import { allocBytes } from './bytes.js';
import { runNow } from './clock.js';
import { CtapHidError, TransportError } from './errors.js';
import { MAX_COMMAND, MAX_UNIT_PAYLOAD } from './unit.js';

/**
 * CTAPHID packets (CTAP 2.1 §11.2.4) for 64-byte reports, usable by a host and by a band alike:
 *   init:         CID(4, big-endian) | CMD|0x80 | BCNTH | BCNTL | 57 data bytes
 *   continuation: CID(4, big-endian) | SEQ 0..127 | 59 data bytes
 * Unused bytes are zero.
 */
export { HID_REPORT_SIZE, INIT_DATA_SIZE, CONT_DATA_SIZE, MAX_SEQ };
/** 57 + 128 * 59: what one init packet and every sequence number can carry (proto's MAX_MESSAGE_SIZE). */
export const CTAPHID_MAX_MESSAGE = MAX_UNIT_PAYLOAD;
export const BROADCAST_CID = 0xffffffff;
export const DEFAULT_MSG_TIMEOUT_MS = 500;
/**
 * The longest one message may take from its init packet to its last continuation, however steadily its packets
 * come. While a message is reassembled the device answers every other channel CHANNEL_BUSY, so without this cap
 * a sender trickling a 7609-byte message at one packet per 499 ms would hold the band for a minute. A real host
 * sends the 129 packets of the largest message within about 130 ms (one per 1 ms USB frame).
 */
export const DEFAULT_MAX_MESSAGE_MS = 2_000;
const INIT_BIT = 0x80;

export interface HidMessage {
  cid: number;
  command: number;
  payload: Uint8Array;
}

export function packetize(cid: number, command: number, payload: Uint8Array): Uint8Array[] {
  if (!Number.isInteger(cid) || cid < 0 || cid > BROADCAST_CID) {
    throw new TransportError(
      'BAD_UNIT',
      `expected a CID between 0 and 0xffffffff, got ${cid}; use the CID INIT allocated`,
    );
  }
  if (!Number.isInteger(command) || command < 0 || command > MAX_COMMAND) {
    throw new TransportError(
      'BAD_UNIT',
      `expected a CTAPHID command between 0x00 and 0x7f, got ${command}; use a value from Command`,
    );
  }
  if (payload.length > CTAPHID_MAX_MESSAGE) {
    throw new TransportError(
      'FRAME_TOO_LARGE',
      `expected a CTAPHID message of at most ${CTAPHID_MAX_MESSAGE} bytes, got ${payload.length}; split it at a higher layer`,
    );
  }
  // CIDs and lengths are written byte by byte: a DataView per 64-byte report costs more than the report.
  const length = payload.length;
  const count = 1 + Math.ceil(Math.max(0, length - INIT_DATA_SIZE) / CONT_DATA_SIZE);
  return count <= SEPARATE_REPORTS
    ? separateReports(cid, command, payload, count)
    : sharedReports(cid, command, payload, count);
}

/**
 * Up to this many reports, each is its own 64-byte array, which V8 keeps on its heap (cheapest for one or two);
 * beyond it, the reports are views of one block the payload is copied into once (`packetize()` of 1 KiB: 3.5 µs
 * against 4.4 µs one array a report, test/bench `ctaphid_vs_ledger`).
 */
const SEPARATE_REPORTS = 2;

function separateReports(cid: number, command: number, payload: Uint8Array, count: number): Uint8Array[] {
  const length = payload.length;
  const reports = new Array<Uint8Array>(count);
  const init = new Uint8Array(HID_REPORT_SIZE);
  writeHeader(init, 0, cid);
  init[4] = command | INIT_BIT;
  init[5] = length >>> 8;
  init[6] = length & 0xff;
  copyRun(init, 7, payload, 0, Math.min(length, INIT_DATA_SIZE));
  reports[0] = init;
  for (let at = INIT_DATA_SIZE, seq = 0; at < length; at += CONT_DATA_SIZE, seq++) {
    const cont = new Uint8Array(HID_REPORT_SIZE);
    writeHeader(cont, 0, cid);
    cont[4] = seq;
    copyRun(cont, 5, payload, at, Math.min(length, at + CONT_DATA_SIZE));
    reports[seq + 1] = cont;
  }
  return reports;
}

/**
 * The reports as consecutive 64-byte views of one zero-filled block. The payload goes in once, behind the init
 * header; then, from the last report back, each continuation's run moves right behind its own header (run k by
 * 5k bytes: a memmove each), so no byte is copied twice by hand. The last run's padding stays zero: the payload
 * never reached it.
 */
function sharedReports(cid: number, command: number, payload: Uint8Array, count: number): Uint8Array[] {
  const length = payload.length;
  const block = allocBytes(count * HID_REPORT_SIZE);
  block.set(payload, 7);
  for (let k = count - 1; k >= 1; k--) {
    const from = 7 + INIT_DATA_SIZE + (k - 1) * CONT_DATA_SIZE;
    const at = k * HID_REPORT_SIZE;
    block.copyWithin(at + 5, from, Math.min(7 + length, from + CONT_DATA_SIZE));
    writeHeader(block, at, cid);
    block[at + 4] = k - 1;
  }
  writeHeader(block, 0, cid);
  block[4] = command | INIT_BIT;
  block[5] = length >>> 8;
  block[6] = length & 0xff;
  const reports = new Array<Uint8Array>(count);
  const { buffer, byteOffset } = block;
  for (let k = 0; k < count; k++)
    reports[k] = new Uint8Array(buffer, byteOffset + k * HID_REPORT_SIZE, HID_REPORT_SIZE);
  return reports;
}

function writeHeader(report: Uint8Array, at: number, cid: number): void {
  report[at] = cid >>> 24;
  report[at + 1] = (cid >>> 16) & 0xff;
  report[at + 2] = (cid >>> 8) & 0xff;
  report[at + 3] = cid & 0xff;
}

/**
 * Copies `source[from, to)` into `target` at `at`, by hand: a view of a small (on-heap) array makes V8 move its
 * bytes off the heap first, which costs more than copying them. Four bytes a turn: a quarter fewer loop tests
 * (64-byte messages packetised and reassembled 0.44 -> 0.38 µs, test/bench `ctaphid_vs_ledger`).
 */
function copyRun(target: Uint8Array, at: number, source: Uint8Array, from: number, to: number): void {
  let i = from;
  for (; i + 4 <= to; i += 4, at += 4) {
    target[at] = source[i];
    target[at + 1] = source[i + 1];
    target[at + 2] = source[i + 2];
    target[at + 3] = source[i + 3];
  }
  for (; i < to; i++) target[at++] = source[i];
}

export interface ReassemblerOptions {
  /** Longest allowed gap between two packets of one message. Default 500 ms. */
  timeoutMs?: number;
  /** Longest time from a message's init packet to its last packet. Default DEFAULT_MAX_MESSAGE_MS. */
  maxMessageMs?: number;
  /**
   * Milliseconds from any fixed origin. Default: wall time read once per synchronous run of the event loop
   * (`runNow`, transport/clock.ts), so the reports delivered together share one arrival time. Code that moves a
   * fake clock forward without leaving a synchronous run injects its clock here.
   */
  now?: () => number;
  /**
   * Which end reassembles. A band enforces the channel rules (CID 0 never, broadcast only for INIT);
   * a host must accept a band's ERROR on the broadcast channel (its answer to a refused INIT), and
   * filters channels itself. Default 'band'.
   */
  side?: 'band' | 'host';
}

interface InProgress {
  cid: number;
  command: number;
  data: Uint8Array;
  filled: number;
  nextSeq: number;
  lastAt: number;
  startedAt: number;
}

/**
 * Turns reports back into messages, one message at a time as a CTAPHID device does (a transaction
 * owns the device until it completes). Errors are returned, not thrown, each with the CID it concerns,
 * because one bad packet must not stop the device serving the next one.
 *
 * Decisions where the spec leaves room:
 * - a continuation with no message in progress on its CID is INVALID_SEQ;
 * - any init packet on the CID being reassembled restarts reassembly (resync) without an error;
 * - an init or continuation packet from another CID while a message is in progress is CHANNEL_BUSY
 *   for that CID, and the message in progress carries on;
 * - the timeout is checked when a packet arrives and by expire(), which a band calls from a timer set
 *   at `deadline` to answer MSG_TIMEOUT without waiting for the next packet.
 */
export class Reassembler {
  readonly #timeoutMs: number;
  readonly #maxMessageMs: number;
  readonly #now: () => number;
  readonly #checkChannels: boolean;
  #partial: InProgress | undefined;

  constructor(options: ReassemblerOptions = {}) {
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_MSG_TIMEOUT_MS;
    this.#maxMessageMs = options.maxMessageMs ?? DEFAULT_MAX_MESSAGE_MS;
    this.#now = options.now ?? runNow;
    this.#checkChannels = (options.side ?? 'band') === 'band';
  }

  /** The CID whose message is being reassembled, if any. */
  get busyCid(): number | undefined {
    return this.#partial?.cid;
  }

  /** When the message in progress times out (same clock as `now`), if one is in progress. */
  get deadline(): number | undefined {
    const partial = this.#partial;
    return partial ? Math.min(partial.lastAt + this.#timeoutMs, partial.startedAt + this.#maxMessageMs) : undefined;
  }

  /** Abandons the message in progress if its next packet is overdue. */
  expire(): CtapHidError | undefined {
    return this.#partial ? this.#expireAt(this.#now()) : undefined;
  }

  #expireAt(now: number): CtapHidError | undefined {
    const partial = this.#partial;
    if (!partial) return undefined;
    const gap = now - partial.lastAt;
    const took = now - partial.startedAt;
    if (gap <= this.#timeoutMs && took <= this.#maxMessageMs) return undefined;
    this.#partial = undefined;
    if (gap <= this.#timeoutMs) {
      return hidError(
        'MSG_TIMEOUT',
        partial.cid,
        `expected a ${partial.data.length}-byte message on channel ${hexCid(partial.cid)} to arrive whole within ${this.#maxMessageMs} ms, it had ${partial.filled} bytes after ${took} ms; the message is dropped, send its packets without pausing`,
      );
    }
    return hidError(
      'MSG_TIMEOUT',
      partial.cid,
      `expected the next packet (seq ${partial.nextSeq}) of a ${partial.data.length}-byte message on channel ${hexCid(partial.cid)} within ${this.#timeoutMs} ms, got nothing for ${gap} ms; the message is dropped, send it again`,
    );
  }

  /** Drops the message in progress (for instance after CANCEL or when the link resets). */
  reset(): void {
    this.#partial = undefined;
  }

  /**
   * Feeds one report. Returns what it completed or broke: usually nothing or one item. The clock is read once per
   * report, and only while a message is in progress (or starts one).
   */
  push(report: Uint8Array): readonly (HidMessage | CtapHidError)[] {
    let now = 0;
    let expired: CtapHidError | undefined;
    if (this.#partial) {
      now = this.#now();
      expired = this.#expireAt(now);
    }
    if (report.length !== HID_REPORT_SIZE) {
      const cid = report.length >= 4 ? readCid(report) : 0;
      const invalid = hidError(
        'INVALID_LEN',
        cid,
        `expected a ${HID_REPORT_SIZE}-byte report, got ${report.length} bytes; the sender must pad reports with zeros`,
      );
      return expired ? [expired, invalid] : [invalid];
    }
    const cid = readCid(report);
    const result = report[4] & INIT_BIT ? this.#init(cid, report) : this.#continuation(cid, report, now);
    if (expired) return result ? [expired, result] : [expired];
    return result ? [result] : NOTHING;
  }

  #init(cid: number, report: Uint8Array): HidMessage | CtapHidError | undefined {
    const command = report[4] & ~INIT_BIT;
    const length = (report[5] << 8) | report[6];
    if (this.#checkChannels && (cid === 0 || (cid === BROADCAST_CID && command !== Command.INIT))) {
      return hidError(
        'INVALID_CHANNEL',
        cid,
        `expected ${cid === 0 ? 'a non-zero CID' : 'only INIT on the broadcast CID'}, got command 0x${command.toString(16)} on ${hexCid(cid)}; run INIT to obtain a channel`,
      );
    }
    if (this.#partial && this.#partial.cid !== cid) {
      return hidError(
        'CHANNEL_BUSY',
        cid,
        `expected no new message while channel ${hexCid(this.#partial.cid)} is mid-message, got an init packet on ${hexCid(cid)}; retry after that message completes`,
      );
    }
    // An init packet on the channel being reassembled is a resync: the old message is abandoned.
    this.#partial = undefined;
    if (length > CTAPHID_MAX_MESSAGE) {
      return hidError(
        'INVALID_LEN',
        cid,
        `expected a message length of at most ${CTAPHID_MAX_MESSAGE} bytes, got ${length} on ${hexCid(cid)}; send a shorter message`,
      );
    }
    const data = allocBytes(length);
    const first = Math.min(length, INIT_DATA_SIZE);
    copyRun(data, 0, report, 7, 7 + first);
    if (first === length) return { cid, command, payload: data };
    const now = this.#now();
    this.#partial = { cid, command, data, filled: first, nextSeq: 0, lastAt: now, startedAt: now };
    return undefined;
  }

  #continuation(cid: number, report: Uint8Array, now: number): HidMessage | CtapHidError | undefined {
    const seq = report[4];
    const partial = this.#partial;
    if (partial && partial.cid === cid) {
      if (seq !== partial.nextSeq) {
        this.#partial = undefined;
        return hidError(
          'INVALID_SEQ',
          cid,
          `expected continuation seq ${partial.nextSeq} on ${hexCid(cid)}, got ${seq}; the message is dropped, send it again`,
        );
      }
      const { data, filled } = partial;
      const take = Math.min(CONT_DATA_SIZE, data.length - filled);
      if (take === CONT_DATA_SIZE) {
        // The whole report in one native copy, its 5-byte header landing on the last 5 bytes already gathered,
        // which are put back by hand: cheaper than 59 bytes by hand, and than a view of the report to copy from.
        const a = data[filled - 5];
        const b = data[filled - 4];
        const c = data[filled - 3];
        const d = data[filled - 2];
        const e = data[filled - 1];
        data.set(report, filled - 5);
        data[filled - 5] = a;
        data[filled - 4] = b;
        data[filled - 3] = c;
        data[filled - 2] = d;
        data[filled - 1] = e;
      } else copyRun(data, filled, report, 5, 5 + take);
      partial.filled = filled + take;
      partial.nextSeq++;
      partial.lastAt = now;
      if (partial.filled < partial.data.length) return undefined;
      this.#partial = undefined;
      return { cid, command: partial.command, payload: partial.data };
    }
    if (this.#checkChannels && (cid === 0 || cid === BROADCAST_CID)) {
      return hidError(
        'INVALID_CHANNEL',
        cid,
        `expected a continuation on an allocated channel, got one on ${hexCid(cid)}; run INIT to obtain a channel`,
      );
    }
    if (partial) {
      return hidError(
        'CHANNEL_BUSY',
        cid,
        `expected no packets from ${hexCid(cid)} while channel ${hexCid(partial.cid)} is mid-message, got continuation seq ${seq}; retry after that message completes`,
      );
    }
    return hidError(
      'INVALID_SEQ',
      cid,
      `expected an init packet on ${hexCid(cid)}, got continuation seq ${seq} with no message in progress; start the message with its init packet`,
    );
  }
}

const NOTHING: readonly (HidMessage | CtapHidError)[] = Object.freeze([]);

// The CTAPHID errors a reassembler can find (LOCK_REQUIRED and OTHER are the band's to give).
type ReassemblyErrorName = Exclude<HidErrorName, 'LOCK_REQUIRED' | 'OTHER'>;

function hidError(name: ReassemblyErrorName, cid: number, message: string): CtapHidError {
  return new CtapHidError(`HID_${name}`, cid, HidError[name], message);
}

export function readCid(report: Uint8Array): number {
  return ((report[0] << 24) | (report[1] << 16) | (report[2] << 8) | report[3]) >>> 0;
}

export function hexCid(cid: number): string {
  return `0x${cid.toString(16).padStart(8, '0')}`;
}
