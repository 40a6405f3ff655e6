import type { BandState } from './types.js';

/**
 * The states of an enrollment in progress (docs/band.md §Enrollment): from start_enrollment to the template
 * captured, before complete_enrollment stores the user. Taking the band off the wrist drops it back to
 * UNENROLLED; a host waiting on an enrollment treats leaving them as the enrollment lost.
 */
export const ENROLLING_STATES: readonly BandState[] = [
  'BAND_STATE_AWAITING_SETUP_CODE',
  'BAND_STATE_ADD_USER',
  'BAND_STATE_CAPTURING',
  'BAND_STATE_CAPTURED',
];

export function isEnrolling(state: BandState): boolean {
  return ENROLLING_STATES.includes(state);
}
