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
import { BandChannel, type CallOptions } from './channel.js';
import { DebugLink } from './debug-link.js';
import { Fido2Client } from './fido2/index.js';
import { BandClientError, BandError } from './errors.js';
import { EventQueue } from './event-queue.js';

export type { BandEvent };

export interface BandClientOptions {
  /** Default per-call timeout in milliseconds (5 000). */
  timeoutMs?: number;
  /** Events buffered per iterator before the oldest are dropped (1 000). */
  eventBuffer?: number;
}

/**
 * The typed host side of the band protocol over any transport. Calls are matched to replies by request_id,
 * one at a time per band; band events arrive through `events()` (async iterator) or `onEvent` (listener).
 */
export class BandClient {
  readonly channel: BandChannel;
  /** The debug link of a test band (refused by a band started without it). */
  readonly debug: DebugLink;
  /** CTAP2 on the same link (CBOR command), sharing the one-call-at-a-time rule with band calls. */
  readonly fido2: Fido2Client;
  private nextRequestId = 1;
  private readonly eventListeners = new Set<(event: BandEvent) => void>();
  private readonly decoded = new WeakMap<Unit, BandMessage | null>();
  private readonly offUnsolicited: () => void;
  private info?: GetInfoResponse;
  /** Unsolicited units that were not band events (stray replies to timed-out calls, garbage). */
  droppedUnits = 0;

  constructor(
    readonly transport: Transport,
    private readonly options: BandClientOptions = {},
  ) {
    this.channel = new BandChannel(transport, options.timeoutMs ?? 5_000);
    this.debug = new DebugLink(this.channel);
    this.fido2 = new Fido2Client(async (command, payload, opts) => {
      const reply = await this.channel.transact({ command, payload }, (u) => u.command === command, opts);
      return reply.payload;
    });
    this.offUnsolicited = this.channel.onUnsolicited((unit) => this.dispatchEvent(unit));
  }

  /** Opens a client and checks the band speaks our major protocol version (GetInfo first, as the protocol asks). */
  static async connect(transport: Transport, options: BandClientOptions & CallOptions = {}): Promise<BandClient> {
    const client = new BandClient(transport, options);
    try {
      await client.getInfo(options);
      return client;
    } catch (error) {
      client.close();
      throw error;
    }
  }

  /** The GetInfo reply of the last getInfo()/connect(), if any. */
  get bandInfo(): GetInfoResponse | undefined {
    return this.info;
  }

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

  getState(options?: CallOptions) {
    return this.call('getState', {}, options);
  }
  /** Asks the band to prompt for delete user data. The wipe itself is the user's physical action on the band. */
  requestDeleteUserData(options?: CallOptions) {
    return this.call('deleteUserData', {}, options);
  }
  cancelDeleteUserData(options?: CallOptions) {
    return this.call('cancelDeleteUserData', {}, options);
  }
  startEnrollment(options?: CallOptions) {
    return this.call('startEnrollment', {}, options);
  }
  verifySetupCode(setupCode: string, options?: CallOptions) {
    return this.call('verifySetupCode', { setupCode }, options);
  }
  startCapture(options?: CallOptions) {
    return this.call('startCapture', {}, options);
  }
  completeEnrollment(request: Init<RequestOf<'completeEnrollment'>>, options?: CallOptions) {
    return this.call('completeEnrollment', request, options);
  }
  cancelEnrollment(options?: CallOptions) {
    return this.call('cancelEnrollment', {}, options);
  }
  setLabel(label: string, options?: CallOptions) {
    return this.call('setLabel', { label }, options);
  }
  setSettings(request: Init<RequestOf<'setSettings'>>, options?: CallOptions) {
    return this.call('setSettings', request, options);
  }
  listFidoCredentials(options?: CallOptions) {
    return this.call('listFidoCredentials', {}, options);
  }
  getSeosStatus(options?: CallOptions) {
    return this.call('getSeosStatus', {}, options);
  }

  /** CTAPHID PING: the band echoes `data`. */
  async ping(data: Uint8Array, options?: CallOptions): Promise<Uint8Array> {
    const reply = await this.channel.transact(
      { command: Command.PING, payload: data },
      (u) => u.command === Command.PING,
      options,
    );
    return reply.payload;
  }

  async wink(options?: CallOptions): Promise<void> {
    await this.channel.transact(
      { command: Command.WINK, payload: new Uint8Array(0) },
      (u) => u.command === Command.WINK,
      options,
    );
  }

  /** Sends one request and returns the band's reply of the same name; a band Error becomes a BandError. */
  async call<K extends RequestName>(name: K, request: Init<RequestOf<K>>, options?: CallOptions): Promise<ReplyOf<K>> {
    const requestId = this.takeRequestId();
    const payload = HostMessageCodec.encode({ requestId, body: { case: name, value: request } as Init<HostBody> });
    const unit = await this.channel.transact(
      { command: Command.BAND, payload },
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

  /** Listener form of band events. Returns an unsubscribe function. */
  onEvent(listener: (event: BandEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Band events as an async iterator; ends when `signal` aborts, the loop breaks, or the client closes. */
  events(options: { signal?: AbortSignal } = {}): AsyncIterableIterator<BandEvent> {
    const queue = new EventQueue<BandEvent>(this.options.eventBuffer ?? 1_000);
    const off = this.onEvent((event) => queue.push(event));
    const offClose = this.transport.onClose(() => queue.end());
    const stop = () => {
      off();
      offClose();
      options.signal?.removeEventListener('abort', stop);
      queue.end();
    };
    options.signal?.addEventListener('abort', stop, { once: true });
    return queue.iterator(stop);
  }

  /** Resolves with the first event that satisfies `predicate` (timeout and AbortSignal honoured). */
  waitForEvent<E extends BandEvent>(
    predicate: (event: BandEvent) => event is E,
    options?: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<E>;
  waitForEvent(
    predicate: (event: BandEvent) => boolean,
    options?: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<BandEvent>;
  waitForEvent(
    predicate: (event: BandEvent) => boolean,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<BandEvent> {
    return new Promise((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? this.options.timeoutMs ?? 5_000;
      const done = (result: { event: BandEvent } | { error: Error }) => {
        off();
        offClose();
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if ('event' in result) resolve(result.event);
        else reject(result.error);
      };
      const onAbort = () =>
        done({
          error: new BandClientError('ABORTED', 'waiting for a band event was aborted', {
            cause: options.signal?.reason,
          }),
        });
      const off = this.onEvent((event) => {
        if (predicate(event)) done({ event });
      });
      const offClose = this.transport.onClose((error) =>
        done({
          error: new BandClientError(
            'DISCONNECTED',
            `the link to the band closed while waiting for an event${error ? `: ${error.message}` : ''}`,
            { cause: error },
          ),
        }),
      );
      const timer = setTimeout(
        () => done({ error: new BandClientError('TIMEOUT', `the band sent no matching event within ${timeoutMs} ms`) }),
        timeoutMs,
      );
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Detaches from the transport; later calls fail at once with CLOSED. The transport belongs to whoever
   * opened it: close it too (`await transport.close()`) to release the port or socket.
   */
  close(): void {
    this.offUnsolicited();
    this.channel.close();
    this.eventListeners.clear();
  }

  private takeRequestId(): number {
    const id = this.nextRequestId;
    this.nextRequestId = id >= 0xffffffff ? 1 : id + 1;
    return id;
  }

  private decode(unit: Unit): BandMessage | null {
    if (unit.command !== Command.BAND) return null;
    let message = this.decoded.get(unit);
    if (message === undefined) {
      try {
        message = BandMessageCodec.decode(unit.payload);
      } catch (error) {
        if (!(error instanceof ProtoError)) throw error;
        message = null;
      }
      this.decoded.set(unit, message);
    }
    return message;
  }

  private dispatchEvent(unit: Unit): void {
    const message = this.decode(unit);
    const kind = message?.requestId === 0 && message.body?.case === 'event' ? message.body.value.kind : undefined;
    if (!kind) {
      this.droppedUnits++;
      return;
    }
    for (const listener of [...this.eventListeners]) listener(kind);
  }
}
