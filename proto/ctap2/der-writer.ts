import { concat } from '../bytes.js';

/**
 * A small DER writer (X.690 §10: definite lengths in their shortest form, primitive strings, DEFAULT values left
 * out by the caller), enough to write the X.509 certificates an emulated band attests with (RFC 5280 §4.1). The
 * reader beside it (`attestation-certificate.ts`) walks certificates the same way. Each function returns one
 * whole TLV.
 */

/**
 * The tags (X.690 §8.1.2, X.680 §8.4) certificates are written and read with, here and by the reader in
 * `attestation-certificate.ts`.
 */
export const DerTag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  TELETEX_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
  /** Context-specific, constructed: `[n] EXPLICIT` is this | n (X.690 §8.1.2.2). */
  EXPLICIT: 0xa0,
} as const;

/** A tag and definite length (X.690 §8.1.3: short form below 128, else 0x80 | byte count, big-endian). */
export function derHeader(tag: number, length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(tag, length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(tag, 0x80 | bytes.length, ...bytes);
}

/** A TLV around contents already encoded. */
export function derTlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  const length = contents.reduce((sum, part) => sum + part.length, 0);
  return concat(derHeader(tag, length), ...contents);
}

export const derSequence = (...elements: Uint8Array[]) => derTlv(DerTag.SEQUENCE, ...elements);

/** SET OF (X.690 §11.6: DER sorts the elements' encodings). */
export function derSetOf(...elements: Uint8Array[]): Uint8Array {
  return derTlv(DerTag.SET, ...[...elements].sort(compareBytes));
}

/** [n] EXPLICIT: a constructed context-specific tag around one TLV. */
export function derExplicit(n: number, element: Uint8Array): Uint8Array {
  if (n < 0 || n > 30) throw new RangeError(`context tag [${n}] needs the high-tag form, which this writer lacks`);
  return derTlv(DerTag.EXPLICIT | n, element);
}

/** BOOLEAN (X.690 §11.1: TRUE is 0xFF). */
export const derBoolean = (value: boolean) => Uint8Array.of(DerTag.BOOLEAN, 1, value ? 0xff : 0x00);

/** A non-negative INTEGER (X.690 §8.3): a 0x00 in front when the top bit is set, no redundant leading zeros. */
export function derInteger(value: number | Uint8Array): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${value} is not a non-negative integer`);
    const out: number[] = [];
    for (let n = value; n > 0; n = Math.floor(n / 256)) out.unshift(n % 256);
    bytes = Uint8Array.from(out);
  } else {
    let start = 0;
    while (start < value.length - 1 && value[start] === 0) start++;
    bytes = value.subarray(start);
  }
  if (bytes.length === 0 || bytes[0] & 0x80) bytes = concat(Uint8Array.of(0), bytes);
  return derTlv(DerTag.INTEGER, bytes);
}

/** OBJECT IDENTIFIER from its dotted form (X.690 §8.19: the first two arcs as 40·a + b, each base 128). */
export function derOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((arc) => !Number.isSafeInteger(arc) || arc < 0) || arcs[0] > 2)
    throw new RangeError(`${JSON.stringify(dotted)} is not an object identifier`);
  const out: number[] = [];
  for (const arc of [arcs[0] * 40 + arcs[1], ...arcs.slice(2)]) {
    const digits = [arc % 128];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) digits.unshift((n % 128) | 0x80);
    out.push(...digits);
  }
  return derTlv(DerTag.OID, Uint8Array.from(out));
}

export const derOctetString = (bytes: Uint8Array) => derTlv(DerTag.OCTET_STRING, bytes);

/** BIT STRING of whole bytes (0 unused bits). */
export const derBitString = (bytes: Uint8Array) => derTlv(DerTag.BIT_STRING, Uint8Array.of(0), bytes);

/**
 * A named-bit BIT STRING (X.690 §11.2.2: trailing zero bits removed) from the bits' numbers, bit 0 the first
 * (most significant) bit of the first byte, as RFC 5280 §4.2.1.3 numbers KeyUsage.
 */
export function derNamedBits(bits: number[]): Uint8Array {
  const length = bits.length === 0 ? 0 : Math.max(...bits) + 1;
  const bytes = new Uint8Array(Math.ceil(length / 8));
  for (const bit of bits) bytes[bit >> 3] |= 0x80 >> (bit & 7);
  return derTlv(DerTag.BIT_STRING, Uint8Array.of(bytes.length * 8 - length), bytes);
}

export const derUtf8String = (text: string) => derTlv(DerTag.UTF8_STRING, Buffer.from(text, 'utf8'));

/** PrintableString (X.680 §41.4): letters, digits, space and '()+,-./:=? only. */
export function derPrintableString(text: string): Uint8Array {
  if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text))
    throw new RangeError(`${JSON.stringify(text)} has characters a PrintableString cannot hold`);
  return derTlv(DerTag.PRINTABLE_STRING, Buffer.from(text, 'latin1'));
}

/**
 * An X.509 Time (RFC 5280 §4.1.2.5): UTCTime YYMMDDHHMMSSZ through 2049, GeneralizedTime YYYYMMDDHHMMSSZ from 2050;
 * whole seconds, UTC.
 */
export function derTime(date: Date): Uint8Array {
  const year = date.getUTCFullYear();
  if (year < 1950 || year > 9999) throw new RangeError(`${date.toISOString()} is outside what X.509 Time holds`);
  const two = (n: number) => String(n).padStart(2, '0');
  const rest =
    two(date.getUTCMonth() + 1) +
    two(date.getUTCDate()) +
    two(date.getUTCHours()) +
    two(date.getUTCMinutes()) +
    two(date.getUTCSeconds()) +
    'Z';
  return year < 2050
    ? derTlv(DerTag.UTC_TIME, Buffer.from(two(year % 100) + rest, 'latin1'))
    : derTlv(DerTag.GENERALIZED_TIME, Buffer.from(String(year) + rest, 'latin1'));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}
