import {
  Command,
  HidError,
  MAX_TIMER_DELAY_MS,
  TransportError,
  commandName,
  runsBesideTransaction,
  type Transport,
  Subscribers,
  type Unit,
} from '../transport/index.js';
import { BandClientError, causeLabel, hidErrorName, linkClosedError } from './errors.js';

/**
 * Independent request slots on one link: `main` carries band and FIDO2 calls, one at a time; `debug` carries
 * the debug link's, beside them (runsBesideTransaction in proto/ctaphid.ts says why).
 */
export type Lane = 'main' | 'debug';

/** Per-call options every band call takes: a time limit and cancellation. */
export interface CallOptions {
  /** Per-call deadline in milliseconds (default: the channel's). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called for each KEEPALIVE the band sends while it works or waits for the user. */
  onKeepalive?: (status: number) => void;
  /**
   * The longest the band may stay silent (no reply, no KEEPALIVE) before the call fails with DISCONNECTED,
   * "the band stopped answering". A band at work or waiting for a person sends KEEPALIVE every
   * KEEPALIVE_INTERVAL_MS (100 ms) on every wire, so only a dead band or a dead link stays silent this long.
   * Default: the channel's default timeout. Matters when timeoutMs is longer (a wait for a person), so a dead
   * band is noticed in seconds rather than when the person's time is up.
   */
  silenceMs?: number;
}

/**
 * Decides, for each arriving unit, whether it is the reply to the request in flight; `command` is that request's
 * CTAPHID command (so one shared function can match every call that is answered by its own command).
 */
export type ReplyMatcher = (unit: Unit, command: number) => boolean;

/** The reply to a request is the unit of the same command (PING, WINK, CBOR). */
export const replyToSameCommand: ReplyMatcher = (unit, command) => unit.command === command;

const ignore = () => undefined;

/**
 * One call in flight, all of its state in one object with the behaviour on the prototype; it is also the listener on
 * the caller's AbortSignal (`handleEvent`). A closure per callback, their contexts and a silence timer per call were
 * most of what 1,000 bands waiting for a tap kept alive on the host (heap snapshot, test/bench/fleet.ts).
 */
class PendingCall {
  /**
   * performance.now() time after which a silent band fails the call: moved on by every KEEPALIVE, Infinity when
   * the call's deadline comes first anyway. The channel's watchdog watches it beside the deadline.
   */
  silentAt = Infinity;
  resolve!: (unit: Unit) => void;
  reject!: (error: Error) => void;

  constructor(
    readonly channel: BandChannel,
    readonly lane: Lane,
    readonly sentAt: number,
    readonly command: number,
    readonly timeoutMs: number,
    /** performance.now() time after which the call fails with TIMEOUT. */
    readonly deadline: number,
    readonly match: ReplyMatcher,
    /** The silence allowed, or 0 when it is not watched (no shorter than the deadline). */
    readonly silenceMs: number,
    readonly signal: AbortSignal | undefined,
    /** Called for each KEEPALIVE (main lane only). */
    readonly onKeepalive: ((status: number) => void) | undefined,
  ) {
    if (silenceMs > 0) this.silentAt = performance.now() + silenceMs;
  }

  keepalive(status: number): void {
    if (this.silenceMs > 0) this.silentAt = performance.now() + this.silenceMs;
    this.onKeepalive?.(status);
  }

  /** The reply came. */
  succeed(unit: Unit): void {
    if (!this.channel.release(this)) return;
    this.signal?.removeEventListener('abort', this);
    this.resolve(unit);
  }

  /** The call ends without its reply; false if it had ended already. */
  fail(error: Error): void {
    const { channel } = this;
    if (!channel.release(this)) return;
    this.signal?.removeEventListener('abort', this);
    // A CBOR call that ends without its reply (timeout, abort, an ERROR, silence, the client closed) may still
    // be running on the band, waiting for a tap nobody will give: CTAPHID_CANCEL frees the band for the next
    // call or host at once. Other commands finish on their own.
    if (this.command === Command.CBOR && channel.transport.isOpen) {
      channel.transport.send({ command: Command.CANCEL, payload: new Uint8Array(0) }).catch(ignore);
    }
    this.reject(error);
  }

  /** The caller's AbortSignal fired (EventListener object: no closure per call). */
  handleEvent(): void {
    this.fail(
      new BandClientError('ABORTED', `${commandName(this.command)} aborted by the caller`, {
        cause: this.signal?.reason,
      }),
    );
  }

  sendFailed(cause: unknown): void {
    this.fail(
      cause instanceof TransportError && (cause.code === 'CLOSED' || cause.code === 'DISCONNECTED')
        ? new BandClientError(
            'DISCONNECTED',
            `could not send ${commandName(this.command)}: the link to the band (${this.channel.transport.name}) is closed ` +
              `(${causeLabel(cause)}, see error.cause); open the band again and retry`,
            { cause },
          )
        : (cause as Error),
    );
  }

  /** The error of a call whose time is up at `now`, if it is. */
  expired(now: number): Error | undefined {
    const name = this.channel.transport.name;
    if (this.silentAt <= now && this.silentAt < this.deadline) {
      return new BandClientError(
        'DISCONNECTED',
        `the band stopped answering: neither a reply to ${commandName(this.command)} nor a KEEPALIVE came from ${name} for ${this.silenceMs} ms; check the band is powered and connected, then retry`,
        { silentForMs: this.silenceMs },
      );
    }
    if (this.deadline <= now) {
      return new BandClientError(
        'TIMEOUT',
        `no reply to ${commandName(this.command)} from ${name} within ${this.timeoutMs} ms; check the band is powered and connected, or raise timeoutMs`,
        { noReplyWithinMs: this.timeoutMs },
      );
    }
    return undefined;
  }
}

/**
 * One conversation with one band: at most one request in flight (a second caller gets BUSY at once rather
 * than interleaved bytes), replies routed to the caller, everything else to the unsolicited listeners.
 * Every timer and listener a call creates is gone when the call settles.
 */
export class BandChannel {
  /**
   * The call in flight on each lane. Two fields rather than a Map: a Map's set and delete per call reallocated its
   * table as it emptied, and routing a unit spread its values into a new array (`node --heap-prof`, test/bench fleet).
   */
  private mainCall?: PendingCall;
  private debugCall?: PendingCall;
  private sendCounter = 0;
  /** The unsolicited listeners (a client has one: `Subscribers` makes no Set for it). */
  private readonly unsolicitedListeners = new Subscribers<Unit>();
  private closedError?: Error;
  private readonly offUnit: () => void;
  private readonly offClose: () => void;
  /**
   * One Node timer for every call's deadline and silence, moved only earlier and unreferenced while no call waits: a
   * timer set and cleared per call was a twentieth of a loopback round trip (`node --cpu-prof`, test/bench), and a
   * silence timer set again at every KEEPALIVE one more object per call. When it fires it fails the calls whose time
   * is up and is set again for the next deadline.
   */
  private watchdog?: ReturnType<typeof setTimeout>;
  private watchdogAt = Infinity;

  constructor(
    readonly transport: Transport,
    private readonly defaultTimeoutMs = 5_000,
  ) {
    this.offUnit = transport.onUnit((unit) => this.route(unit));
    this.offClose = transport.onClose((error) => {
      this.closedError = linkClosedError(transport.name, error);
      for (const p of this.calls()) p.fail(this.closedError);
    });
  }

  busy(lane: Lane = 'main'): boolean {
    return (lane === 'main' ? this.mainCall : this.debugCall) !== undefined;
  }

  /** Units that are not a reply to the call in flight (band events, stray replies). */
  onUnsolicited(listener: (unit: Unit) => void): () => void {
    return this.unsolicitedListeners.add(listener);
  }

  transact(request: Unit, match: ReplyMatcher, options?: CallOptions): Promise<Unit> {
    const lane: Lane = runsBesideTransaction(request.command) ? 'debug' : 'main';
    if (this.closedError || !this.transport.isOpen) {
      return Promise.reject(
        this.closedError ??
          new BandClientError(
            'DISCONNECTED',
            `the link to the band (${this.transport.name}) is closed; open the band again and retry`,
          ),
      );
    }
    // Named only for a message: commandName's table lookup was a measurable part of every round trip.
    if (this.busy(lane)) {
      return Promise.reject(
        new BandClientError(
          'BUSY',
          `a ${commandName(request.command)} request was made while another call is in flight on ${this.transport.name}; await the first call (one call at a time per band)`,
        ),
      );
    }
    const signal = options?.signal;
    if (signal?.aborted) {
      return Promise.reject(
        new BandClientError('ABORTED', `${commandName(request.command)} aborted before it was sent`, {
          cause: signal.reason,
        }),
      );
    }
    const timeoutMs = options?.timeoutMs ?? this.defaultTimeoutMs;
    const silenceMs = options?.silenceMs ?? this.defaultTimeoutMs;
    // Silence is watched only for a wait longer than the silence allowed (a shorter one ends first anyway). The call
    // keeps its request's command, not the request: its payload is the transport's once sent.
    const pending = new PendingCall(
      this,
      lane,
      ++this.sendCounter,
      request.command,
      timeoutMs,
      performance.now() + timeoutMs,
      match,
      silenceMs < timeoutMs ? silenceMs : 0,
      signal,
      options?.onKeepalive,
    );
    const promise = new Promise<Unit>((resolve, reject) => {
      pending.resolve = resolve;
      pending.reject = reject;
    });
    if (lane === 'main') this.mainCall = pending;
    else this.debugCall = pending;
    this.watch(Math.min(pending.deadline, pending.silentAt));
    signal?.addEventListener('abort', pending, { once: true });
    let sent: Promise<void>;
    try {
      sent = this.transport.send(request);
    } catch (cause) {
      pending.sendFailed(cause);
      return promise;
    }
    sent.catch((cause: unknown) => pending.sendFailed(cause));
    return promise;
  }

  /** The calls in flight, newest first. */
  private calls(): PendingCall[] {
    const { mainCall: main, debugCall: debug } = this;
    if (main === undefined) return debug === undefined ? [] : [debug];
    if (debug === undefined) return [main];
    return debug.sentAt > main.sentAt ? [debug, main] : [main, debug];
  }

  /**
   * Takes `pending` off its lane; false if it is no longer the call there (settled already).
   * @internal For PendingCall.
   */
  release(pending: PendingCall): boolean {
    if (pending.lane === 'main') {
      if (this.mainCall !== pending) return false;
      this.mainCall = undefined;
    } else {
      if (this.debugCall !== pending) return false;
      this.debugCall = undefined;
    }
    if (this.mainCall === undefined && this.debugCall === undefined) this.watchdog?.unref();
    return true;
  }

  close(): void {
    this.closedError ??= new BandClientError(
      'CLOSED',
      `this client of ${this.transport.name} was closed; make a new one (the transport stays the caller's to close)`,
    );
    this.offUnit();
    this.offClose();
    for (const p of this.calls()) {
      p.fail(new BandClientError('ABORTED', 'the client was closed while a call was in flight'));
    }
    this.unsolicitedListeners.clear();
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    this.watchdogAt = Infinity;
  }

  /** Makes the watchdog fire by `deadline`, and keeps the process alive while a call waits. */
  private watch(deadline: number): void {
    if (this.watchdog && this.watchdogAt <= deadline) {
      this.watchdog.ref();
      return;
    }
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdogAt = deadline;
    // Capped: expire() finds a deadline not yet due and sets the watchdog again.
    const delay = Math.min(MAX_TIMER_DELAY_MS, Math.max(0, deadline - performance.now()));
    this.watchdog = setTimeout(expire, delay, this);
  }

  /**
   * The watchdog fired: the calls whose time is up fail with TIMEOUT (or DISCONNECTED for a band silent too long);
   * it is set again for the next deadline.
   * @internal For the watchdog's timer.
   */
  expire(): void {
    this.watchdog = undefined;
    this.watchdogAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const pending of this.calls()) {
      const error = pending.expired(now);
      if (error) pending.fail(error);
      else next = Math.min(next, pending.deadline, pending.silentAt);
    }
    if (next !== Infinity) this.watch(next);
  }

  private route(unit: Unit): void {
    if (unit.command === Command.KEEPALIVE) {
      this.mainCall?.keepalive(unit.payload[0] ?? 0);
      return;
    }
    // Newest first; with one call in flight (the usual case) there is nothing to order.
    const { mainCall: main, debugCall: debug } = this;
    const newest = main === undefined || (debug !== undefined && debug.sentAt > main.sentAt) ? debug : main;
    if (newest === undefined) {
      this.unsolicitedListeners.emit(unit);
      return;
    }
    if (unit.command === Command.ERROR) {
      // A framed link's ERROR names no request: a band answers a refused command at once, so it
      // belongs to the most recent one.
      const code = unit.payload[0] ?? HidError.OTHER;
      newest.fail(
        new BandClientError(
          'DEVICE_ERROR',
          `the band answered CTAPHID ERROR ${hidErrorName(code)} (0x${code.toString(16).padStart(2, '0')})`,
          { hidError: code },
        ),
      );
      return;
    }
    const older = newest === main ? debug : main;
    if (this.offer(newest, unit) || (older !== undefined && this.offer(older, unit))) return;
    this.unsolicitedListeners.emit(unit);
  }

  /** True if `unit` was the reply `pending` waits for (or its matcher threw, which settles it too). */
  private offer(pending: PendingCall, unit: Unit): boolean {
    let matched: boolean;
    try {
      matched = pending.match(unit, pending.command);
    } catch (error) {
      pending.fail(error as Error);
      return true;
    }
    if (matched) pending.succeed(unit);
    return matched;
  }
}

/** The watchdog's callback: the channel comes as the timer's argument, so no closure is kept per channel. */
function expire(channel: BandChannel): void {
  channel.expire();
}
