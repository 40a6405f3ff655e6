import { setImmediate as immediate } from 'node:timers/promises';
import {
  BandEmulator,
  FlashCorruptError,
  FlashIoError,
  PowerCutError,
  testWorld,
  type BandDevice,
  type BandEmulatorOptions,
  type DeviceContext,
  type FlashMedium,
} from '../../firmware-sim/index.js';
import { BandMessageCodec, HostMessageCodec, PROTOCOL_VERSION } from '../../proto/index.js';
import { Command, HidError, KeepaliveStatus, type Unit } from '../../transport/index.js';

/** What the fuzzer reports: the kind of failure and what happened, with the input that caused it. */
export class FuzzFailure extends Error {
  override readonly name = 'FuzzFailure';
  constructor(
    readonly kind: 'exception' | 'swallowed' | 'slow' | 'hang' | 'dead' | 'bad-reply',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A request that neither finishes nor waits for the person within this wall time hangs the band. */
export const HANG_MS = 5_000;

const isStorageFailure = (error: unknown) =>
  error instanceof PowerCutError || error instanceof FlashCorruptError || error instanceof FlashIoError;

/**
 * A band emulator instrumented for fuzzing, served to whatever endpoint the target uses (loopback, CTAPHID, direct
 * calls). It counts requests in flight, sees which wait for the person (KEEPALIVE UPNEEDED) and can abort them as a
 * host's timeout would, and records every error that reaches the band's catch-all: the band answers those with
 * CTAPHID ERROR OTHER ("nothing a host sends may take the band down"), so without this a decoder bug would be
 * silently absorbed.
 */
export class LiveBand {
  readonly emulator: BandEmulator;
  /** The device endpoints are given: the emulator, counted. */
  readonly device: BandDevice;
  readonly swallowed: unknown[] = [];
  readonly #pending = new Map<number, { waitingForPerson: boolean; abort: AbortController }>();
  #next = 0;

  constructor(options: Partial<BandEmulatorOptions> & { seed?: string; medium?: FlashMedium } = {}) {
    const { seed, medium, ...rest } = options;
    this.emulator = new BandEmulator({
      world: testWorld({ seed: seed ?? 'fuzz', medium }),
      serialNumber: 'FUZZ-00001',
      autoPresence: true,
      ...rest,
    });
    const band = this.emulator.band;
    // A boot that failed for a reason other than storage is a bug the band hid behind a STORAGE fault.
    const fault = band.storageFault;
    if (fault !== undefined && !isStorageFailure(fault)) this.swallowed.push(fault);
    const fail = band.fail.bind(band);
    band.fail = (error: unknown) => {
      if (!isStorageFailure(error)) this.swallowed.push(error);
      return fail(error);
    };
    const emulator = this.emulator;
    const pending = this.#pending;
    const nextId = () => this.#next++;
    this.device = {
      get hostsCtap2() {
        return emulator.hostsCtap2;
      },
      get clock() {
        return emulator.clock;
      },
      onEvent: (listener) => emulator.onEvent(listener),
      handle(unit: Unit, ctx: DeviceContext): Promise<Unit> {
        const id = nextId();
        const abort = new AbortController();
        const entry = { waitingForPerson: false, abort };
        pending.set(id, entry);
        const mine: DeviceContext = {
          signal: AbortSignal.any([ctx.signal, abort.signal]),
          keepalive(status) {
            entry.waitingForPerson = status === KeepaliveStatus.UPNEEDED;
            ctx.keepalive(status);
          },
        };
        return emulator.handle(unit, mine).finally(() => pending.delete(id));
      },
    };
  }

  get pending(): number {
    return this.#pending.size;
  }

  /**
   * Waits until every request the last input started has answered. A request waiting for the person is
   * cancelled (a host's timeout would); one that does neither within HANG_MS is a hang.
   */
  async settle(): Promise<void> {
    const start = Date.now();
    for (let spins = 0; ; spins++) {
      await immediate();
      if (this.#pending.size === 0) {
        // Replies and events still travel the endpoint (loopback deliveries are setImmediate hops).
        for (let i = 0; i < 4; i++) await immediate();
        if (this.#pending.size === 0) return;
      }
      for (const entry of this.#pending.values()) if (entry.waitingForPerson) entry.abort.abort();
      if (spins % 64 === 63 && Date.now() - start > HANG_MS) {
        throw new FuzzFailure(
          'hang',
          `${this.#pending.size} request(s) neither answered nor waited for the person within ${HANG_MS} ms`,
        );
      }
    }
  }

  /** Throws the first error the band's catch-all absorbed since the last call. */
  checkSwallowed(): void {
    const error = this.swallowed.shift();
    this.swallowed.length = 0;
    if (error !== undefined) {
      throw new FuzzFailure(
        'swallowed',
        `the band hit an internal error and answered CTAPHID ERROR OTHER: ${error instanceof Error ? error.stack : JSON.stringify(error)}`,
        { cause: error },
      );
    }
  }

  /** A debug input may have cut the power or armed a cut: power the band back on, as a rig would. */
  restorePower(): void {
    this.emulator.world.storage.cutPowerAt(0);
    if (!this.emulator.band.isPowered) this.emulator.band.reboot();
  }

  /** GetInfo straight to the device: the band must answer with its info or a band error, never fail. */
  async getInfo(): Promise<void> {
    const reply = await this.device.handle(getInfoUnit(0x7777), {
      signal: new AbortController().signal,
      keepalive: () => undefined,
    });
    checkGetInfoReply(reply, 0x7777);
  }

  close(): void {
    for (const entry of this.#pending.values()) entry.abort.abort();
    this.emulator.close();
  }
}

export function getInfoUnit(requestId: number): Unit {
  return {
    command: Command.BAND,
    payload: HostMessageCodec.encode({
      requestId,
      body: { case: 'getInfo', value: { hostVersion: PROTOCOL_VERSION } },
    }),
  };
}

/** The reply to getInfoUnit(requestId): a BandMessage with that request id (GetInfo, or the band's error). */
export function checkGetInfoReply(reply: Unit | undefined, requestId: number): void {
  if (!reply) throw new FuzzFailure('dead', 'the band stopped answering GetInfo');
  if (reply.command !== Command.BAND) {
    const code =
      reply.command === Command.ERROR
        ? `CTAPHID ERROR 0x${reply.payload[0]?.toString(16)}`
        : `command 0x${reply.command.toString(16)}`;
    throw new FuzzFailure('dead', `the band answered GetInfo with ${code}, not a BAND reply`);
  }
  const message = BandMessageCodec.decode(reply.payload);
  if (message.requestId !== requestId || (message.body?.case !== 'getInfo' && message.body?.case !== 'error')) {
    throw new FuzzFailure('dead', `the band answered GetInfo with ${JSON.stringify(message.body?.case)}`);
  }
}

/** Any reply the band gives must be well formed for its command: the host's decoders read it. */
export function checkReply(reply: Unit): void {
  if (reply.command === Command.ERROR) {
    if (reply.payload.length !== 1)
      throw new FuzzFailure('bad-reply', `CTAPHID ERROR with ${reply.payload.length} bytes`);
    if (reply.payload[0] === HidError.OTHER) return; // checkSwallowed() says why, if it was a bug
    return;
  }
  if (reply.command === Command.BAND) BandMessageCodec.decode(reply.payload);
}
