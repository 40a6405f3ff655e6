/** Every relying-party failure carries a stable `code`; the message says what was expected and what to do. */
export type RelyingPartyErrorCode =
  | 'VERIFICATION_FAILED'
  | 'UNKNOWN_CREDENTIAL'
  | 'RETIRED_CREDENTIAL'
  | 'COUNTER_REGRESSION'
  | 'DUPLICATE_CREDENTIAL'
  | 'NO_CREDENTIALS'
  | 'NO_PENDING_CEREMONY'
  | 'CEREMONY_EXPIRED'
  | 'INVALID_ARGUMENT'
  | 'CORRUPT'
  | 'IO'
  /** `@simplewebauthn/server` (an optional peer dependency) is not installed. */
  | 'MISSING_DEPENDENCY';

/** A relying party rejected a ceremony or could not store it; `code` says which. */
export class RelyingPartyError extends Error {
  override readonly name = 'RelyingPartyError';
  constructor(
    readonly code: RelyingPartyErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
