import { createHash } from 'node:crypto';
import { BaseTransport } from '../../transport/base-transport.js';
import {
  FramedTransport,
  encodeFrame,
  packetize,
  type CtapHidTransport,
  type Transport,
  type Unit,
} from '../../transport/index.js';

/**
 * A wire that misbehaves, for tests: a Transport around any other (loopback, serial, TCP, UDP-HID) that drops,
 * corrupts, duplicates, delays and splits what crosses it, decided by a seeded source so a failing run can be
 * replayed. It lives with the test support rather than in transport/: it exists to prove that host flows fail
 * with a typed error and lose nothing on a bad wire, and a rig that wants a bad wire has a real one to hand
 * (a pulled cable, `tc netem`); the published library stays the size a host application needs.
 *
 * Where the inner wire lets it, a fault is made for real on the wire, so the far side's own decoder meets it:
 * - outgoing corruption flips a byte of the encoded frame (serial, TCP, loopback: the band's CRC check drops it)
 *   or of one 64-byte report (UDP-HID: CTAPHID has no checksum, so the band gets the damaged message);
 * - outgoing splits cut a frame in two, or space a message's reports, with a pause between the pieces.
 * Incoming units (band to host) arrive decoded: drops, duplicates and delays act on them as they would on the
 * wire, and corruption flips a payload byte on a report wire; on a framed wire the CRC would have dropped such
 * a frame, so there it is a drop.
 */
export interface Faults {
  /** Probability, per unit and direction, of each fault. */
  drop?: number;
  corrupt?: number;
  duplicate?: number;
  delay?: number;
  /** Outgoing only. */
  split?: number;
  /** Longest delay or pause between split pieces. Default 40 ms. */
  maxDelayMs?: number;
}

export type FaultKind = 'drop' | 'corrupt' | 'duplicate' | 'delay' | 'split';

/** A deterministic stream of numbers in [0, 1) from `seed`. */
function seededUnit(seed: string): () => number {
  let counter = 0;
  return () => createHash('sha256').update(`${seed}/${counter++}`).digest().readUInt32BE(0) / 2 ** 32;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function isReportWire(t: Transport): t is CtapHidTransport {
  return typeof (t as Partial<CtapHidTransport>).writeReport === 'function';
}

export class FaultyTransport extends BaseTransport {
  /** How many of each fault were injected, both directions. */
  readonly injected: Record<FaultKind, number> = { drop: 0, corrupt: 0, duplicate: 0, delay: 0, split: 0 };
  readonly #inner: Transport;
  readonly #faults: Faults;
  readonly #random: () => number;
  #outgoing: Promise<unknown> = Promise.resolve();
  #incoming: Promise<unknown> = Promise.resolve();
  readonly #detach: (() => void)[];

  constructor(inner: Transport, faults: Faults, seed: string) {
    super(`faulty(${inner.name})`);
    this.#inner = inner;
    this.#faults = faults;
    this.#random = seededUnit(seed);
    this.#detach = [
      inner.onUnit((unit) => this.#receive(unit)),
      inner.onFrameError((error) => this.reportFrameError(error)),
      inner.onClose((error) => this.markClosed(error)),
    ];
    this.onClose(() => this.#detach.forEach((off) => off()));
  }

  protected sendUnit(unit: Unit): Promise<void> {
    const run = this.#outgoing.then(() => this.#send(unit));
    this.#outgoing = run.catch(() => undefined);
    return run;
  }

  protected closeLink(): Promise<void> {
    return this.#inner.close();
  }

  #roll(kind: FaultKind): boolean {
    const p = this.#faults[kind] ?? 0;
    if (p <= 0 || this.#random() >= p) return false;
    this.injected[kind]++;
    return true;
  }

  #pause(): Promise<unknown> {
    return sleep(1 + Math.floor(this.#random() * (this.#faults.maxDelayMs ?? 40)));
  }

  #index(length: number): number {
    return Math.floor(this.#random() * length);
  }

  async #send(unit: Unit): Promise<void> {
    if (this.#roll('drop')) return;
    if (this.#roll('delay')) await this.#pause();
    const inner = this.#inner;
    if (this.#roll('corrupt')) {
      if (inner instanceof FramedTransport) {
        const frame = encodeFrame(unit);
        // Any byte but the delimiter, XORed with a non-zero mask.
        frame[this.#index(frame.length - 1)] ^= 1 + this.#index(255);
        await inner.writeBytes(frame);
      } else if (isReportWire(inner)) {
        const reports = packetize(inner.channel, unit.command, unit.payload);
        const report = reports[this.#index(reports.length)];
        report[this.#index(report.length)] ^= 1 + this.#index(255);
        for (const r of reports) await inner.writeReport(r);
      } else {
        await inner.send(flipped(unit, this.#index.bind(this)));
      }
    } else if (this.#roll('split')) {
      if (inner instanceof FramedTransport) {
        const frame = encodeFrame(unit);
        const cut = 1 + this.#index(frame.length - 1);
        await inner.writeBytes(frame.subarray(0, cut));
        await this.#pause();
        await inner.writeBytes(frame.subarray(cut));
      } else if (isReportWire(inner)) {
        for (const report of packetize(inner.channel, unit.command, unit.payload)) {
          await inner.writeReport(report);
          await this.#pause();
        }
      } else {
        await inner.send(unit);
      }
    } else {
      await inner.send(unit);
    }
    if (this.#roll('duplicate')) await inner.send(unit);
  }

  #receive(unit: Unit): void {
    if (this.#roll('drop')) return;
    let delivered = unit;
    if (this.#roll('corrupt')) {
      // A framed wire's CRC drops a damaged frame; a report wire has no checksum and passes it on.
      if (!isReportWire(this.#inner)) return;
      delivered = flipped(unit, this.#index.bind(this));
    }
    const copies = this.#roll('duplicate') ? 2 : 1;
    const delay = this.#roll('delay');
    const run = this.#incoming.then(async () => {
      if (delay) await this.#pause();
      for (let i = 0; i < copies; i++) this.deliverUnit(delivered);
    });
    this.#incoming = run.catch(() => undefined);
  }
}

function flipped(unit: Unit, index: (n: number) => number): Unit {
  if (unit.payload.length === 0) return unit;
  const payload = Uint8Array.from(unit.payload);
  payload[index(payload.length)] ^= 1 + index(255);
  return { command: unit.command, payload };
}

/** Wraps `inner` in faults decided by `seed`. */
export function faulty(inner: Transport, faults: Faults, seed: string): FaultyTransport {
  return new FaultyTransport(inner, faults, seed);
}
