import { MAX_LABEL_CHARS, MAX_USER_NAME_BYTES } from '../proto/index.js';
/**
 * The band's numbers, in one place because docs/band.md explains each of them and a reviewer should
 * find them without reading the state machine. Times are band-clock milliseconds.
 */
export const Rules = {
  /** Good touches of one finger that make a template. */
  TOUCHES_REQUIRED: 6,
  /** Setup code length and the wrong entries after which the band shows a new one. */
  SETUP_CODE_LENGTH: 6,
  SETUP_CODE_TRIES: 3,
  /** Touch to match decision; a failed match shows NO MATCH this long after the touch. */
  MATCH_MS: 1_000,
  /** After a match, the ECG finds a heartbeat this much later: authenticated 3 s after the touch. */
  ECG_PASS_MS: 2_000,
  /** After a match, the ECG gives up this much later: NO ECG 13 s after the touch. */
  ECG_FAIL_MS: 12_000,
  /** How long NO MATCH / NO ECG stays up before the band asks again (or advises CENTER FINGER). */
  RESULT_SCREEN_MS: 2_000,
  /** CENTER FINGER is advised once consecutive failures exceed this. */
  CENTER_FINGER_AFTER: 3,
  /** Consecutive failed authentications that lock the band until delete user data. */
  LOCKOUT_AFTER: 10,
  /** Bottom button hold, off the wrist and on the charger, that deletes user data. */
  WIPE_HOLD_MS: 10_000,
  /** USER DATA DELETED stays up this long, then NO USER. */
  WIPED_SCREEN_MS: 2_000,
  /** FIDO2 user presence: how long the band waits for the top button, and the KEEPALIVE period meanwhile. */
  PRESENCE_TIMEOUT_MS: 30_000,
  KEEPALIVE_MS: 100,
  /**
   * Enrollment over CTAP: how long the band waits for each sample when the platform names no timeout, and the
   * longest wait it grants (a platform asking for more gets this).
   */
  CTAP_SAMPLE_TIMEOUT_MS: 30_000,
  MAX_CTAP_SAMPLE_TIMEOUT_MS: 120_000,
  /** Vibrations: enrollment done and user data deleted (always), deauthentication (haptic feedback on). */
  VIBRATE_CONFIRM: 2,
  VIBRATE_DEAUTH: 1,
  /** Bounds from band.proto. */
  MAX_USER_NAME_BYTES,
  MAX_SETUP_CODE_BYTES: 8,
  MAX_LABEL_CHARS,
} as const;
