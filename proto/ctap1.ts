/**
 * CTAP1/U2F (FIDO U2F Raw Message Formats v1.2, carried by CTAPHID_MSG as CTAP 2.1 §11.2.9.1.1 and §10 say): the
 * instructions, control bytes, status words and the ISO 7816-4 APDU framing. Band and hosts both use these.
 */

/** The version string U2F_VERSION answers, and getInfo's versions entry for a CTAP1-capable authenticator. */
export const U2F_VERSION = 'U2F_V2';

/** Instruction bytes (U2F Raw Message Formats §3, §4, §5, §6). */
export const U2fIns = { REGISTER: 0x01, AUTHENTICATE: 0x02, VERSION: 0x03 } as const;

/** U2F_AUTHENTICATE's P1 control byte (§5.1). */
export const U2fControl = {
  /** Only say whether the key handle is ours: SW_CONDITIONS_NOT_SATISFIED if so, SW_WRONG_DATA if not. */
  CHECK_ONLY: 0x07,
  ENFORCE_USER_PRESENCE_AND_SIGN: 0x03,
  DONT_ENFORCE_USER_PRESENCE_AND_SIGN: 0x08,
} as const;

/** Status words (ISO 7816-4 as U2F Raw Message Formats §3.3 uses them). */
export const StatusWord = {
  NO_ERROR: 0x9000,
  /** The test of user presence is required and was not satisfied (the platform asks again). */
  CONDITIONS_NOT_SATISFIED: 0x6985,
  /** Invalid key handle. */
  WRONG_DATA: 0x6a80,
  WRONG_LENGTH: 0x6700,
  CLA_NOT_SUPPORTED: 0x6e00,
  INS_NOT_SUPPORTED: 0x6d00,
} as const;
export type StatusWordCode = (typeof StatusWord)[keyof typeof StatusWord];

/** U2F_REGISTER's first response byte (§4.3). */
export const REGISTER_RESERVED_BYTE = 0x05;
/** The user-presence byte of an authentication response and the flag it carries (§5.4). */
export const USER_PRESENCE_FLAG = 0x01;
/** U2F's challenge and application parameters are SHA-256 digests (§4.1, §5.1). */
export const U2F_PARAMETER_SIZE = 32;
/** The key handle length travels in one byte (§4.3). */
export const MAX_KEY_HANDLE_LENGTH = 255;

export interface CommandApdu {
  cla: number;
  ins: number;
  p1: number;
  p2: number;
  data: Uint8Array;
}

/** A request that is not a well-formed command APDU: the band answers SW_WRONG_LENGTH. */
export class ApduFormatError extends Error {
  override readonly name = 'ApduFormatError';
}

/**
 * Decodes a command APDU in either ISO 7816-4 encoding U2F allows (§3.1.1 extended, as platforms send it, and short):
 *   CLA INS P1 P2                                  (no data, no Le)
 *   CLA INS P1 P2 Le                               (short, no data)
 *   CLA INS P1 P2 Lc data [Le]                     (short, Lc 1..255)
 *   CLA INS P1 P2 00 Lc1 Lc2 data [Le1 Le2]        (extended; Lc may be 0 when the APDU only carries Le)
 */
export function decodeCommandApdu(apdu: Uint8Array): CommandApdu {
  if (apdu.length < 4) throw new ApduFormatError(`a command APDU has at least 4 header bytes; got ${apdu.length}`);
  const [cla, ins, p1, p2] = apdu;
  const head = { cla, ins, p1, p2 };
  const body = apdu.subarray(4);
  if (body.length === 0 || body.length === 1) return { ...head, data: new Uint8Array(0) };
  if (body[0] !== 0) {
    const lc = body[0];
    const rest = body.length - 1 - lc;
    if (rest !== 0 && rest !== 1)
      throw new ApduFormatError(`short APDU: Lc says ${lc} data bytes but ${body.length - 1} follow`);
    return { ...head, data: body.slice(1, 1 + lc) };
  }
  if (body.length < 3) throw new ApduFormatError('extended APDU: the 0x00 marker must be followed by a 2-byte length');
  const lc = (body[1] << 8) | body[2];
  if (body.length === 3) return { ...head, data: new Uint8Array(0) };
  const rest = body.length - 3 - lc;
  if (rest !== 0 && rest !== 2)
    throw new ApduFormatError(`extended APDU: Lc says ${lc} data bytes but ${body.length - 3} follow`);
  return { ...head, data: body.slice(3, 3 + lc) };
}

/** The command APDU a platform sends: extended encoding with Le 65536, as python-fido2 and libfido2 do. */
export function encodeCommandApdu(command: CommandApdu): Uint8Array {
  const out = new Uint8Array(4 + 3 + command.data.length + 2);
  out.set([command.cla, command.ins, command.p1, command.p2, 0, command.data.length >> 8, command.data.length & 0xff]);
  out.set(command.data, 7);
  return out;
}

/** Response APDU: data ‖ SW1 SW2. */
export function encodeResponseApdu(data: Uint8Array, status: StatusWordCode): Uint8Array {
  const out = new Uint8Array(data.length + 2);
  out.set(data, 0);
  out[data.length] = status >> 8;
  out[data.length + 1] = status & 0xff;
  return out;
}

export function decodeResponseApdu(response: Uint8Array): { data: Uint8Array; status: number } {
  if (response.length < 2)
    throw new ApduFormatError(`a response APDU ends with 2 status bytes; got ${response.length}`);
  return {
    data: response.subarray(0, response.length - 2),
    status: (response[response.length - 2] << 8) | response[response.length - 1],
  };
}
