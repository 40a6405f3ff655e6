/**
 * The CTAPHID tables (CTAP 2.1 §11.2): command numbers, ERROR codes, KEEPALIVE statuses and the packet geometry
 * that fixes the largest message. Every wire of this project uses these numbers (docs/protocol.md §Layer 2), so
 * transport/ frames by them, the band answers with them, and hosts, `bandctl trace` and the conformance suite
 * name them from here.
 */

/** Command values, 7-bit (without the init-packet bit 0x80), so a unit means the same on every wire. */
export const Command = {
  PING: 0x01,
  MSG: 0x03,
  LOCK: 0x04,
  INIT: 0x06,
  WINK: 0x08,
  CBOR: 0x10,
  CANCEL: 0x11,
  KEEPALIVE: 0x3b,
  ERROR: 0x3f,
  /** Band protocol: one protobuf HostMessage (host -> band) or BandMessage (band -> host). */
  BAND: 0x41,
  /** Debug link: one protobuf DebugRequest / DebugResponse; refused unless the band enables it. */
  DEBUG: 0x42,
} as const;
export type CommandName = keyof typeof Command;

/** The vendor command range (CTAP 2.1 §11.2.9.2). */
export const VENDOR_FIRST = 0x40;
export const VENDOR_LAST = 0x7f;

/** CTAPHID_ERROR codes (CTAP 2.1 §11.2.9.1.6). */
export const HidError = {
  INVALID_CMD: 0x01,
  INVALID_PAR: 0x02,
  INVALID_LEN: 0x03,
  INVALID_SEQ: 0x04,
  MSG_TIMEOUT: 0x05,
  CHANNEL_BUSY: 0x06,
  LOCK_REQUIRED: 0x0a,
  INVALID_CHANNEL: 0x0b,
  OTHER: 0x7f,
} as const;
export type HidErrorName = keyof typeof HidError;
export type HidErrorCode = (typeof HidError)[HidErrorName];

/** KEEPALIVE status bytes (CTAP 2.1 §11.2.9.1.5). */
export const KeepaliveStatus = { PROCESSING: 1, UPNEEDED: 2 } as const;

/**
 * While a request runs, a band sends KEEPALIVE at least this often, on every wire (CTAP 2.1 §11.2.9.1.5 sets
 * 100 ms for CTAPHID; the framed wires follow it), so a host can tell a band that works from a dead one.
 */
export const KEEPALIVE_INTERVAL_MS = 100;

/**
 * The band runs one transaction at a time: a request that comes while another runs, from any endpoint or
 * channel, is answered CTAPHID ERROR CHANNEL_BUSY (CTAP 2.1 §11.2.9), and a host keeps one request in flight
 * per band. The debug link is the exception: it stands for the user's hands, which must act while a request
 * waits for them (a FIDO2 request waiting for a tap on the top button), so it runs beside the request in
 * flight. The band applies this in firmware-sim/one-transaction.ts, the host in host/channel.ts (its own slot).
 */
export function runsBesideTransaction(command: number): boolean {
  return command === Command.DEBUG;
}

/** CTAPHID_INIT (CTAP 2.1 §11.2.9.1.3): the nonce a host sends and the reply that allocates its channel. */
export const INIT_NONCE_SIZE = 8;
export const INIT_RESPONSE_SIZE = 17;
export const CTAPHID_PROTOCOL_VERSION = 2;
/** The capability flags of the INIT reply (transport/ exports them as `Capability`). */
export const HidCapability = { WINK: 0x01, CBOR: 0x04, NMSG: 0x08 } as const;

/** Packet geometry (CTAP 2.1 §11.2.4): 64-byte reports; an init packet carries 57 data bytes, a continuation 59. */
export const HID_REPORT_SIZE = 64;
export const INIT_DATA_SIZE = HID_REPORT_SIZE - 7;
export const CONT_DATA_SIZE = HID_REPORT_SIZE - 5;
export const MAX_SEQ = 0x7f;
/**
 * The largest message: one init packet and a continuation for every sequence number, 57 + 128 × 59 = 7609 bytes.
 * It is also the largest unit on every other wire and the band's CTAP2 maxMsgSize (CTAP 2.1 §6.4).
 */
export const MAX_MESSAGE_SIZE = INIT_DATA_SIZE + (MAX_SEQ + 1) * CONT_DATA_SIZE;

function nameIn(table: Record<string, number>, value: number): string | undefined {
  for (const [name, v] of Object.entries(table)) if (v === value) return name;
  return undefined;
}

/** `PING`, `VENDOR_0x4f` or `0x2a`, for logs and messages. */
export function commandName(command: number): string {
  const name = nameIn(Command, command);
  if (name) return name;
  if (command >= VENDOR_FIRST && command <= VENDOR_LAST) return `VENDOR_0x${command.toString(16)}`;
  return `0x${command.toString(16).padStart(2, '0')}`;
}

/** The CTAPHID_ERROR code's name, undefined for a code CTAP 2.1 does not define. */
export function hidErrorNameOf(code: number): HidErrorName | undefined {
  return nameIn(HidError, code) as HidErrorName | undefined;
}

/** `CHANNEL_BUSY`, or `0x2a` for a code CTAP 2.1 does not define, for messages. */
export function hidErrorName(code: number): string {
  return hidErrorNameOf(code) ?? `0x${code.toString(16).padStart(2, '0')}`;
}
