export type ReEnrollmentErrorCode =
  /** The NES policy does not allow it; `message` is the text the user sees. Nothing was touched. */
  | 'REFUSED_BY_POLICY'
  /** The connected band is not the one named. */
  | 'BAND_MISMATCH'
  /** A step failed; the run can be repeated and resumes where it stopped. `step` says which. */
  | 'STEP_FAILED'
  | 'CANCELLED';

export type ReEnrollmentStep = 'connect' | 'policy' | 'delete-user-data' | 'enroll' | 'fido2' | 'directory' | 'retire';

export class ReEnrollmentError extends Error {
  override readonly name = 'ReEnrollmentError';
  constructor(
    readonly code: ReEnrollmentErrorCode,
    message: string,
    readonly step: ReEnrollmentStep,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
