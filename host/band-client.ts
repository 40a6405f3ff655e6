import {
  BandMessageCodec,
  HostMessageCodec,
  PROTOCOL_VERSION,
  ProtoError,
  type BandEvent,
  type BandMessage,
  type GetInfoResponse,
  type HostBody,
  type Init,
  type ReplyOf,
  type RequestName,
  type RequestOf,
} from '../proto/index.js';
import { Command, type Transport, type Unit } from '../transport/index.js';
import { BandChannel, replyToSameCommand, type CallOptions } from './channel.js';
import { DebugLink } from './debug-link.js';
import { Fido2Client } from './fido2/index.js';
import { BandClientError, BandError } from './errors.js';
import { EventQueue } from './event-queue.js';
import { heartbeatSettings, type HeartbeatOptions } from './heartbeat.js';

export type { BandEvent };

const payloadOf = (unit: Unit) => unit.payload;

/** The defaults, frozen: one object for every client that sets no heartbeat, not one each. */
const DEFAULT_HEARTBEAT = heartbeatSettings();

/** What `BandClient.events()` yields and until when. */
export interface BandEventsOptions {
  /** Ends the iteration (the loop sees no error; check `signal.aborted` if it matters why). */
  signal?: AbortSignal;
  /** Only the events it accepts are yielded. */
  filter?: (event: BandEvent) => boolean;
  /** The first event it accepts is yielded, then the iteration ends. */
  until?: (event: BandEvent) => boolean;
}

/** Options of a `BandClient`. */
export interface BandClientOptions {
  /** Default per-call timeout in milliseconds (5 000). */
  timeoutMs?: number;
  /** Events buffered per iterator before the oldest are dropped (1 000). */
  eventBuffer?: number;
  /** `close()` closes the transport too (what `openBand` sets: the client opened it). */
  ownsTransport?: boolean;
  /**
   * How the library's flows (`deleteUserData`, `enroll`, `authenticate`, and the `ReEnrollment` and `registerKey`
   * built on them) check on the band while they wait for the person: a PING every `intervalMs` (5 000) that must
   * be answered within `timeoutMs` (2 000).
   */
  heartbeat?: HeartbeatOptions;
}

/**
 * The typed host side of the band protocol over any transport. Calls are matched to replies by request_id,
 * one at a time per band (a second concurrent caller gets `BandClientError` `BUSY`); band events arrive through
 * `events()`. A refusal by the band is a `BandError`; a failed conversation a `BandClientError`.
 * Open one with `openBand(uri)`, or `BandClient.connect(transport)` over a transport you opened yourself.
 */
export class BandClient {
  /** The request slots on the link (one call at a time, and the debug link's own). */
  readonly channel: BandChannel;
  /** The debug link of a test band (refused by a band started without it). */
  readonly debug: DebugLink;
  /** CTAP2 on the same link (CBOR command), sharing the one-call-at-a-time rule with band calls. */
  readonly fido2: Fido2Client;
  private nextRequestId = 1;
  /**
   * The open events() iterators: each one's listener, and what ends it (close() ends them all). Made at the first
   * events() call: most clients never open one, and two empty Sets per band were a measurable part of 1,000 bands'
   * heap (test/bench/fleet.ts).
   */
  private eventListeners?: Set<(event: BandEvent) => void>;
  private eventStops?: Set<() => void>;
  private lastDecoded?: { unit: Unit; message: BandMessage | null };
  private info?: GetInfoResponse;
  private closingTransport?: Promise<void>;
  /** Unsolicited units that were not band events (stray replies to timed-out calls, garbage). */
  droppedUnits = 0;
  /** The heartbeat the library's flows use while they wait on the person (`BandClientOptions.heartbeat`, defaults filled in). */
  readonly heartbeat: Readonly<Required<HeartbeatOptions>>;

  constructor(
    /** The link this client talks over (opened by `openBand`, or by you for `connect`). */
    readonly transport: Transport,
    private readonly options: BandClientOptions = {},
  ) {
    this.heartbeat = options.heartbeat === undefined ? DEFAULT_HEARTBEAT : heartbeatSettings(options.heartbeat);
    this.channel = new BandChannel(transport, options.timeoutMs ?? 5_000);
    this.debug = new DebugLink(this.channel);
    const channel = this.channel;
    // Not an async function: its frame and promise were kept for every call in flight (a wait for a tap lasts).
    this.fido2 = new Fido2Client((command, payload, opts) =>
      channel.transact({ command, payload }, replyToSameCommand, opts).then(payloadOf),
    );
    // channel.close() ends the subscription (close() calls it), so its unsubscribe function is not kept.
    this.channel.onUnsolicited((unit) => this.dispatchEvent(unit));
  }

  /** Opens a client and checks the band speaks our major protocol version (GetInfo first, as the protocol asks). */
  static async connect(transport: Transport, options: BandClientOptions & CallOptions = {}): Promise<BandClient> {
    const client = new BandClient(transport, options);
    try {
      await client.getInfo(options);
      return client;
    } catch (error) {
      client.close();
      await client.closed();
      throw error;
    }
  }

  /** The GetInfo reply of the last getInfo()/connect(), if any. */
  get bandInfo(): GetInfoResponse | undefined {
    return this.info;
  }

  /** GetInfo: protocol version, serial number, device ID, firmware version, capabilities. Refuses a band of another major protocol version (`UNSUPPORTED_VERSION`). */
  async getInfo(options?: CallOptions): Promise<GetInfoResponse> {
    const info = await this.call('getInfo', { hostVersion: PROTOCOL_VERSION }, options);
    const major = info.protocolVersion?.major ?? 0;
    if (major !== PROTOCOL_VERSION.major) {
      throw new BandClientError(
        'UNSUPPORTED_VERSION',
        `band ${info.serialNumber || '(no serial)'} speaks band protocol ${major}.${info.protocolVersion?.minor ?? 0}; this host speaks ${PROTOCOL_VERSION.major}.x. Update the host or the band firmware.`,
      );
    }
    this.info = info;
    return info;
  }

  /** GetState: the band's state and screen, wrist and charger, the enrolled user, failed matches, FIDO2 credential count, battery. */
  getState(options?: CallOptions) {
    return this.call('getState', {}, options);
  }
  /** Asks the band to prompt for delete user data. The wipe itself is the user's physical action on the band. */
  requestDeleteUserData(options?: CallOptions) {
    return this.call('deleteUserData', {}, options);
  }
  /** Leaves the delete prompt; the band returns to where it was (authenticated only if still worn). */
  cancelDeleteUserData(options?: CallOptions) {
    return this.call('cancelDeleteUserData', {}, options);
  }
  /** Starts an enrollment on a worn band holding no user: it shows a fresh setup code. Replies with the device ID. */
  startEnrollment(options?: CallOptions) {
    return this.call('startEnrollment', {}, options);
  }
  /** The setup code the user read off the band (case-insensitive); the third wrong one makes the band show a new one. */
  verifySetupCode(setupCode: string, options?: CallOptions) {
    return this.call('verifySetupCode', { setupCode }, options);
  }
  /** Starts the fingerprint capture: the user touches and lifts until the band has six good touches. */
  startCapture(options?: CallOptions) {
    return this.call('startCapture', {}, options);
  }
  /** Stores the user (name, label, settings) with the captured template; the band is then authenticated. */
  completeEnrollment(request: Init<RequestOf<'completeEnrollment'>>, options?: CallOptions) {
    return this.call('completeEnrollment', request, options);
  }
  /** Abandons an enrollment in progress; nothing is stored. */
  cancelEnrollment(options?: CallOptions) {
    return this.call('cancelEnrollment', {}, options);
  }
  /** Sets the band label (at most 12 characters; empty means the user name). Needs an authenticated band. */
  setLabel(label: string, options?: CallOptions) {
    return this.call('setLabel', { label }, options);
  }
  /** Changes the wearer's settings (haptic feedback). Needs an authenticated band. */
  setSettings(request: Init<RequestOf<'setSettings'>>, options?: CallOptions) {
    return this.call('setSettings', request, options);
  }
  /** The resident FIDO2 credentials on the band, newest first (no key material). Needs an authenticated band. */
  listFidoCredentials(options?: CallOptions) {
    return this.call('listFidoCredentials', {}, options);
  }
  /** Whether the band carries an HID SEOS credential. Refused (`NOT_SUPPORTED`) by a band without SEOS. */
  getSeosStatus(options?: CallOptions) {
    return this.call('getSeosStatus', {}, options);
  }

  /** CTAPHID PING: the band echoes `data`. */
  async ping(data: Uint8Array, options?: CallOptions): Promise<Uint8Array> {
    const reply = await this.channel.transact({ command: Command.PING, payload: data }, replyToSameCommand, options);
    return reply.payload;
  }

  /** CTAPHID WINK: the band shows it is the one being talked to. */
  async wink(options?: CallOptions): Promise<void> {
    await this.channel.transact({ command: Command.WINK, payload: new Uint8Array(0) }, replyToSameCommand, options);
  }

  /** Sends one request and returns the band's reply of the same name; a band Error becomes a BandError. */
  async call<K extends RequestName>(name: K, request: Init<RequestOf<K>>, options?: CallOptions): Promise<ReplyOf<K>> {
    const requestId = this.takeRequestId();
    // Encoded in the argument, not held in a local the call's frame would keep while it waits for the reply.
    const unit = await this.channel.transact(
      {
        command: Command.BAND,
        payload: HostMessageCodec.encode({ requestId, body: { case: name, value: request } as Init<HostBody> }),
      },
      (u) => {
        const message = this.decode(u);
        if (!message) return false;
        if (message.requestId === requestId) return true;
        // A payload the band could not parse is answered with request_id 0: it is ours, as one call is in flight.
        return message.requestId === 0 && message.body?.case === 'error';
      },
      options,
    );
    const body = this.decode(unit)!.body;
    // Done with it: a cached reply kept alive until the next unit outlived a scavenge in a busy process (test/bench fleet).
    this.lastDecoded = undefined;
    if (body?.case === 'error') {
      throw new BandError(body.value.code, body.value.message || `band refused ${name}`, body.value.state);
    }
    if (body?.case !== name) {
      throw new BandClientError(
        'PROTOCOL',
        `expected a ${name} reply from the band, got ${body?.case ?? 'an empty message'}; the band firmware does not follow band.proto`,
      );
    }
    return body.value as ReplyOf<K>;
  }

  /**
   * The band's events — screen changes, wrist on/off, capture progress, authentication, wiped — as an async
   * iterator, from the moment of this call. It ends when the loop breaks, `signal` aborts, the event `until`
   * accepts has been yielded, the link closes, or the client is closed. Each iterator keeps its own bounded buffer
   * (`eventBuffer`, default 1 000; the oldest are dropped when a consumer falls behind).
   *
   * ```ts
   * for await (const event of band.events({ until: (e) => e.case === 'userDataDeleted', signal })) log(event);
   * ```
   */
  events(options: BandEventsOptions = {}): AsyncIterableIterator<BandEvent> {
    const queue = new EventQueue<BandEvent>(this.options.eventBuffer ?? 1_000);
    const eventListeners = (this.eventListeners ??= new Set());
    const eventStops = (this.eventStops ??= new Set());
    const stop = () => {
      eventListeners.delete(listener);
      eventStops.delete(stop);
      offClose();
      options.signal?.removeEventListener('abort', stop);
      queue.end();
    };
    const listener = (event: BandEvent) => {
      if (options.filter && !options.filter(event)) return;
      queue.push(event);
      if (options.until?.(event)) stop();
    };
    eventListeners.add(listener);
    eventStops.add(stop);
    const offClose = this.transport.onClose(() => stop());
    if (options.signal?.aborted) stop();
    else options.signal?.addEventListener('abort', stop, { once: true });
    return queue.iterator(stop);
  }

  /**
   * Detaches from the transport; later calls fail at once with CLOSED. The transport belongs to whoever
   * opened it: close it too (`await transport.close()`) to release the port or socket.
   */
  close(): void {
    this.channel.close();
    if (this.eventStops) for (const stop of [...this.eventStops]) stop();
    this.eventListeners?.clear();
    if (this.options.ownsTransport && !this.closingTransport) this.closingTransport = this.transport.close();
  }

  /**
   * Resolves once the link is released: for a client from `openBand`, when `close()` has closed the transport
   * too; for one over your own transport, at once (close the transport yourself).
   */
  async closed(): Promise<void> {
    await this.closingTransport;
  }

  private takeRequestId(): number {
    const id = this.nextRequestId;
    this.nextRequestId = id >= 0xffffffff ? 1 : id + 1;
    return id;
  }

  private decode(unit: Unit): BandMessage | null {
    if (unit.command !== Command.BAND) return null;
    // A unit is decoded by the reply matcher, then by call() or the event dispatch right after: one entry is
    // enough to decode it once (a WeakMap's set and get were a visible part of a round trip).
    if (unit === this.lastDecoded?.unit) return this.lastDecoded.message;
    let message: BandMessage | null;
    try {
      message = BandMessageCodec.decode(unit.payload);
    } catch (error) {
      if (!(error instanceof ProtoError)) throw error;
      message = null;
    }
    this.lastDecoded = { unit, message };
    return message;
  }

  private dispatchEvent(unit: Unit): void {
    const message = this.decode(unit);
    this.lastDecoded = undefined;
    const kind = message?.requestId === 0 && message.body?.case === 'event' ? message.body.value.kind : undefined;
    if (!kind) {
      this.droppedUnits++;
      return;
    }
    if (this.eventListeners) for (const listener of [...this.eventListeners]) listener(kind);
  }
}
