import type { BandClient, BandEvent } from './band-client.js';
import { AuthenticationFailedError, BandError } from './errors.js';
import { EventWaiter } from './event-waiter.js';
import type { UserInteraction } from './user-interaction.js';

export interface AuthenticateOptions {
  /** Time allowed for each user action (default 60 000 ms). */
  stepTimeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Brings an enrolled band to Authenticated: the user wears it and touches the sensor (fingerprint match plus
 * the ECG liveness check). FIDO2 on the band needs it, and a band that rebooted or left the wrist has lost it.
 * A failed match is reported with the band's reason; the caller may ask again.
 */
export async function authenticate(
  band: BandClient,
  user: UserInteraction,
  options: AuthenticateOptions = {},
): Promise<void> {
  const call = { signal: options.signal };
  const timeoutMs = options.stepTimeoutMs ?? 60_000;
  let state = await band.getState(call);
  if (state.state === 'BAND_STATE_AUTHENTICATED') return;
  if (!state.enrolled) {
    // Checked here rather than by the band because there is no authentication request to refuse: the wearer's
    // touch is the request, and on a band holding nobody it would only show NO USER.
    throw new BandError(
      'ERROR_CODE_NOT_ENROLLED',
      `the band holds no enrolled user (state ${state.state}); enroll it before authenticating`,
      state.state,
    );
  }
  const waiter = new EventWaiter(band);
  try {
    if (!state.onWrist) {
      await user.instruct({ kind: 'wear-band' }, options.signal);
      state = await band.getState(call);
      if (!state.onWrist) {
        await waiter.next((e): e is BandEvent => e.case === 'wristChanged' && e.value.onWrist, {
          timeoutMs,
          signal: options.signal,
          what: 'authentication (waiting for the band to be worn)',
        });
      }
      state = await band.getState(call);
      if (state.state === 'BAND_STATE_AUTHENTICATED') return;
    }
    await user.instruct({ kind: 'authenticate' }, options.signal);
    if ((await band.getState(call)).state === 'BAND_STATE_AUTHENTICATED') return;
    const outcome = await waiter.next(
      (e): e is Extract<BandEvent, { case: 'authenticationChanged' }> => e.case === 'authenticationChanged',
      { timeoutMs, signal: options.signal, what: 'authentication (waiting for a fingerprint match)' },
    );
    if (!outcome.value.authenticated) {
      const reason = outcome.value.reason;
      throw new AuthenticationFailedError(
        reason,
        `the band did not authenticate the user: ${reason.replace('AUTHENTICATION_REASON_', '').toLowerCase().replace(/_/g, ' ')}; ${
          reason === 'AUTHENTICATION_REASON_LOCKED_OUT'
            ? 'the band is locked out: delete its user data on the band and enroll again'
            : 'touch the sensor again'
        }`,
      );
    }
  } finally {
    waiter.close();
  }
}
