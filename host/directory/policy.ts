import type { DirectorySnapshot, Policy } from './model.js';
import { associationOfBand, associationsOf, findBand, requireUser } from './queries.js';
import { assertSerialNumber } from './serial-number.js';

/** The NES administrator console's wording for each self-service setting. */
export const POLICY_SETTING_LABELS: Readonly<Record<keyof Policy, string>> = Object.freeze({
  allowReEnrollOwnBand: 'Allow a user to re-enroll / re-register their Nymi Band',
  allowReEnrollAnyActiveBand: 'Allow a user to re-enroll any active Nymi Band',
});

/** The vendor's exact wording, shown whenever the band in question is assigned to another user. */
export const REFUSAL_BAND_OF_OTHER_USER =
  'Cannot perform re-enrollment because the NES policy settings do not allow re-enrollment of a Nymi Band that is assigned to another user.';

/**
 * Our wording for the case the vendor text does not cover: the band is the user's own or nobody's, but neither
 * self-service option is on. Phrased like the vendor's sentence so the two read as one family, and it names the
 * way forward because the user cannot change the policy themselves.
 */
export const REFUSAL_SELF_SERVICE_DISABLED =
  'Cannot perform re-enrollment because the NES policy settings do not allow self-service re-enrollment. An administrator must re-enroll the Nymi Band.';

/**
 * - `first-enrollment`: the user holds no band yet and the band is nobody's. That is an ordinary enrollment, not a
 *   re-enrollment, so the self-service settings do not gate it (otherwise the default policy, with both settings
 *   off, would stop every new user from enrolling). It is also the administrator-assisted path: once an
 *   administrator has disconnected a user's bands, the user enrolls again on their own.
 * - `own-band`: the band is already associated with this user (active or not).
 * - `unheld-band`: the user holds some band, and this band is nobody's (or not yet registered).
 * - `other-users-band`: another user holds the band; `previousHolder` names them.
 */
export type ReEnrollmentKind = 'first-enrollment' | 'own-band' | 'unheld-band' | 'other-users-band';

export type RefusalCode = 'SELF_SERVICE_DISABLED' | 'OTHER_USERS_BAND_NOT_ALLOWED' | 'SEOS_BAND_OF_OTHER_USER';

export interface ReEnrollmentAllowed {
  allowed: true;
  kind: ReEnrollmentKind;
  /** Only for `other-users-band`: whose association the re-enrollment removes. */
  previousHolder?: string;
}

export interface ReEnrollmentRefused {
  allowed: false;
  code: RefusalCode;
  /** The text the user sees. */
  reason: string;
  /** What has to happen instead, for the operator or the log. */
  remedy: string;
}

export type ReEnrollmentDecision = ReEnrollmentAllowed | ReEnrollmentRefused;

/**
 * May `userName` enroll, without an administrator, to the band `bandSerial`? Pure: reads only the view.
 *
 * Policy reading (docs/domain.md, "The self-service re-enrollment policy"):
 * - "re-enroll their own band" (allowReEnrollOwnBand) permits the own band and a band no other user holds.
 * - "re-enroll any active band" (allowReEnrollAnyActiveBand) additionally permits a band another user holds.
 *   We read it as a superset: on its own it also permits the own and unheld cases, since it would be perverse to
 *   let a user take a colleague's band but not re-enroll their own.
 * - "Another user holds it" means any association with another user, active or not: an inactive primary band left
 *   behind by a self-service move is still assigned to that user.
 * - An SEOS-enabled band held by another user is never self-service, whatever the policy; the code says so (the
 *   user-facing text is still the vendor's sentence) because no policy change can help, only a Disconnect.
 *
 * @throws DirectoryError 'INVALID_SERIAL' for a malformed serial, 'UNKNOWN_USER' for a user the directory lacks:
 *   those are caller errors, not policy outcomes.
 */
export function decideReEnrollment(
  view: DirectorySnapshot,
  userName: string,
  bandSerial: string,
): ReEnrollmentDecision {
  assertSerialNumber(bandSerial);
  requireUser(view, userName);
  const { allowReEnrollOwnBand: own, allowReEnrollAnyActiveBand: any } = view.policy;
  const holder = associationOfBand(view, bandSerial);

  if (holder && holder.userName !== userName) {
    if (findBand(view, bandSerial)?.seosEnabled) {
      return {
        allowed: false,
        code: 'SEOS_BAND_OF_OTHER_USER',
        reason: REFUSAL_BAND_OF_OTHER_USER,
        remedy:
          `Band ${bandSerial} carries an HID SEOS credential and is assigned to ${holder.userName}; SEOS bands are ` +
          `never re-enrolled self-service. An administrator must disconnect it from ${holder.userName} first.`,
      };
    }
    if (!any) {
      return {
        allowed: false,
        code: 'OTHER_USERS_BAND_NOT_ALLOWED',
        reason: REFUSAL_BAND_OF_OTHER_USER,
        remedy:
          `Band ${bandSerial} is assigned to ${holder.userName}. An administrator must disconnect it first, or turn on ` +
          `"Allow a user to re-enroll any active Nymi Band" in the NES active policy.`,
      };
    }
    return { allowed: true, kind: 'other-users-band', previousHolder: holder.userName };
  }

  if (holder) return own || any ? { allowed: true, kind: 'own-band' } : disabled(bandSerial);
  if (associationsOf(view, userName).length === 0) return { allowed: true, kind: 'first-enrollment' };
  return own || any ? { allowed: true, kind: 'unheld-band' } : disabled(bandSerial);
}

function disabled(bandSerial: string): ReEnrollmentRefused {
  return {
    allowed: false,
    code: 'SELF_SERVICE_DISABLED',
    reason: REFUSAL_SELF_SERVICE_DISABLED,
    remedy:
      `Self-service re-enrollment is off in the NES active policy. An administrator must enroll band ${bandSerial}, ` +
      `or turn on "Allow a user to re-enroll / re-register their Nymi Band".`,
  };
}
