import { DirectoryError } from './errors.js';

/** Four capital letters, a dash, five digits: the form printed on the band's back. */
export const SERIAL_NUMBER_PATTERN = /^[A-Z]{4}-\d{5}$/;

export function isSerialNumber(value: unknown): value is string {
  return typeof value === 'string' && SERIAL_NUMBER_PATTERN.test(value);
}

export function assertSerialNumber(value: unknown): string {
  if (!isSerialNumber(value)) {
    throw new DirectoryError(
      'INVALID_SERIAL',
      `Expected a band serial number of four capital letters, a dash and five digits (e.g. AAAH-00125), ` +
        `got ${JSON.stringify(value)}; read it from the band's back or from its GetInfo reply.`,
    );
  }
  return value;
}
