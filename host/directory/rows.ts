import { isCanonicalDeviceId } from './device-id.js';
import { isIsoTimestamp } from './invariants.js';
import type { Association, DirectoryBand, DirectoryState, DirectoryUser } from './model.js';
import { isSerialNumber } from './serial-number.js';
import { isUserName } from './user-name.js';

/** The three tables of a directory. */
export type Table = 'users' | 'bands' | 'associations';
export const TABLES: readonly Table[] = ['users', 'bands', 'associations'];

/** What the commit needs to know about the rows of one table: their key, equality, shape, and how to copy them. */
export interface RowKind<T> {
  readonly keyOf: (row: T) => string;
  /** Every persisted field, keys included: equal to a committed (valid) row means valid too. */
  readonly equal: (a: T, b: T) => boolean;
  readonly wellFormed: (row: Record<string, unknown>) => boolean;
  /** A frozen copy holding only the persisted fields. */
  readonly freeze: (row: T) => T;
  /** A plain mutable copy holding only the persisted fields. */
  readonly copy: (row: T) => T;
}

export function associationKey(a: Pick<Association, 'userName' | 'serialNumber'>): string {
  return `${a.userName}\u0000${a.serialNumber}`;
}

// Field by field: only the persisted fields are kept, and a literal copies much faster than a spread.
const copyUser = (u: DirectoryUser): DirectoryUser => ({ name: u.name, created: u.created });
const copyBand = (b: DirectoryBand): DirectoryBand => ({
  serialNumber: b.serialNumber,
  deviceId: b.deviceId,
  seosEnabled: b.seosEnabled,
  created: b.created,
});
const copyAssociation = (a: Association): Association => ({
  userName: a.userName,
  serialNumber: a.serialNumber,
  isActive: a.isActive,
  isPrimary: a.isPrimary,
  notes: a.notes,
  created: a.created,
});

export const USER_ROWS: RowKind<DirectoryUser> = {
  keyOf: (u) => u.name,
  equal: (a, b) => a.name === b.name && a.created === b.created,
  wellFormed: (u) => isUserName(u.name) && isIsoTimestamp(u.created),
  freeze: (u) => Object.freeze(copyUser(u)),
  copy: copyUser,
};

export const BAND_ROWS: RowKind<DirectoryBand> = {
  keyOf: (b) => b.serialNumber,
  equal: (a, b) =>
    a.serialNumber === b.serialNumber &&
    a.deviceId === b.deviceId &&
    a.seosEnabled === b.seosEnabled &&
    a.created === b.created,
  wellFormed: (b) =>
    isSerialNumber(b.serialNumber) &&
    isCanonicalDeviceId(b.deviceId) &&
    typeof b.seosEnabled === 'boolean' &&
    isIsoTimestamp(b.created),
  freeze: (b) => Object.freeze(copyBand(b)),
  copy: copyBand,
};

export const ASSOCIATION_ROWS: RowKind<Association> = {
  keyOf: associationKey,
  equal: (a, b) =>
    a.userName === b.userName &&
    a.serialNumber === b.serialNumber &&
    a.isActive === b.isActive &&
    a.isPrimary === b.isPrimary &&
    a.notes === b.notes &&
    a.created === b.created,
  wellFormed: (a) =>
    isUserName(a.userName) &&
    isSerialNumber(a.serialNumber) &&
    typeof a.isActive === 'boolean' &&
    typeof a.isPrimary === 'boolean' &&
    typeof a.notes === 'string' &&
    isIsoTimestamp(a.created),
  freeze: (a) => Object.freeze(copyAssociation(a)),
  copy: copyAssociation,
};

/** The row kind of each table. */
export const ROWS: { readonly [K in Table]: RowKind<DirectoryState[K][number]> } = {
  users: USER_ROWS,
  bands: BAND_ROWS,
  associations: ASSOCIATION_ROWS,
};
