/**
 * How a requirement's check ends other than passing. Thrown by checks and by the unit log's waits; the runner
 * turns them into a failed or skipped result.
 */

/** A check that found the band not doing what the requirement says: "expected X, got Y". */
export class Unmet extends Error {
  override readonly name = 'Unmet';
  constructor(
    readonly expected: string,
    readonly got: string,
  ) {
    super(`expected ${expected}, got ${got}`);
  }
}

/** A check that cannot run on this band after all (found out at run time); reported as a skip. */
export class NotApplicable extends Error {
  override readonly name = 'NotApplicable';
}
