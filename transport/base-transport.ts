import { TransportError } from './errors.js';
import { Listeners } from './listeners.js';
import type { Transport, Unit } from './transport.js';
import { assertUnit } from './unit.js';

/**
 * The bookkeeping every transport shares: listeners, the open -> closing -> closed life cycle, close
 * reported exactly once, and sends still pending when the link goes away rejected with the reason.
 * Subclasses only move units.
 */
export abstract class BaseTransport implements Transport {
  readonly name: string;
  /** Made at the first subscription: most links never have a frame-error listener, some no close listener. */
  #units: Listeners<[Unit]> | undefined;
  #frameErrors: Listeners<[TransportError]> | undefined;
  #closes: Listeners<[TransportError | undefined]> | undefined;
  /**
   * Operations in flight (`track`), oldest first, as a linked list: a Set's add and delete per send reallocated its
   * table as it emptied, a visible share of a loopback round trip's bytes and time (`node --cpu-prof`, test/bench).
   */
  #oldest: InFlight | undefined;
  #newest: InFlight | undefined;
  #state: 'open' | 'closing' | 'closed' = 'open';
  #closeReason: TransportError | undefined;

  constructor(name: string) {
    this.name = name;
  }

  get isOpen(): boolean {
    return this.#state === 'open';
  }

  /** True once close() was called or the link died. */
  protected get isClosingOrClosed(): boolean {
    return this.#state !== 'open';
  }

  send(unit: Unit): Promise<void> {
    if (this.#state !== 'open') return Promise.reject(this.#closedError());
    try {
      assertUnit(unit);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    return this.sendTracked(unit);
  }

  onUnit(listener: (unit: Unit) => void): () => void {
    return (this.#units ??= new Listeners()).add(listener);
  }

  onFrameError(listener: (error: TransportError) => void): () => void {
    return (this.#frameErrors ??= new Listeners()).add(listener);
  }

  onClose(listener: (error?: TransportError) => void): () => void {
    if (this.#state === 'closed') {
      // A late subscriber still learns how the link ended instead of waiting forever.
      let cancelled = false;
      const reason = this.#closeReason;
      queueMicrotask(() => {
        if (!cancelled) listener(reason);
      });
      return () => {
        cancelled = true;
      };
    }
    return (this.#closes ??= new Listeners()).add(listener);
  }

  async close(): Promise<void> {
    if (this.#state !== 'open') return;
    this.#state = 'closing';
    try {
      await this.closeLink();
    } finally {
      this.markClosed(undefined);
    }
  }

  /** Puts one validated unit on the wire; resolves once the wire has taken it. */
  protected abstract sendUnit(unit: Unit): Promise<void>;

  /**
   * send()'s work once the unit is valid: sendUnit tied to the link (track). A transport that settles its own
   * writes overrides this with startOperation/settleOperation, which saves the second promise and the two
   * callbacks track() keeps per send in flight.
   */
  protected sendTracked(unit: Unit): Promise<void> {
    return this.track(this.sendUnit(unit));
  }
  /** Releases the underlying link for a local close(), flushing what was already sent. */
  protected abstract closeLink(): Promise<void>;

  protected deliverUnit(unit: Unit): void {
    if (this.#state !== 'closed') this.#units?.emit(unit);
  }

  protected reportFrameError(error: TransportError): void {
    if (this.#state !== 'closed') this.#frameErrors?.emit(error);
  }

  /**
   * Ends the transport once: pending sends are rejected, close listeners hear `reason` (undefined for
   * a local close), then every listener is dropped so nothing the caller subscribed outlives the link.
   */
  protected markClosed(reason: TransportError | undefined): void {
    if (this.#state === 'closed') return;
    // The link dying during our own close() is the close we asked for, not a failure.
    const effective = this.#state === 'closing' ? undefined : reason;
    this.#state = 'closed';
    this.#closeReason = effective;
    // Sends caught in flight learn why the link went; later sends just get CLOSED.
    const pendingError = effective ?? this.#closedError();
    let entry = this.#oldest;
    this.#oldest = this.#newest = undefined;
    while (entry !== undefined) {
      const next = entry.next;
      entry.linked = false;
      entry.reject(pendingError);
      entry = next;
    }
    this.#closes?.emit(effective);
    this.#units?.clear();
    this.#frameErrors?.clear();
    this.#closes?.clear();
  }

  /**
   * An operation the transport settles itself with settleOperation(), tied to the link: its promise rejects with
   * the close reason if the link goes first.
   */
  protected startOperation<O extends PendingOperation>(operation: O): O {
    this.#link(operation);
    return operation;
  }

  /** Settles an operation (a no-op once settled); one from startOperation() is untied from the link. */
  protected settleOperation(operation: PendingOperation, error?: TransportError): void {
    this.#unlink(operation);
    if (error === undefined) operation.resolve();
    else operation.reject(error);
  }

  /** Ties an operation to the link: it rejects with the close reason if the link goes first. */
  protected track<T>(operation: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: InFlight = { reject, previous: undefined, next: undefined, linked: false };
      this.#link(entry);
      operation.then(
        (value) => {
          this.#unlink(entry);
          resolve(value);
        },
        (error: unknown) => {
          this.#unlink(entry);
          reject(
            error instanceof TransportError
              ? error
              : new TransportError(
                  'WRITE_FAILED',
                  `expected ${this.name} to accept the write, it failed: ${describe(error)}; check the link and reopen the transport`,
                  { cause: error },
                ),
          );
        },
      );
    });
  }

  #link(entry: InFlight): void {
    entry.previous = this.#newest;
    entry.linked = true;
    if (this.#newest === undefined) this.#oldest = entry;
    else this.#newest.next = entry;
    this.#newest = entry;
  }

  #unlink(entry: InFlight): void {
    if (!entry.linked) return;
    entry.linked = false;
    if (entry.previous === undefined) this.#oldest = entry.next;
    else entry.previous.next = entry.next;
    if (entry.next === undefined) this.#newest = entry.previous;
    else entry.next.previous = entry.previous;
  }

  #closedError(): TransportError {
    // The reason's own message carries its own advice: named by code here, kept whole in `cause`.
    const why = this.#closeReason
      ? ` since its link was lost (TransportError ${this.#closeReason.code}, see cause)`
      : '';
    return new TransportError('CLOSED', `expected ${this.name} to be open, it is closed${why}; open a new transport`, {
      cause: this.#closeReason,
    });
  }
}

/** One tracked operation: rejected with the close reason if the link goes before it settles. */
interface InFlight {
  reject(error: TransportError): void;
  previous: InFlight | undefined;
  next: InFlight | undefined;
  linked: boolean;
}

/**
 * A write (or close) its transport settles itself: the caller's promise and its resolvers in one object, which is
 * also its entry among the operations in flight once startOperation() has tied it to the link (untied, it is a
 * plain deferred). A transport may extend it with what it needs to carry out the operation.
 */
export class PendingOperation implements InFlight {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (error: TransportError) => void;
  previous: InFlight | undefined = undefined;
  next: InFlight | undefined = undefined;
  linked = false;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
