/**
 * bandctl refusing on its own account (exit 1): a check the command makes against the directory or the band
 * before it does anything that cannot be undone. The message is the CLI's one line: what is wrong, what to run.
 */
export class CliRefusal extends Error {
  override readonly name = 'CliRefusal';
  constructor(
    readonly code:
      | 'NOT_IN_DIRECTORY'
      | 'NO_BAND_ASSIGNED'
      | 'NOT_USERS_BAND'
      | 'BAND_NOT_ENROLLED'
      | 'ENROLLED_TO_OTHER'
      | 'KEY_EXISTS'
      | 'NO_LARGE_BLOB_KEY'
      | 'AMBIGUOUS_CREDENTIAL'
      // The library's LargeBlobError codes, kept for --json, with the message in the CLI's words.
      | 'NOT_SUPPORTED'
      | 'TOO_LARGE'
      | 'UNREADABLE_ARRAY',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
