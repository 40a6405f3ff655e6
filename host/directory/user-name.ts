import { userNameProblem } from '../../proto/index.js';
import { DirectoryError } from './errors.js';

/**
 * The directory's user names follow the band's rule (proto's userNameProblem: 1..64 bytes of UTF-8, no control
 * characters, no leading or trailing white space): the orchestrator enrolls a band with the directory's name, so a
 * name the band would refuse could be added here but never enrolled.
 */
export function isUserName(value: unknown): value is string {
  return typeof value === 'string' && userNameProblem(value) === undefined;
}

export function assertUserName(value: unknown): string {
  const problem = typeof value === 'string' ? userNameProblem(value) : `expected a string, got ${typeof value}`;
  if (problem !== undefined) {
    throw new DirectoryError(
      'INVALID_USER_NAME',
      `Expected a directory user name (${problem}), got ${JSON.stringify(value)}; ` +
        `use the name as the enterprise directory spells it.`,
    );
  }
  return value as string;
}
