import type { BandClient } from './band-client.js';
import { BandClientError } from './errors.js';
import { EventWaiter } from './event-waiter.js';
import type { UserInteraction } from './user-interaction.js';

export interface DeleteUserDataOptions {
  /** How long the user has for the physical action (default 120 000 ms). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Delete user data as the product defines it: the host asks, the band prompts, and only the user's action on
 * the band (off the wrist, on the charger, bottom button held) wipes it. Resolves when the band reports
 * USER DATA DELETED; `already-empty` when there was nothing to delete (e.g. a resumed re-enrollment).
 */
export async function deleteUserData(
  band: BandClient,
  user: UserInteraction,
  options: DeleteUserDataOptions = {},
): Promise<'deleted' | 'already-empty'> {
  const state = await band.getState({ signal: options.signal });
  if (!state.enrolled && state.state !== 'BAND_STATE_LOCKED_OUT') return 'already-empty';
  const waiter = new EventWaiter(band);
  try {
    // A prompt left showing by an earlier attempt is asked for afresh, so its instructions are known.
    if (state.state === 'BAND_STATE_DELETE_PROMPT') await band.cancelDeleteUserData({ signal: options.signal });
    const prompt = await band.requestDeleteUserData({ signal: options.signal });
    await user.instruct(
      {
        kind: 'delete-user-data',
        removeFromWrist: prompt.removeFromWrist,
        placeOnCharger: prompt.placeOnCharger,
        holdBottomButtonMs: prompt.holdBottomButtonMs,
      },
      options.signal,
    );
    try {
      await waiter.next((e): e is Extract<typeof e, { case: 'userDataDeleted' }> => e.case === 'userDataDeleted', {
        timeoutMs: options.timeoutMs ?? 120_000,
        signal: options.signal,
        what: 'delete user data (waiting for the user to hold the bottom button on the charger)',
      });
    } catch (error) {
      // Do not leave the band prompting for a wipe nobody waits for: it would refuse everything else. A band that
      // stopped answering would not hear it either (and the next deleteUserData asks for the prompt afresh), so the
      // failure is reported now rather than after another call's timeout.
      if (!(error instanceof BandClientError && error.code === 'DISCONNECTED')) {
        await band.cancelDeleteUserData().catch(() => undefined);
      }
      throw error;
    }
    return 'deleted';
  } finally {
    waiter.close();
  }
}
