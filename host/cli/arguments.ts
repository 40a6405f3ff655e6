import { isSerialNumber, SERIAL_NUMBER_EXAMPLE, SERIAL_NUMBER_FORM, userNameProblem } from '../../proto/index.js';
import { UsageError } from './exit-codes.js';

/**
 * Identifier arguments checked before anything is opened (the band, the directory), with proto's rules, so a
 * typo exits 2 at once in the CLI's words instead of after a connection or a fingerprint capture.
 */
export function serialArgument(command: string, what: string, value: string): string {
  if (!isSerialNumber(value)) {
    throw new UsageError(
      `${command}: ${what}: expected a band serial number of ${SERIAL_NUMBER_FORM} as printed on the band's back (e.g. ${SERIAL_NUMBER_EXAMPLE}), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

export function userArgument(command: string, what: string, value: string): string {
  const problem = userNameProblem(value);
  if (problem !== undefined)
    throw new UsageError(`${command}: ${what}: ${problem}; give the name as the directory spells it`);
  return value;
}
