import type { BandState, ErrorCode } from '../proto/index.js';

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
  constructor(
    readonly code: BandClientErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
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

/** CTAPHID ERROR reply codes, by name, for messages. */
const HID_ERROR_NAMES: Record<number, string> = {
  0x01: 'INVALID_CMD',
  0x02: 'INVALID_PAR',
  0x03: 'INVALID_LEN',
  0x04: 'INVALID_SEQ',
  0x05: 'MSG_TIMEOUT',
  0x06: 'CHANNEL_BUSY',
  0x0a: 'LOCK_REQUIRED',
  0x0b: 'INVALID_CHANNEL',
  0x7f: 'OTHER',
};

export function hidErrorName(code: number): string {
  return HID_ERROR_NAMES[code] ?? `0x${code.toString(16).padStart(2, '0')}`;
}
