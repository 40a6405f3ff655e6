/**
 * Administrator operations, as pure functions on a draft so several can be batched in one `Directory.update`:
 *
 *   await directory.update((d) => { disconnect(d, 'tw-user1', 'ACAK-00056'); enrollBand(d, 'tw-user2', 'ACAK-00056'); });
 *
 * Each checks its own preconditions and throws a specific DirectoryError, so a correct call never relies on the
 * final invariant check to catch it.
 *
 * Suspend only clears Is Active; it is not a lock. If the policy lets users re-enroll their own band, a user
 * re-enrolling a suspended band reactivates it. To keep a user off a band, Disconnect it.
 */
import { normalizeDeviceId, type DeviceId } from './device-id.js';
import { DirectoryError } from './errors.js';
import type { Association, DirectoryBand, DirectoryDraft, DirectoryUser, Policy } from './model.js';
import { pushRow } from './draft.js';
import { associationOfBand, findBand, findBandWithDeviceId, findUser, requireBand, requireUser } from './queries.js';
import { assertSerialNumber } from './serial-number.js';
import { assertUserName } from './user-name.js';

/** The Notes column of a band an administrator enrolled. */
export const NOTE_ADMIN_ENROLLMENT = 'Enrolled by administrator';

/** Adds a user to the directory (a directory user name, e.g. `tw-user2`). */
export function registerUser(draft: DirectoryDraft, name: string): DirectoryUser {
  assertUserName(name);
  if (findUser(draft, name)) {
    throw new DirectoryError('DUPLICATE_USER', `User ${name} is already in the directory; register each user once.`);
  }
  const user = { name, created: draft.now };
  pushRow(draft, 'users', user);
  return { ...user };
}

/** A band as an administrator registers it, read from the band (`BandClient.getInfo()`). */
export interface BandRegistration {
  /** Printed on the band's back, e.g. `AAAH-00125`. */
  serialNumber: string;
  /** `getInfo().deviceId` as it comes, or its hex. */
  deviceId: DeviceId;
  /** `getInfo().capabilities` includes `CAPABILITY_SEOS`. */
  seosEnabled: boolean;
}

/** Adds a band to the directory, unassigned. */
export function registerBand(draft: DirectoryDraft, registration: BandRegistration): DirectoryBand {
  const serialNumber = assertSerialNumber(registration.serialNumber);
  const deviceId = normalizeDeviceId(registration.deviceId);
  if (findBand(draft, serialNumber)) {
    throw new DirectoryError('DUPLICATE_BAND', `Band ${serialNumber} is already registered; register each band once.`);
  }
  const sameDevice = findBandWithDeviceId(draft, deviceId);
  if (sameDevice) {
    throw new DirectoryError(
      'DUPLICATE_BAND',
      `Device ID ${deviceId} is already registered as band ${sameDevice.serialNumber}, not ${serialNumber}; ` +
        `check the serial number printed on the band.`,
    );
  }
  if (typeof registration.seosEnabled !== 'boolean') {
    throw new DirectoryError(
      'INVALID_SEOS_FLAG',
      `Expected seosEnabled to be true or false for band ${serialNumber}, got ${JSON.stringify(registration.seosEnabled)}.`,
    );
  }
  const band = { serialNumber, deviceId, seosEnabled: registration.seosEnabled, created: draft.now };
  pushRow(draft, 'bands', band);
  return { ...band };
}

/**
 * Administrator enrollment (also Reassign, after a Disconnect): associates a registered, unheld band with a user
 * and makes it the user's active band. It becomes Primary only when the user has no primary band.
 * Re-enrolling a band the user already holds just reactivates it.
 */
export function enrollBand(
  draft: DirectoryDraft,
  userName: string,
  serialNumber: string,
  options: { notes?: string; primary?: boolean } = {},
): Association {
  requireUser(draft, userName);
  requireBand(draft, assertSerialNumber(serialNumber));
  const holder = associationOfBand(draft, serialNumber);
  if (holder && holder.userName !== userName) {
    throw new DirectoryError(
      'BAND_HELD',
      `Band ${serialNumber} is assigned to ${holder.userName}; disconnect it from ${holder.userName} first ` +
        `(in the same update if you like), then enroll it to ${userName}.`,
    );
  }
  deactivateOthers(draft, userName, serialNumber);
  let row = draft.associations.find((a) => a.userName === userName && a.serialNumber === serialNumber);
  if (!row) {
    row = {
      userName,
      serialNumber,
      isActive: true,
      isPrimary: false,
      notes: options.notes ?? NOTE_ADMIN_ENROLLMENT,
      created: draft.now,
    };
    draft.associations.push(row);
  }
  row.isActive = true;
  const hasPrimary = draft.associations.some((a) => a.userName === userName && a.isPrimary);
  if (options.primary === true || !hasPrimary) setPrimaryRow(draft, row);
  return { ...row };
}

/** Disconnect: removes the user↔band association; the band stays registered and is free for anyone. */
export function disconnect(draft: DirectoryDraft, userName: string, serialNumber: string): Association {
  const row = requireAssociation(draft, userName, serialNumber);
  draft.associations = draft.associations.filter((a) => a !== row);
  return { ...row };
}

/** Suspend: clears Is Active; the association (and Is Primary) remain. Idempotent. */
export function suspend(draft: DirectoryDraft, userName: string, serialNumber: string): Association {
  const row = requireAssociation(draft, userName, serialNumber);
  row.isActive = false;
  return { ...row };
}

/** Makes one of the user's bands the active one (undoes Suspend); the user's other active band is deactivated. */
export function activate(draft: DirectoryDraft, userName: string, serialNumber: string): Association {
  const row = requireAssociation(draft, userName, serialNumber);
  deactivateOthers(draft, userName, serialNumber);
  row.isActive = true;
  return { ...row };
}

export interface RestoreResult {
  /** The primary band, active again. */
  restored: Association;
  /** The temporary bands' associations, removed. */
  removed: Association[];
}

/**
 * Restores the original band after a temporary self-service re-enrollment: the primary band becomes active
 * again and every non-primary association of the user is removed (not merely deactivated). Those rows are the
 * temporary bands; keeping them would leave the bands assigned to this user, so a colleague could only take one
 * with the "any active band" policy or an administrator. Idempotent: restoring twice changes nothing more.
 */
export function restoreOriginalBand(draft: DirectoryDraft, userName: string): RestoreResult {
  requireUser(draft, userName);
  const primary = draft.associations.find((a) => a.userName === userName && a.isPrimary);
  if (!primary) {
    throw new DirectoryError(
      'NO_PRIMARY_BAND',
      `User ${userName} has no primary band to restore; enroll a band to the user with enrollBand instead.`,
    );
  }
  const removed = draft.associations.filter((a) => a.userName === userName && !a.isPrimary);
  draft.associations = draft.associations.filter((a) => !removed.includes(a));
  primary.isActive = true;
  return { restored: { ...primary }, removed: removed.map((a) => ({ ...a })) };
}

/** Changes the active policy's self-service settings; fields left out keep their value. */
export function setPolicy(draft: DirectoryDraft, patch: Partial<Policy>): Policy {
  for (const key of ['allowReEnrollOwnBand', 'allowReEnrollAnyActiveBand'] as const) {
    const value = patch[key];
    if (value !== undefined && typeof value !== 'boolean') {
      throw new DirectoryError(
        'INVALID_POLICY',
        `Expected policy.${key} to be true or false, got ${JSON.stringify(value)}.`,
      );
    }
  }
  const unknown = Object.keys(patch).filter((k) => k !== 'allowReEnrollOwnBand' && k !== 'allowReEnrollAnyActiveBand');
  if (unknown.length > 0) {
    throw new DirectoryError(
      'INVALID_POLICY',
      `Unknown policy setting(s) ${unknown.join(', ')}; expected allowReEnrollOwnBand and/or allowReEnrollAnyActiveBand.`,
    );
  }
  draft.policy = { ...draft.policy, ...patch };
  return { ...draft.policy };
}

function requireAssociation(draft: DirectoryDraft, userName: string, serialNumber: string): Association {
  requireUser(draft, userName);
  assertSerialNumber(serialNumber);
  const row = draft.associations.find((a) => a.userName === userName && a.serialNumber === serialNumber);
  if (!row) {
    const holder = associationOfBand(draft, serialNumber);
    const where = holder ? `it is assigned to ${holder.userName}` : 'it is assigned to nobody';
    throw new DirectoryError(
      'NOT_ASSOCIATED',
      `Expected band ${serialNumber} to be associated with ${userName}, but ${where}; check the User Properties.`,
    );
  }
  return row;
}

function deactivateOthers(draft: DirectoryDraft, userName: string, keep: string): void {
  for (const a of draft.associations) if (a.userName === userName && a.serialNumber !== keep) a.isActive = false;
}

function setPrimaryRow(draft: DirectoryDraft, row: Association): void {
  for (const a of draft.associations) if (a.userName === row.userName) a.isPrimary = a === row;
}

/**
 * The administrator's operations on the enterprise directory, each a pure function on a draft so several can be
 * batched atomically in one `Directory.update`:
 *
 * ```ts
 * await directory.update((d) => {
 *   DirectoryAdmin.registerUser(d, 'tw-user2');
 *   DirectoryAdmin.registerBand(d, { serialNumber: info.serialNumber, deviceId: info.deviceId, seosEnabled: false });
 *   DirectoryAdmin.enrollBand(d, 'tw-user2', info.serialNumber);
 *   DirectoryAdmin.setPolicy(d, { allowReEnrollOwnBand: true });
 * });
 * ```
 */
export const DirectoryAdmin = {
  /** Adds a user (a directory user name, e.g. `tw-user2`). */
  registerUser,
  /** Adds a band, unassigned: its serial number, its device ID as `getInfo()` reports it, SEOS or not. */
  registerBand,
  /** Assigns a registered, unheld band to a user and makes it their active band (primary if they have none). */
  enrollBand,
  /** Removes a user↔band association; the band stays registered and free for anyone. */
  disconnect,
  /** Clears Is Active; the association and Is Primary stay. */
  suspend,
  /** Makes one of the user's bands the active one (undoes suspend). */
  activate,
  /** After a temporary self-service re-enrollment: the primary band active again, the others removed. */
  restoreOriginalBand,
  /** Changes the self-service settings of the active policy; fields left out keep their value. */
  setPolicy,
} as const;
