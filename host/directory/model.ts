/**
 * The enterprise server's data, as plain JSON-able records. The directory stores only user names and band
 * information; biometrics never leave the band and FIDO2 credentials belong to the relying parties.
 */

export interface DirectoryUser {
  /** Directory user name, e.g. `tw-user2`. */
  name: string;
  /** ISO-8601 UTC, from the directory's injected clock. */
  created: string;
}

/** A band the enterprise knows (one row of its band table), whoever holds it. */
export interface DirectoryBand {
  /** Printed on the band's back: four letters, a dash, five digits (`AAAH-00125`). */
  serialNumber: string;
  /** Lower-case hex as read from the band during enrollment. */
  deviceId: string;
  /** The band carries an HID SEOS access credential: self-service may never take it from another user. */
  seosEnabled: boolean;
  created: string;
}

/** One row of the User Properties window: a user↔band link. */
export interface Association {
  userName: string;
  serialNumber: string;
  isActive: boolean;
  isPrimary: boolean;
  notes: string;
  created: string;
}

/** The NES active policy's Enrollment / Registration settings that govern self-service. */
export interface Policy {
  /** "Allow a user to re-enroll / re-register their Nymi Band". */
  allowReEnrollOwnBand: boolean;
  /** "Allow a user to re-enroll any active Nymi Band". */
  allowReEnrollAnyActiveBand: boolean;
}

export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze({
  allowReEnrollOwnBand: false,
  allowReEnrollAnyActiveBand: false,
});

export interface DirectoryState {
  users: DirectoryUser[];
  bands: DirectoryBand[];
  associations: Association[];
  policy: Policy;
}

/**
 * What an `update` callback mutates. `now` is read once per transaction so every row a batch creates carries
 * the same Created time, and so pure draft functions never need a clock of their own.
 */
export interface DirectoryDraft extends DirectoryState {
  readonly now: string;
}

/** A consistent read-only view. A draft is also a view, so queries and the policy work on either. */
export interface DirectorySnapshot {
  readonly users: readonly Readonly<DirectoryUser>[];
  readonly bands: readonly Readonly<DirectoryBand>[];
  readonly associations: readonly Readonly<Association>[];
  readonly policy: Readonly<Policy>;
}

export function emptyDirectoryState(): DirectoryState {
  return { users: [], bands: [], associations: [], policy: { ...DEFAULT_POLICY } };
}

/** A deep, detached copy holding only the persisted fields (drops a draft's `now`). */
export function copyDirectoryState(view: DirectorySnapshot): DirectoryState {
  return structuredClone({
    users: view.users,
    bands: view.bands,
    associations: view.associations,
    policy: view.policy,
  }) as DirectoryState;
}
