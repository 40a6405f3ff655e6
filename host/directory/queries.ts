import { DirectoryError } from './errors.js';
import type { Association, DirectoryBand, DirectorySnapshot, DirectoryUser } from './model.js';

export function findUser(view: DirectorySnapshot, name: string): Readonly<DirectoryUser> | undefined {
  return view.users.find((u) => u.name === name);
}

export function findBand(view: DirectorySnapshot, serialNumber: string): Readonly<DirectoryBand> | undefined {
  return view.bands.find((b) => b.serialNumber === serialNumber);
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
  return view.associations.filter((a) => a.userName === userName);
}

/** The association holding a band, whoever holds it (a band belongs to at most one user). */
export function associationOfBand(view: DirectorySnapshot, serialNumber: string): Readonly<Association> | undefined {
  return view.associations.find((a) => a.serialNumber === serialNumber);
}

export function activeAssociationOf(view: DirectorySnapshot, userName: string): Readonly<Association> | undefined {
  return view.associations.find((a) => a.userName === userName && a.isActive);
}

export function primaryAssociationOf(view: DirectorySnapshot, userName: string): Readonly<Association> | undefined {
  return view.associations.find((a) => a.userName === userName && a.isPrimary);
}
