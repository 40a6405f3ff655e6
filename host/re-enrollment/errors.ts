import type { DirectoryChange } from '../directory/index.js';

export type ReEnrollmentErrorCode =
  /** The NES policy does not allow it; `message` is the text the user sees. Nothing was touched. */
  | 'REFUSED_BY_POLICY'
  /** The connected band is not the one named. */
  | 'BAND_MISMATCH'
  /** A step failed; the run can be repeated and resumes where it stopped. `step` says which. */
  | 'STEP_FAILED'
  /**
   * An administrator changed what the decision rested on (the policy, the user's or the band's rows) while the run
   * waited for the person; `changes` says what. The directory keeps the administrator's change; the keys this run
   * created are retired and its resume point dropped, so running it again decides afresh.
   */
  | 'DIRECTORY_CHANGED'
  | 'CANCELLED';

/** The steps of a re-enrollment, in order; progress events and errors name the step. */
export type ReEnrollmentStep = 'connect' | 'policy' | 'delete-user-data' | 'enroll' | 'fido2' | 'directory' | 'retire';

/**
 * A re-enrollment did not complete: `code` says why (refused by policy, wrong band, a step failed, cancelled),
 * `step` where. The directory is written in one transaction at the end, never half; run the same re-enrollment
 * again to resume.
 */
export class ReEnrollmentError extends Error {
  override readonly name = 'ReEnrollmentError';
  /** For DIRECTORY_CHANGED: what changed in the directory during the run. */
  readonly changes?: DirectoryChange[];
  constructor(
    readonly code: ReEnrollmentErrorCode,
    message: string,
    readonly step: ReEnrollmentStep,
    options?: { cause?: unknown; changes?: DirectoryChange[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.changes) this.changes = options.changes;
  }
}
