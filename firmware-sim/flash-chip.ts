import { FlashIoError, PowerCutError } from './flash-errors.js';
import type { FlashMedium } from './flash-medium.js';

/**
 * The largest single program operation by default: an append longer than this is several physical
 * writes. 64 bytes is a small MCU flash row; tests go down to 4 (word writes) to cut inside every field.
 */
export const PAGE_SIZE = 64;

export type CutKind = 'torn' | 'lost';

/**
 * The flash chip and its power rail. It counts physical writes (one page program, one truncate, one
 * rename, one remove) and can be armed to lose power at the N-th write from now: that write is torn
 * (the first half of the page reaches the medium) or lost (nothing does), PowerCutError is thrown, and
 * every later access fails the same way until `powerOn()` (the reboot). Renames, truncates and removes
 * are atomic on the medium, so a cut there only ever loses them.
 */
export class FlashChip {
  private armedAt?: { write: number; how: CutKind };
  private powered = true;
  private sinceBoot = 0;
  private total = 0;

  readonly pageSize: number;

  constructor(
    readonly medium: FlashMedium,
    options: { pageSize?: number } = {},
  ) {
    this.pageSize = options.pageSize ?? PAGE_SIZE;
    if (!Number.isInteger(this.pageSize) || this.pageSize < 2)
      throw new RangeError(`expected a page size of 2 bytes or more, got ${this.pageSize}`);
  }

  /** Physical writes since the last power-on (what the debug link reports). */
  get writesSinceBoot(): number {
    return this.sinceBoot;
  }
  get totalWrites(): number {
    return this.total;
  }
  get isPowered(): boolean {
    return this.powered;
  }

  /** Arms a cut at the `n`-th physical write from now (1 = the next one); 0 disarms. */
  cutPowerAt(n: number, how: CutKind = 'torn'): void {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`expected a write number of 0 (disarm) or more, got ${n}`);
    this.armedAt = n === 0 ? undefined : { write: this.total + n, how };
  }

  get armed(): boolean {
    return this.armedAt !== undefined;
  }

  /** The reboot: power is back, the write counter starts over. An armed cut stays armed. */
  powerOn(): void {
    this.powered = true;
    this.sinceBoot = 0;
  }

  /** The power dies now, outside any write (a debug-link reboot of a running band passes through here). */
  powerOff(): void {
    this.powered = false;
  }

  describe(file: string): string {
    return this.medium.describe(file);
  }

  read(file: string): Uint8Array | undefined {
    this.checkPower();
    return this.io(file, () => this.medium.read(file));
  }

  append(file: string, bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length; at += this.pageSize) {
      const page = bytes.subarray(at, Math.min(at + this.pageSize, bytes.length));
      // One page program; what a cut lets through is decided in cutNow (no closures: a journal record is
      // appended on every assertion).
      this.checkPower();
      if (this.cutNow()) {
        if (this.cutKind === 'torn') {
          const half = page.subarray(0, Math.floor(page.length / 2));
          if (half.length > 0) this.appendToMedium(file, half);
        }
        throw new PowerCutError(this.sinceBoot, this.cutKind);
      }
      this.appendToMedium(file, page);
    }
  }

  private appendToMedium(file: string, page: Uint8Array): void {
    try {
      this.medium.append(file, page);
    } catch (error) {
      throw this.ioError(file, error);
    }
  }

  truncate(file: string, length: number): void {
    this.write(() => this.io(file, () => this.medium.truncate(file, length)));
  }

  rename(from: string, to: string): void {
    this.write(() => this.io(from, () => this.medium.rename(from, to)));
  }

  remove(file: string): void {
    this.write(() => this.io(file, () => this.medium.remove(file)));
  }

  /** Whatever the medium throws is a storage failure, whoever wrote the medium. */
  private io<T>(file: string, action: () => T): T {
    try {
      return action();
    } catch (error) {
      throw this.ioError(file, error);
    }
  }

  private ioError(file: string, error: unknown): FlashIoError {
    if (error instanceof FlashIoError) return error;
    return new FlashIoError(`storage failed on ${this.medium.describe(file)}: ${(error as Error).message}`, {
      cause: error,
    });
  }

  /** How the cut that cutNow() reported happened. */
  private cutKind: CutKind = 'torn';

  /** Counts one physical write; true when the power dies at it (the chip is then off). */
  private cutNow(): boolean {
    this.total++;
    this.sinceBoot++;
    const cut = this.armedAt;
    if (!cut || this.total < cut.write) return false;
    this.armedAt = undefined;
    this.powered = false;
    this.cutKind = cut.how;
    return true;
  }

  /** A write that a cut loses whole (truncate, rename, remove: atomic on the medium). */
  private write(action: () => void): void {
    this.checkPower();
    if (this.cutNow()) throw new PowerCutError(this.sinceBoot, this.cutKind);
    action();
  }

  private checkPower(): void {
    if (!this.powered) throw new PowerCutError(0, 'off');
  }
}
