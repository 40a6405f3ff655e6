import {
  Command,
  HidError,
  KEEPALIVE_INTERVAL_MS,
  KeepaliveStatus,
  runsBesideTransaction,
  type Unit,
} from '../transport/index.js';
import type { Clock, Timer } from './clock.js';
import type { BandDevice, CancelWatcher, DeviceContext } from './band-device.js';

/** What an endpoint (a framed link, a CTAPHID channel) gives a transaction to talk back through. */
export interface TransactionHooks {
  /**
   * The answer: the band's reply, or ERROR OTHER if it failed, and the transaction it answers (so one hooks object
   * can serve every request of an endpoint). Never called after abandon().
   */
  answer(unit: Unit, transaction: Transaction): void;
  /** One KEEPALIVE with this status byte. */
  keepalive(status: number): void;
  /** The band's clock: KEEPALIVEs are timed on it, so a test decides when they go. */
  clock: Clock;
  /** Period of KEEPALIVE while the request runs; default KEEPALIVE_INTERVAL_MS. */
  keepaliveIntervalMs?: number;
}

/** A request the band accepted. */
export interface Transaction {
  /** CTAPHID_CANCEL: the band stops waiting; the answer still comes (CTAP2_ERR_KEEPALIVE_CANCEL for CBOR). */
  cancel(): void;
  /**
   * The requester is gone or resynchronised (INIT, its link closed): the band stops and nothing more is sent.
   * The band stays busy until the request has wound down, so two requests never run inside it at once.
   */
  abandon(): void;
}

const gates = new WeakMap<BandDevice, OneTransaction>();

/**
 * The band side of runsBesideTransaction (proto/ctaphid.ts), for every endpoint: one gate per band, so
 * a band behind several endpoints (bandsim --serial --tcp --udp-hid) still has one command processor. While
 * a transaction runs the band sends KEEPALIVE every KEEPALIVE_INTERVAL_MS on every wire, so a host can tell
 * a band at work from a dead one (docs/protocol.md, "Liveness").
 */
export class OneTransaction {
  #running = false;

  private constructor(private readonly device: BandDevice) {}

  /** The gate of `device`: every endpoint serving the same device shares it. */
  static of(device: BandDevice): OneTransaction {
    let gate = gates.get(device);
    if (!gate) {
      gate = new OneTransaction(device);
      gates.set(device, gate);
    }
    return gate;
  }

  /** True while a request (other than the debug link's) runs. */
  get busy(): boolean {
    return this.#running;
  }

  /**
   * Starts `unit` on the band. Returns undefined, and starts nothing, when another transaction holds the
   * band: the endpoint answers CHANNEL_BUSY in its own wire's way.
   */
  begin(unit: Unit, hooks: TransactionHooks): Transaction | undefined {
    const beside = runsBesideTransaction(unit.command);
    // Refused first, before anything is allocated: a peer pipelining requests meets this path at wire speed.
    if (!beside && this.#running) return undefined;
    const running = new RunningTransaction(hooks, beside);
    if (beside) {
      void this.#handle(unit, running).then((answer) => running.answered(answer));
      return running;
    }
    this.#running = true;
    running.startTicker();
    void this.#handle(unit, running).then((answer) => {
      this.#running = false;
      running.answered(answer);
    });
    return running;
  }

  /** Never rejects: a band that throws answers ERROR OTHER, and the endpoint keeps serving. */
  #handle(unit: Unit, ctx: DeviceContext): Promise<Unit> {
    let running: Promise<Unit>;
    try {
      running = this.device.handle(unit, ctx);
    } catch {
      running = Promise.reject(new Error('handle threw'));
    }
    return running.catch(() => ({ command: Command.ERROR, payload: Uint8Array.of(HidError.OTHER) }));
  }
}

/**
 * One request the band accepted: the endpoint's handle on it (`Transaction`) and the band's context for it
 * (`DeviceContext`) in one object. A transaction made a dozen closures and objects per request before, most of a
 * fast round trip's allocation on the band side (`node --heap-prof`, test/bench fleet).
 */
class RunningTransaction implements Transaction, DeviceContext {
  /**
   * Made when the band first looks at the signal (a wait for presence does; most requests never wait): it and its
   * signal were a tenth of a fast round trip. A cancel before that is kept and the signal is born aborted.
   */
  #controller: AbortController | undefined;
  #aborted = false;
  #abandoned = false;
  #status: number = KeepaliveStatus.PROCESSING;
  #ticker: Timer | undefined;
  /** The band's one wait on this request (a presence or sample wait), told at the cancel. */
  #watcher: CancelWatcher | undefined;

  constructor(
    private readonly hooks: TransactionHooks,
    /** The debug link's requests run beside the transaction and send no KEEPALIVE. */
    private readonly beside: boolean,
  ) {}

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  keepalive(next: number): void {
    if (this.beside || next === this.#status) return;
    this.#status = next;
    if (!this.#abandoned) this.hooks.keepalive(next);
  }

  get cancelled(): boolean {
    return this.#aborted;
  }

  watchCancel(watcher: CancelWatcher): void {
    if (this.#aborted) return;
    this.#watcher = watcher;
  }

  unwatchCancel(watcher: CancelWatcher): void {
    if (this.#watcher === watcher) this.#watcher = undefined;
  }

  cancel(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#controller?.abort();
    const watcher = this.#watcher;
    this.#watcher = undefined;
    watcher?.handleEvent();
  }

  abandon(): void {
    this.#abandoned = true;
    this.cancel();
  }

  /** KEEPALIVE every interval on the band's clock while the request runs (docs/protocol.md, "Liveness"). */
  startTicker(): void {
    this.#ticker = this.hooks.clock.setTimer(this.hooks.keepaliveIntervalMs ?? KEEPALIVE_INTERVAL_MS, this.#beat);
  }

  readonly #beat = (): void => {
    if (!this.#abandoned) this.hooks.keepalive(this.#status);
    this.startTicker();
  };

  answered(answer: Unit): void {
    this.#ticker?.cancel();
    if (!this.#abandoned) this.hooks.answer(answer, this);
  }
}
