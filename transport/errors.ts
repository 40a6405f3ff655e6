/** Every failure below the message layer is a TransportError with a stable `code` a caller can switch on. */
export type TransportErrorCode =
  | 'FRAME_TOO_LARGE'
  | 'FRAME_CRC'
  | 'FRAME_COBS'
  | 'FRAME_TOO_SHORT'
  | 'HID_INVALID_CMD'
  | 'HID_INVALID_PAR'
  | 'HID_INVALID_LEN'
  | 'HID_INVALID_SEQ'
  | 'HID_MSG_TIMEOUT'
  | 'HID_CHANNEL_BUSY'
  | 'HID_INVALID_CHANNEL'
  | 'HID_UNAVAILABLE'
  | 'CLOSED'
  | 'DISCONNECTED'
  | 'OPEN_FAILED'
  | 'PORT_BUSY'
  | 'WRITE_FAILED'
  /** The peer left more than MAX_UNREAD_BYTES of what was sent to it unread (transport/bounded-writes.ts). */
  | 'PEER_NOT_READING'
  | 'REPLAY_MISMATCH'
  | 'REPLAY_FORMAT'
  | 'BAD_URI'
  /** A caller handed send() a unit no wire can carry (command outside 0x00-0x7f, payload not bytes). */
  | 'BAD_UNIT'
  /** A frame passed its CRC but names a command with the top bit set, which no wire can carry. */
  | 'FRAME_BAD_COMMAND'
  /** A USB/IP peer sent bytes that break usbip_protocol.rst (bad version, command, size); the connection is closed. */
  | 'USBIP_PROTOCOL';

/** A failure below the message layer (opening a port, framing, HID, replay); `code` says which. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A CTAPHID protocol error tied to the channel it concerns, so a band can answer ERROR on that
 * channel (CTAP 2.1 §11.2.9.1.6) and a host can tell which exchange failed.
 */
export class CtapHidError extends TransportError {
  constructor(
    code: Extract<TransportErrorCode, `HID_${string}`>,
    /** The channel (CID) the offending packet came on. */
    readonly cid: number,
    /** The CTAPHID_ERROR code byte a band sends back for this. */
    readonly hidError: number,
    message: string,
  ) {
    super(code, message);
  }
}
