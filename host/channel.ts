import {
  Command,
  HidError,
  MAX_TIMER_DELAY_MS,
  TransportError,
  commandName,
  runsBesideTransaction,
  type Transport,
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

/** Decides, for each arriving unit, whether it is the reply to the request in flight. */
export type ReplyMatcher = (unit: Unit) => boolean;

interface Pending {
  lane: Lane;
  sentAt: number;
  command: number;
  timeoutMs: number;
  /** performance.now() time after which the call fails with TIMEOUT. */
  deadline: number;
  match: ReplyMatcher;
  /** Called for each KEEPALIVE (main lane only). */
  keepalive(status: number): void;
  settle(result: { unit: Unit } | { error: Error }): void;
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
  private mainCall?: Pending;
  private debugCall?: Pending;
  private sendCounter = 0;
  private readonly unsolicited = new Set<(unit: Unit) => void>();
  private closedError?: Error;
  private readonly detach: (() => void)[];
  /**
   * One Node timer for every call's deadline, moved only earlier and unreferenced while no call waits: a timer set
   * and cleared per call was a twentieth of a loopback round trip (`node --cpu-prof`, test/bench). When it fires
   * it fails the calls whose time is up and is set again for the next deadline.
   */
  private watchdog?: ReturnType<typeof setTimeout>;
  private watchdogAt = Infinity;

  constructor(
    readonly transport: Transport,
    private readonly defaultTimeoutMs = 5_000,
  ) {
    this.detach = [
      transport.onUnit((unit) => this.route(unit)),
      transport.onClose((error) => {
        this.closedError = linkClosedError(transport.name, error);
        for (const p of this.calls()) p.settle({ error: this.closedError });
      }),
    ];
  }

  busy(lane: Lane = 'main'): boolean {
    return (lane === 'main' ? this.mainCall : this.debugCall) !== undefined;
  }

  /** Units that are not a reply to the call in flight (band events, stray replies). */
  onUnsolicited(listener: (unit: Unit) => void): () => void {
    this.unsolicited.add(listener);
    return () => this.unsolicited.delete(listener);
  }

  transact(request: Unit, match: ReplyMatcher, options: CallOptions = {}): Promise<Unit> {
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
    const { signal } = options;
    if (signal?.aborted) {
      return Promise.reject(
        new BandClientError('ABORTED', `${commandName(request.command)} aborted before it was sent`, {
          cause: signal.reason,
        }),
      );
    }
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    const silenceMs = options.silenceMs ?? this.defaultTimeoutMs;
    return new Promise<Unit>((resolve, reject) => {
      // Only what a call needs is made for it: an abort listener with a signal, a silence timer for a wait longer
      // than the silence allowed (a shorter one ends first anyway).
      const onAbort =
        signal &&
        (() => {
          pending.settle({
            error: new BandClientError('ABORTED', `${commandName(request.command)} aborted by the caller`, {
              cause: signal.reason,
            }),
          });
        });
      const watchesSilence = silenceMs < timeoutMs;
      let silence: ReturnType<typeof setTimeout> | undefined;
      const watchSilence = () => {
        if (silence !== undefined) clearTimeout(silence);
        silence = setTimeout(() => {
          pending.settle({
            error: new BandClientError(
              'DISCONNECTED',
              `the band stopped answering: neither a reply to ${commandName(request.command)} nor a KEEPALIVE came from ${this.transport.name} for ${silenceMs} ms; check the band is powered and connected, then retry`,
              { silentForMs: silenceMs },
            ),
          });
        }, silenceMs);
      };
      const pending: Pending = {
        lane,
        sentAt: ++this.sendCounter,
        command: request.command,
        timeoutMs,
        deadline: performance.now() + timeoutMs,
        match,
        keepalive: (status) => {
          if (watchesSilence) watchSilence();
          options.onKeepalive?.(status);
        },
        settle: (result) => {
          if (!this.release(pending)) return;
          if (silence !== undefined) clearTimeout(silence);
          if (onAbort) signal.removeEventListener('abort', onAbort);
          if ('unit' in result) return resolve(result.unit);
          // A CBOR call that ends without its reply (timeout, abort, an ERROR, silence, the client closed) may still
          // be running on the band, waiting for a tap nobody will give: CTAPHID_CANCEL frees the band for the next
          // call or host at once. Other commands finish on their own.
          if (request.command === Command.CBOR && this.transport.isOpen) {
            this.transport.send({ command: Command.CANCEL, payload: new Uint8Array(0) }).catch(() => undefined);
          }
          reject(result.error);
        },
      };
      if (lane === 'main') this.mainCall = pending;
      else this.debugCall = pending;
      this.watch(pending.deadline);
      if (watchesSilence) watchSilence();
      if (onAbort) signal.addEventListener('abort', onAbort, { once: true });
      this.transport.send(request).catch((cause: unknown) => {
        pending.settle({
          error:
            cause instanceof TransportError && (cause.code === 'CLOSED' || cause.code === 'DISCONNECTED')
              ? new BandClientError(
                  'DISCONNECTED',
                  `could not send ${commandName(request.command)}: the link to the band (${this.transport.name}) is closed ` +
                    `(${causeLabel(cause)}, see error.cause); open the band again and retry`,
                  { cause },
                )
              : (cause as Error),
        });
      });
    });
  }

  /** The calls in flight, newest first. */
  private calls(): Pending[] {
    const { mainCall: main, debugCall: debug } = this;
    if (main === undefined) return debug === undefined ? [] : [debug];
    if (debug === undefined) return [main];
    return debug.sentAt > main.sentAt ? [debug, main] : [main, debug];
  }

  /** Takes `pending` off its lane; false if it is no longer the call there (settled already). */
  private release(pending: Pending): boolean {
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
    for (const off of this.detach) off();
    for (const p of this.calls()) {
      p.settle({ error: new BandClientError('ABORTED', 'the client was closed while a call was in flight') });
    }
    this.unsolicited.clear();
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
    this.watchdog = setTimeout(() => this.expire(), delay);
  }

  /** The watchdog fired: the calls whose time is up fail with TIMEOUT; it is set again for the next deadline. */
  private expire(): void {
    this.watchdog = undefined;
    this.watchdogAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    for (const pending of this.calls()) {
      if (pending.deadline > now) next = Math.min(next, pending.deadline);
      else {
        pending.settle({
          error: new BandClientError(
            'TIMEOUT',
            `no reply to ${commandName(pending.command)} from ${this.transport.name} within ${pending.timeoutMs} ms; check the band is powered and connected, or raise timeoutMs`,
            { noReplyWithinMs: pending.timeoutMs },
          ),
        });
      }
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
      for (const listener of this.unsolicited) listener(unit);
      return;
    }
    if (unit.command === Command.ERROR) {
      // A framed link's ERROR names no request: a band answers a refused command at once, so it
      // belongs to the most recent one.
      const code = unit.payload[0] ?? HidError.OTHER;
      newest.settle({
        error: new BandClientError(
          'DEVICE_ERROR',
          `the band answered CTAPHID ERROR ${hidErrorName(code)} (0x${code.toString(16).padStart(2, '0')})`,
          { hidError: code },
        ),
      });
      return;
    }
    const older = newest === main ? debug : main;
    if (this.offer(newest, unit) || (older !== undefined && this.offer(older, unit))) return;
    for (const listener of this.unsolicited) listener(unit);
  }

  /** True if `unit` was the reply `pending` waits for (or its matcher threw, which settles it too). */
  private offer(pending: Pending, unit: Unit): boolean {
    let matched: boolean;
    try {
      matched = pending.match(unit);
    } catch (error) {
      pending.settle({ error: error as Error });
      return true;
    }
    if (matched) pending.settle({ unit });
    return matched;
  }
}
