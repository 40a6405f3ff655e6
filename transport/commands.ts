/**
 * Wire commands. One numbering for every wire: the CTAPHID command values (7-bit, without the
 * init-packet bit 0x80), so a unit means the same thing on USB HID, UDP, serial, TCP and loopback.
 */
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

/** KEEPALIVE status bytes. */
export const KeepaliveStatus = { PROCESSING: 1, UPNEEDED: 2 } as const;

export function commandName(command: number): string {
  for (const [name, value] of Object.entries(Command)) if (value === command) return name;
  if (command >= VENDOR_FIRST && command <= VENDOR_LAST) return `VENDOR_0x${command.toString(16)}`;
  return `0x${command.toString(16).padStart(2, '0')}`;
}
