import { isSerialNumber, SERIAL_NUMBER_EXAMPLE, SERIAL_NUMBER_FORM } from '../../proto/index.js';
import { DirectoryError } from './errors.js';

export { isSerialNumber };

/** The band serial number rule is proto's (identifiers.ts); the directory refuses anything else. */
export function assertSerialNumber(value: unknown): string {
  if (!isSerialNumber(value)) {
    throw new DirectoryError(
      'INVALID_SERIAL',
      `Expected a band serial number of ${SERIAL_NUMBER_FORM} (e.g. ${SERIAL_NUMBER_EXAMPLE}), ` +
        `got ${JSON.stringify(value)}; read it from the band's back or from its GetInfo reply.`,
    );
  }
  return value;
}
