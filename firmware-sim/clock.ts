import { MAX_TIMER_DELAY_MS } from '../transport/index.js';
/** A timer the band set; cancelling twice, or after it fired, is harmless. */
export interface Timer {
  cancel(): void;
}

/**
 * The band's sense of time. Every delay in the firmware (match, liveness, the 10 s wipe hold, the 30 s
 * presence timeout) goes through one of these, so a test runs a minute of band time in no time at all.
 */
export interface Clock {
  /** Milliseconds since an arbitrary origin; never goes backwards. */
  now(): number;
  setTimer(delayMs: number, callback: () => void): Timer;
  /**
   * Moves time forward by `ms`: every timer that falls due fires in due-time order (ties in the order they
   * were set), including timers set by those callbacks that fall due within the window.
   */
  advance(ms: number): void;
}

/** A timer in the queue; it is also the handle `setTimer` returns (one object a timer, as a transaction sets one). */
class Entry implements Timer {
  cancelled = false;
  constructor(
    private readonly clock: QueueClock,
    readonly due: number,
    readonly order: number,
    readonly callback: () => void,
  ) {}

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.clock.drop(this);
  }
}

/** The timer queue both clocks share; they differ only in what moves `now` besides `advance`. */
abstract class QueueClock implements Clock {
  private readonly entries: Entry[] = [];
  private order = 0;
  private advancing = false;

  abstract now(): number;
  protected abstract skip(ms: number): void;
  protected abstract rescheduled(): void;

  setTimer(delayMs: number, callback: () => void): Timer {
    if (!Number.isFinite(delayMs) || delayMs < 0) {
      throw new RangeError(`expected a timer delay of 0 ms or more, got ${delayMs}`);
    }
    const entry = new Entry(this, this.now() + delayMs, this.order++, callback);
    this.entries.push(entry);
    this.rescheduled();
    return entry;
  }

  /** A cancelled timer leaves the queue. */
  drop(entry: Entry): void {
    this.remove(entry);
    this.rescheduled();
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`expected to advance the clock by 0 ms or more, got ${ms}`);
    // A callback that advances the clock again (a debug hold inside a timer) would fire timers out of order.
    if (this.advancing) throw new Error('the clock is already advancing; advance it from outside timer callbacks');
    this.advancing = true;
    try {
      const target = this.now() + ms;
      // Never backwards: on the system clock, wall time also moves while a callback runs (a flash commit), so
      // `now` may already be past the next due time or past the target.
      for (let next = this.nextDue(target); next; next = this.nextDue(target)) {
        this.skip(Math.max(0, next.due - this.now()));
        this.fire(next);
      }
      this.skip(Math.max(0, target - this.now()));
    } finally {
      this.advancing = false;
      this.rescheduled();
    }
  }

  /** Fires every timer due by now (the system clock's wake-up). */
  protected fireDue(): void {
    if (this.advancing) return;
    for (let next = this.nextDue(this.now()); next; next = this.nextDue(this.now())) this.fire(next);
    this.rescheduled();
  }

  /** Timers still waiting (for tests that check nothing is left behind). */
  get pendingTimers(): number {
    return this.entries.length;
  }

  protected earliest(): Entry | undefined {
    let best: Entry | undefined;
    for (const e of this.entries)
      if (!best || e.due < best.due || (e.due === best.due && e.order < best.order)) best = e;
    return best;
  }

  private nextDue(limit: number): Entry | undefined {
    const e = this.earliest();
    return e && e.due <= limit ? e : undefined;
  }

  private fire(entry: Entry): void {
    entry.cancelled = true;
    this.remove(entry);
    entry.callback();
  }

  /** The queue's order does not matter (`earliest` compares due times and order): the last entry fills the gap. */
  private remove(entry: Entry): void {
    const at = this.entries.indexOf(entry);
    if (at < 0) return;
    const last = this.entries.pop()!;
    if (last !== entry) this.entries[at] = last;
  }
}

/** Time moves only when a test says so. */
export class ManualClock extends QueueClock {
  private current: number;

  constructor(startMs = 0) {
    super();
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  protected skip(ms: number): void {
    this.current += ms;
  }

  protected rescheduled(): void {}
}

/**
 * Wall-clock time for bandsim, plus `advance`, which lets a test rig's debug link skip ahead (hold a
 * button for 10 s without waiting 10 s). One Node timer at a time wakes the queue for the earliest entry.
 *
 * That timer is only moved earlier, never cancelled: a timer set and cancelled inside every request (the
 * transaction's KEEPALIVE ticker) would otherwise clear and set a Node timer twice a request, a twentieth of a
 * loopback round trip (`node --cpu-prof`, test/bench). A wake with nothing due just sets the next one.
 */
export class SystemClock extends QueueClock {
  private readonly origin = performance.now();
  private offset = 0;
  private wake?: ReturnType<typeof setTimeout>;
  /** When the Node timer fires, in performance.now() time (`advance` moves the clock, not this). */
  private wakeAt = Infinity;

  now(): number {
    return Math.floor(performance.now() - this.origin) + this.offset;
  }

  protected skip(ms: number): void {
    this.offset += ms;
  }

  protected rescheduled(): void {
    const next = this.earliest();
    if (!next) return;
    // The performance.now() time at which `next` falls due: a wake no later than that stays.
    const dueAt = next.due - this.offset + this.origin;
    if (this.wakeAt <= dueAt) return;
    if (this.wake) clearTimeout(this.wake);
    // Capped: fireDue() fires only what is due, and sets the wake again for the rest.
    const delay = Math.min(MAX_TIMER_DELAY_MS, Math.max(0, next.due - this.now()));
    this.wakeAt = performance.now() + delay;
    this.wake = setTimeout(() => {
      this.wake = undefined;
      this.wakeAt = Infinity;
      this.fireDue();
    }, delay);
    // An idle band must not keep a finished process alive.
    this.wake.unref?.();
  }
}
