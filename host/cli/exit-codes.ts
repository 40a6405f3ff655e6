import { AuthenticationFailedError, BandClientError, BandError } from '../errors.js';
import { ReEnrollmentError } from '../re-enrollment/index.js';
import { HidError, TransportError } from '../../transport/index.js';
import { DirectoryError } from '../directory/index.js';

/** bandctl's exit codes, documented in `bandctl --help`. */
export const ExitCode = {
  OK: 0,
  /**
   * The band, the relying party or the directory refused or failed the operation; the band was busy with another
   * host (CTAPHID CHANNEL_BUSY); or a replay departed from its recording.
   */
  FAILED: 1,
  /** Bad command line. */
  USAGE: 2,
  /** The band could not be reached, or the link died. */
  UNREACHABLE: 3,
  /** The band or the user did not answer in time. */
  TIMEOUT: 4,
  /** The enterprise policy does not allow the operation. */
  REFUSED_BY_POLICY: 5,
} as const;

/** A command-line mistake: the message says what was expected and how to fix it, in one line. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * The command has already printed its whole result, and that result is a failure (a conformance report with
 * failed requirements): main exits with `exit` and prints nothing more, so --json output stays one document.
 */
export class ReportedFailure extends Error {
  override readonly name = 'ReportedFailure';
  constructor(
    readonly exit: number,
    message: string,
  ) {
    super(message);
  }
}

/** Maps any failure to an exit code and a stable error code for `--json` output. */
export function classify(error: unknown): { exit: number; code: string } {
  if (error instanceof UsageError) return { exit: ExitCode.USAGE, code: 'USAGE' };
  // A --transport value that is not a transport URI is a command-line mistake, not an unreachable band.
  if (error instanceof TransportError && error.code === 'BAD_URI') return { exit: ExitCode.USAGE, code: error.code };
  // A replay that departs from its recording reached the (recorded) band: the session differs, nothing is unreachable.
  if (error instanceof TransportError && (error.code === 'REPLAY_MISMATCH' || error.code === 'REPLAY_FORMAT')) {
    return { exit: ExitCode.FAILED, code: error.code };
  }
  if (error instanceof TransportError) return { exit: ExitCode.UNREACHABLE, code: error.code };
  if (error instanceof BandClientError) {
    if (error.code === 'TIMEOUT') return { exit: ExitCode.TIMEOUT, code: error.code };
    if (error.code === 'DISCONNECTED') return { exit: ExitCode.UNREACHABLE, code: error.code };
    return { exit: ExitCode.FAILED, code: error.code };
  }
  if (error instanceof BandError) return { exit: ExitCode.FAILED, code: error.code };
  if (error instanceof AuthenticationFailedError) return { exit: ExitCode.FAILED, code: 'AUTHENTICATION_FAILED' };
  // The directory's policy decision (a self-service re-enrollment the NES policy does not allow).
  if (error instanceof DirectoryError && error.code === 'REFUSED')
    return { exit: ExitCode.REFUSED_BY_POLICY, code: error.code };
  if (error instanceof ReEnrollmentError) {
    if (error.code === 'REFUSED_BY_POLICY') return { exit: ExitCode.REFUSED_BY_POLICY, code: error.code };
    // A failed step exits as its cause would (timed out: 4, band gone: 3), so scripts can retry the right way.
    if (error.code === 'STEP_FAILED' && error.cause !== undefined)
      return { exit: classify(error.cause).exit, code: error.code };
    return { exit: ExitCode.FAILED, code: error.code };
  }
  const code = (error as { code?: unknown })?.code;
  return { exit: ExitCode.FAILED, code: typeof code === 'string' ? code : 'FAILED' };
}

/** The message bandctl prints for a failure: the error's own, or a plainer one where the raw one says too little. */
export function describeFailure(error: unknown): string {
  if (error instanceof BandClientError && error.hidError === HidError.CHANNEL_BUSY) {
    return 'the band is busy with another host (CTAPHID CHANNEL_BUSY); retry';
  }
  return error instanceof Error ? error.message : String(error);
}
