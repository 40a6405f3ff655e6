import type { AuthenticationReason, BandState, ErrorCode } from '../proto/index.js';

export type BandClientErrorCode =
  | 'BUSY'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'DISCONNECTED'
  | 'UNSUPPORTED_VERSION'
  | 'DEVICE_ERROR'
  | 'PROTOCOL'
  /** The caller asked for something the band would refuse (checked before bothering the user). */
  | 'INVALID_ARGUMENT'
  /** This client was closed; make a new one. */
  | 'CLOSED';

/** A failure of the conversation with a band (not a refusal by the band: that is BandError). */
export class BandClientError extends Error {
  override readonly name = 'BandClientError';
  /**
   * For DEVICE_ERROR: the CTAPHID_ERROR code the band answered (CTAP 2.1 §11.2.9.1.6), e.g. HidError.CHANNEL_BUSY
   * when another host holds the band; compare it with proto's HidError.
   */
  readonly hidError?: number;
  /**
   * For TIMEOUT: the band sent no reply to a request within this many ms (the call's timeoutMs), as opposed to a
   * wait for the person that ran out; a program may retry with a longer timeout.
   */
  readonly noReplyWithinMs?: number;
  /**
   * For DISCONNECTED: the band sent nothing, not even a KEEPALIVE, for this many ms during a longer wait
   * (CallOptions.silenceMs): a band that works or waits sends one every 100 ms, so it died or lost its link.
   */
  readonly silentForMs?: number;
  constructor(
    readonly code: BandClientErrorCode,
    message: string,
    options?: { cause?: unknown; hidError?: number; noReplyWithinMs?: number; silentForMs?: number },
  ) {
    super(message, options);
    if (options?.hidError !== undefined) this.hidError = options.hidError;
    if (options?.noReplyWithinMs !== undefined) this.noReplyWithinMs = options.noReplyWithinMs;
    if (options?.silentForMs !== undefined) this.silentForMs = options.silentForMs;
  }
}

/**
 * The band ran the wearer's authentication and it failed: `reason` is the band's (AUTHENTICATION_REASON_NO_MATCH,
 * NO_ECG, LOCKED_OUT, REMOVED_FROM_WRIST). Not a broken conversation: the wearer may try again, unless locked out.
 */
export class AuthenticationFailedError extends Error {
  override readonly name = 'AuthenticationFailedError';
  constructor(
    readonly reason: AuthenticationReason,
    message: string,
  ) {
    super(message);
  }
}

/** The band refused the request with a protocol Error; nothing changed on the band. */
export class BandError extends Error {
  override readonly name = 'BandError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly state: BandState,
  ) {
    super(message);
  }
}

/**
 * Names a cause by its class and code ("TransportError DISCONNECTED"), for a message that wraps it: the wrapping
 * message says what happened and what to do once, and the cause itself stays in `error.cause` as data rather than
 * its text (with its own advice) pasted in.
 */
export function causeLabel(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? `${cause.name} ${code}` : cause.name;
}

/** The link under a band client closed (the transport lost it, or its owner closed it); `cause` says why. */
export function linkClosedError(linkName: string, cause: Error | undefined): BandClientError {
  return new BandClientError(
    'DISCONNECTED',
    `the link to the band (${linkName}) closed${cause ? ` (${causeLabel(cause)}, see error.cause)` : ''}; open the band ` +
      `again and retry`,
    { cause },
  );
}

export { hidErrorName } from '../proto/index.js';
