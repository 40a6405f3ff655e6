import type { Band } from './band.js';
import type { Body } from './body.js';
import { Rules } from './rules.js';

/** A band ready for a demo or a rig (bandsim --preset), made by really enrolling it. */
export interface Preset {
  kind: 'blank' | 'enrolled' | 'authenticated';
  /** Required for enrolled and authenticated. */
  userName?: string;
  /** The finger enrolled; default `${userName}/right-index`. */
  finger?: string;
  label?: string;
  hapticFeedback?: boolean;
}

/**
 * Runs the enrollment the way a host and a wearer would (through the band's enrollment session and the
 * body, on a band it has just seen unenrolled), so a preset band's flash is exactly what a real enrollment writes. `enrolled` ends worn and
 * waiting for a finger; `authenticated` ends worn and authenticated; `blank` leaves the band as it is.
 * A band that already holds user data is refused: a preset never overwrites a user.
 */
export function applyPreset(band: Band, body: Body, preset: Preset): void {
  if (band.storageFault) throw new Error(`cannot apply preset ${preset.kind}: ${band.storageFault.message}`);
  if (band.enrolled) {
    const who = band.getState().userName;
    throw new Error(
      `cannot apply preset ${preset.kind}: the band already holds user data for ${JSON.stringify(who)}; drop the preset, or delete its user data (or its state directory) first`,
    );
  }
  if (preset.kind === 'blank') return;
  const userName = preset.userName;
  if (!userName)
    throw new Error(`preset ${preset.kind} needs a user name, e.g. { kind: '${preset.kind}', userName: 'tw-user2' }`);
  const finger = preset.finger ?? `${userName}/right-index`;
  body.fingerOff();
  body.setWrist(true);
  band.enrollment.start();
  band.enrollment.verifySetupCode(band.enrollment.shownSetupCode ?? '');
  band.enrollment.startCapture();
  for (let i = 0; i < Rules.TOUCHES_REQUIRED; i++) body.touchOnce(finger);
  band.enrollment.complete({ userName, label: preset.label ?? '', hapticFeedback: preset.hapticFeedback ?? true });
  if (preset.kind === 'enrolled') {
    body.setWrist(false);
    body.setWrist(true);
  }
  if (band.state !== (preset.kind === 'enrolled' ? 'BAND_STATE_AUTHENTICATION_REQUIRED' : 'BAND_STATE_AUTHENTICATED')) {
    throw new Error(
      `preset ${preset.kind} ended in ${band.state}; the band's flash or power failed during the enrollment`,
    );
  }
}
