import type { BandClient, BandEvent } from './band-client.js';
import { checkCustomLabel, isEnrolling, userNameProblem } from '../proto/index.js';
import { BandClientError, BandError } from './errors.js';
import { EventWaiter } from './event-waiter.js';
import type { UserInteraction } from './user-interaction.js';

export interface EnrollRequest {
  userName: string;
  /** Custom band label (policy); empty or absent: the band shows the user name. */
  label?: string;
  /** Policy setting applied at enrollment. */
  hapticFeedback?: boolean;
}

/** What an enrollment reports as it goes: the setup code verified, each capture touch, done. */
export type EnrollProgress =
  | { step: 'wear-band' }
  | { step: 'setup-code' }
  | { step: 'setup-code-verified' }
  | { step: 'capture'; goodTouches: number; touchesRequired: number; rejected: boolean }
  | { step: 'completed'; label: string };

export interface EnrollOptions {
  /** Time allowed for each user action: wearing the band, reading the code, each touch (default 60 000 ms). */
  stepTimeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: (progress: EnrollProgress) => void;
}

export interface EnrollResult {
  deviceId: Uint8Array;
  label: string;
}

/** The band dropping out of an enrollment it was in (taken off the wrist, cancelled on the band). */
function enrollmentLost(event: BandEvent): string | undefined {
  if (event.case === 'wristChanged' && !event.value.onWrist) return 'the band was taken off the wrist';
  if (event.case === 'screenChanged' && event.value.state === 'BAND_STATE_UNENROLLED')
    return 'the band left enrollment';
  return undefined;
}

/**
 * Enrollment, the same steps for a new band and a re-enrolled one: device ID, setup code read off the worn
 * band, Add User, fingerprint capture until the band has enough good touches, then the user name, label and
 * policy settings. The band ends authenticated and linked to the user. A band that still holds user data
 * refuses (BandError ERROR_CODE_USER_DATA_PRESENT): delete user data first.
 */
export async function enroll(
  band: BandClient,
  user: UserInteraction,
  request: EnrollRequest,
  options: EnrollOptions = {},
): Promise<EnrollResult> {
  const timeoutMs = options.stepTimeoutMs ?? 60_000;
  const call = { signal: options.signal };
  const report = options.onProgress ?? (() => undefined);

  // Refuse what the band would refuse at the end, before the user spends a whole capture on it.
  const nameProblem = userNameProblem(request.userName);
  if (nameProblem)
    throw new BandClientError('INVALID_ARGUMENT', `cannot enroll: ${nameProblem}; use the directory user name`);
  if (request.label) {
    const label = checkCustomLabel(request.label);
    if (!label.ok)
      throw new BandClientError(
        'INVALID_ARGUMENT',
        `cannot enroll with label ${JSON.stringify(request.label)}: ${label.problem}; choose another or leave it out`,
      );
  }
  let state = await band.getState(call);
  if (state.enrolled || state.state === 'BAND_STATE_LOCKED_OUT') {
    throw new BandError(
      'ERROR_CODE_USER_DATA_PRESENT',
      `the band holds user data${state.userName ? ` of ${state.userName}` : ''}; delete user data first (bandctl wipe), then enroll`,
      state.state,
    );
  }
  if (isEnrolling(state.state)) {
    // An enrollment left half-done (the host went away mid-capture): start it over cleanly.
    await band.cancelEnrollment(call);
    state = await band.getState(call);
  }
  if (!state.onWrist) {
    report({ step: 'wear-band' });
    const worn = new EventWaiter(band);
    try {
      await user.instruct({ kind: 'wear-band' }, options.signal);
      if (!(await band.getState(call)).onWrist) {
        await worn.next((e): e is BandEvent => e.case === 'wristChanged' && e.value.onWrist, {
          timeoutMs,
          signal: options.signal,
          what: 'enrollment (waiting for the band to be worn)',
        });
      }
    } finally {
      worn.close();
    }
  }

  const started = await band.startEnrollment(call);
  report({ step: 'setup-code' });
  const code = await user.readSetupCode(options.signal);
  await band.verifySetupCode(code.trim(), call);
  report({ step: 'setup-code-verified' });

  const waiter = new EventWaiter(band, enrollmentLost);
  try {
    const { touchesRequired } = await band.startCapture(call);
    let good = 0;
    let rejected = false;
    while (good < touchesRequired) {
      await user.instruct(
        { kind: 'touch-sensor', goodTouches: good, touchesRequired, lastRejected: rejected },
        options.signal,
      );
      const progress = await waiter.next(
        (e): e is Extract<BandEvent, { case: 'captureProgress' }> => e.case === 'captureProgress',
        { timeoutMs, signal: options.signal, what: 'fingerprint capture' },
      );
      good = progress.value.goodTouches;
      rejected = progress.value.rejected;
      report({ step: 'capture', goodTouches: good, touchesRequired, rejected });
    }
  } finally {
    waiter.close();
  }

  const done = await band.completeEnrollment(
    { userName: request.userName, label: request.label ?? '', hapticFeedback: request.hapticFeedback ?? true },
    call,
  );
  report({ step: 'completed', label: done.label });
  return { deviceId: started.deviceId, label: done.label };
}
