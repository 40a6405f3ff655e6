import { Command } from '../../transport/index.js';
import {
  CborError,
  decodeCanonical,
  encodeCanonical,
  type CborInput,
  type CborMap,
} from '../../proto/ctap2/canonical-cbor.js';
import { CtapError, Fido2ProtocolError } from './ctap-error.js';

export interface TransactOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Called with each CTAPHID_KEEPALIVE status (1 PROCESSING, 2 UPNEEDED) while the band works. */
  onKeepalive?: (status: number) => void;
}

/**
 * One request/response exchange on the band's serialised channel: sends (command, payload) and resolves with the
 * reply payload, or rejects (timeouts, aborts and transport failures are the provider's errors).
 */
export type Transact = (command: number, payload: Uint8Array, opts: TransactOptions) => Promise<Uint8Array>;

const NO_DEFAULTS: TransactOptions = Object.freeze({});

/** authenticatorCBOR over a Transact: canonical CBOR out, strict canonical CBOR in, CTAP status -> CtapError. */
export class CtapChannel {
  constructor(
    private readonly transact: Transact,
    private readonly defaults: TransactOptions = NO_DEFAULTS,
  ) {}

  /**
   * Not an async function: a makeCredential or getAssertion stays in flight while the band waits for a tap, and an
   * async frame (registers, promise, await closures) per call in flight was a measurable part of 1,000 waiting bands'
   * heap (test/bench/fleet.ts). A failure before the request is sent still rejects, as an async function's would.
   */
  call(
    ctapCommand: number,
    params: CborInput | undefined,
    operation: string,
    opts: TransactOptions = {},
  ): Promise<CborMap | undefined> {
    let reply: Promise<Uint8Array>;
    try {
      const body = params === undefined ? new Uint8Array(0) : encodeCanonical(params);
      const payload = new Uint8Array(1 + body.length);
      payload[0] = ctapCommand;
      payload.set(body, 1);
      // Callers may pass richer option objects; only the transport's own options travel on.
      const { signal, timeoutMs, onKeepalive } = { ...this.defaults, ...opts };
      reply = this.transact(Command.CBOR, payload, {
        ...(signal !== undefined ? { signal } : {}),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        ...(onKeepalive !== undefined ? { onKeepalive } : {}),
      });
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what was thrown, as an async function would
      return Promise.reject(error);
    }
    return reply.then((bytes) => parseCborReply(bytes, operation));
  }
}

/** A CBOR reply: its status byte (non-zero: CtapError), then a canonical CBOR map, or nothing. */
function parseCborReply(reply: Uint8Array, operation: string): CborMap | undefined {
  if (reply.length === 0)
    throw new Fido2ProtocolError(`${operation}: the authenticator replied with an empty CBOR message (no status byte)`);
  if (reply[0] !== 0) throw new CtapError(reply[0], operation);
  if (reply.length === 1) return undefined;
  let value;
  try {
    value = decodeCanonical(reply.subarray(1));
  } catch (error) {
    if (error instanceof CborError)
      throw new Fido2ProtocolError(`${operation}: the response is not canonical CTAP2 CBOR (${error.message})`, {
        cause: error,
      });
    throw error;
  }
  if (!(value instanceof Map)) throw new Fido2ProtocolError(`${operation}: the response is not a CBOR map`);
  return value;
}
