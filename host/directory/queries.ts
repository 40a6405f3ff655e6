import { indexFor } from './committed-directory.js';
import { DirectoryError } from './errors.js';
import type { Association, DirectoryBand, DirectorySnapshot, DirectoryUser } from './model.js';

// Queries on a directory's current snapshot, or on a table a draft has not read as an array, use the directory's
// indexes (with the draft's changes so far); on an older snapshot or a table a transaction read they search the rows.

export function findUser(view: DirectorySnapshot, name: string): Readonly<DirectoryUser> | undefined {
  const index = indexFor(view, 'users');
  if (index !== undefined) return index.user(name);
  return view.users.find((u) => u.name === name);
}

export function findBand(view: DirectorySnapshot, serialNumber: string): Readonly<DirectoryBand> | undefined {
  const index = indexFor(view, 'bands');
  if (index !== undefined) return index.band(serialNumber);
  return view.bands.find((b) => b.serialNumber === serialNumber);
}

/** The band with this device ID (lower-case hex), if the directory has one. */
export function findBandWithDeviceId(view: DirectorySnapshot, deviceId: string): Readonly<DirectoryBand> | undefined {
  const index = indexFor(view, 'bands');
  if (index !== undefined) return index.bandWithDeviceId(deviceId);
  return view.bands.find((b) => b.deviceId === deviceId);
}

export function requireUser(view: DirectorySnapshot, name: string): Readonly<DirectoryUser> {
  const user = findUser(view, name);
  if (!user) {
    throw new DirectoryError(
      'UNKNOWN_USER',
      `Expected a directory user named ${JSON.stringify(name)}, but the directory has none; ` +
        `register the user first or check the spelling.`,
    );
  }
  return user;
}

export function requireBand(view: DirectorySnapshot, serialNumber: string): Readonly<DirectoryBand> {
  const band = findBand(view, serialNumber);
  if (!band) {
    throw new DirectoryError(
      'UNKNOWN_BAND',
      `Expected band ${serialNumber} to be registered in the directory, but it is not; register the band first.`,
    );
  }
  return band;
}

export function associationsOf(view: DirectorySnapshot, userName: string): readonly Readonly<Association>[] {
  const index = indexFor(view, 'associations');
  if (index !== undefined) return index.associationsOf({ userName });
  return view.associations.filter((a) => a.userName === userName);
}

/** The association holding a band, whoever holds it (a band belongs to at most one user). */
export function associationOfBand(view: DirectorySnapshot, serialNumber: string): Readonly<Association> | undefined {
  const index = indexFor(view, 'associations');
  if (index !== undefined) return index.associationsOf({ serialNumber })[0];
  return view.associations.find((a) => a.serialNumber === serialNumber);
}

/** The associations of a user or of a band, in the view's order. */
export function associationsOfUserOrBand(
  view: DirectorySnapshot,
  userName: string,
  serialNumber: string,
): readonly Readonly<Association>[] {
  const index = indexFor(view, 'associations');
  if (index !== undefined) return index.associationsOf({ userName, serialNumber });
  return view.associations.filter((a) => a.userName === userName || a.serialNumber === serialNumber);
}

export function activeAssociationOf(view: DirectorySnapshot, userName: string): Readonly<Association> | undefined {
  return associationsOf(view, userName).find((a) => a.isActive);
}

export function primaryAssociationOf(view: DirectorySnapshot, userName: string): Readonly<Association> | undefined {
  return associationsOf(view, userName).find((a) => a.isPrimary);
}
