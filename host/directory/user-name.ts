import { DirectoryError } from './errors.js';

/** Directory (AD-style) names are short; the bound keeps a rendered table and the JSON file sane. */
const MAX_USER_NAME_LENGTH = 256;

export function isUserName(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_USER_NAME_LENGTH &&
    value === value.trim() &&
    // Control characters would make the name ambiguous in logs and in the User Properties table.
    !/\p{Cc}/u.test(value)
  );
}

export function assertUserName(value: unknown): string {
  if (!isUserName(value)) {
    throw new DirectoryError(
      'INVALID_USER_NAME',
      `Expected a directory user name of 1–${MAX_USER_NAME_LENGTH} characters without leading/trailing spaces ` +
        `or control characters, got ${JSON.stringify(value)}; use the name as the enterprise directory spells it.`,
    );
  }
  return value;
}
