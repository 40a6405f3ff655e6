/** The rules `update` checks on the whole directory before anything is committed. */
export type InvariantRule =
  | 'well-formed'
  | 'unique-user-name'
  | 'unique-serial-number'
  | 'unique-device-id'
  | 'association-references'
  | 'band-single-user'
  | 'user-single-active'
  | 'user-single-primary';

/** Every directory failure carries a stable `code` a caller can switch on; the message says what to do. */
export type DirectoryErrorCode =
  | 'INVARIANT'
  | 'CORRUPT'
  | 'IO'
  /** Another process held the directory file's lock for too long, or this process lost its lock. */
  | 'LOCKED'
  | 'INVALID_SERIAL'
  | 'INVALID_DEVICE_ID'
  | 'INVALID_USER_NAME'
  | 'INVALID_POLICY'
  | 'INVALID_SEOS_FLAG'
  | 'INVALID_CLOCK'
  | 'UNKNOWN_USER'
  | 'UNKNOWN_BAND'
  | 'DUPLICATE_USER'
  | 'DUPLICATE_BAND'
  | 'NOT_ASSOCIATED'
  | 'BAND_HELD'
  | 'NO_PRIMARY_BAND'
  | 'DEVICE_ID_MISMATCH'
  | 'REFUSED'
  | 'STALE_DECISION'
  /** What a re-enrollment's decision rested on (policy, the user's or the band's rows) changed during the run. */
  | 'CHANGED_DURING_RUN';

/** A directory refused an operation or could not store it; `code` says which, the message what to do. */
export class DirectoryError extends Error {
  override readonly name: string = 'DirectoryError';
  /** Set for INVARIANT (and for CORRUPT when the file breaks a rule): which rule failed. */
  readonly rule?: InvariantRule;
  /** Set for CORRUPT and IO: the file concerned. */
  readonly path?: string;

  constructor(
    readonly code: DirectoryErrorCode,
    message: string,
    options?: { cause?: unknown; rule?: InvariantRule; path?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.rule !== undefined) this.rule = options.rule;
    if (options?.path !== undefined) this.path = options.path;
  }
}
