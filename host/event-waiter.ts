import type { BandClient, BandEvent } from './band-client.js';
import { BandClientError, linkClosedError } from './errors.js';

/**
 * Internal to the library's flows (deleteUserData, enroll, authenticate); host applications use
 * `BandClient.events()`. Collects a band's events from the moment it is created, so a flow can trigger something and then wait for
 * its consequence without racing it. `next` takes the first buffered or future event that matches, and fails
 * at once on one that matches `abortOn` (the band left the wrist, the enrollment was cancelled on the band).
 */
export class EventWaiter {
  private readonly buffer: BandEvent[] = [];
  private wake?: () => void;
  private readonly stream: AsyncIterableIterator<BandEvent>;
  private readonly offClose: () => void;
  private closedBy?: Error;

  constructor(
    private readonly band: BandClient,
    private readonly abortOn: (event: BandEvent) => string | undefined = () => undefined,
  ) {
    // Subscribed now (events() starts buffering at the call), drained into the buffer as they come.
    this.stream = band.events();
    void this.pump();
    this.offClose = band.transport.onClose((error) => {
      this.closedBy = linkClosedError(band.transport.name, error);
      this.wake?.();
    });
  }

  async next<E extends BandEvent>(
    match: (event: BandEvent) => event is E,
    options: {
      timeoutMs: number;
      signal?: AbortSignal;
      what: string;
    },
  ): Promise<E> {
    const deadline = Date.now() + options.timeoutMs;
    // While waiting for a person (up to minutes), PING the band now and then so a band that died silently (a UDP
    // peer gives no disconnect) fails the wait now rather than at its end (BandClientOptions.heartbeat).
    const heartbeatMs = this.band.heartbeat.intervalMs;
    let nextHeartbeat = Date.now() + heartbeatMs;
    for (;;) {
      while (this.buffer.length > 0) {
        const event = this.buffer.shift()!;
        const reason = this.abortOn(event);
        if (reason) throw new BandClientError('ABORTED', `${options.what} stopped: ${reason}`);
        if (match(event)) return event;
      }
      if (this.closedBy) throw this.closedBy;
      if (options.signal?.aborted)
        throw new BandClientError('ABORTED', `${options.what} was cancelled`, { cause: options.signal.reason });
      const left = deadline - Date.now();
      if (left <= 0)
        throw new BandClientError(
          'TIMEOUT',
          `${options.what}: nothing happened on the band within ${options.timeoutMs} ms`,
        );
      if (Date.now() >= nextHeartbeat) {
        await this.heartbeat(options.what);
        nextHeartbeat = Date.now() + heartbeatMs;
        continue;
      }
      const sleep = Math.min(left, nextHeartbeat - Date.now());
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', done);
          this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, sleep);
        options.signal?.addEventListener('abort', done, { once: true });
        this.wake = done;
      });
    }
  }

  private async heartbeat(what: string): Promise<void> {
    const { timeoutMs } = this.band.heartbeat;
    try {
      await this.band.ping(new Uint8Array(0), { timeoutMs });
    } catch (error) {
      if (!(error instanceof BandClientError)) throw error;
      // Another call in flight proves the link just as well.
      if (error.code === 'BUSY') return;
      // The link closed, or this client did: that error already says so.
      if (error.code !== 'TIMEOUT') throw error;
      throw new BandClientError(
        'DISCONNECTED',
        `${what}: the band stopped answering: no reply to a PING within ${timeoutMs} ms; check it is powered and ` +
          `connected, then retry (BandClientOptions.heartbeat.timeoutMs sets how long a PING may take)`,
        { cause: error, silentForMs: timeoutMs },
      );
    }
  }

  private async pump(): Promise<void> {
    for await (const event of this.stream) {
      this.buffer.push(event);
      this.wake?.();
    }
  }

  close(): void {
    void this.stream.return?.();
    this.offClose();
    this.wake?.();
  }
}
