import { isCanonicalDeviceId } from './device-id.js';
import { DirectoryError, type InvariantRule } from './errors.js';
import { assertInvariants, isIsoTimestamp } from './invariants.js';
import type {
  Association,
  DirectoryBand,
  DirectoryDraft,
  DirectorySnapshot,
  DirectoryState,
  DirectoryUser,
} from './model.js';
import { isSerialNumber } from './serial-number.js';
import { isUserName } from './user-name.js';

/**
 * The directory as committed, kept in place: a deeply frozen view (so `snapshot()` hands it out without a copy and
 * an old snapshot stays valid after later commits) and indexes by key, updated in place with each commit's changes.
 *
 * A transaction works on a scratch draft (`openDraft`: plain copies of the rows, the one O(rows) step, field copies
 * only). `prepare` compares the draft with the committed rows, keeps the unchanged frozen rows as they are, and
 * checks the invariants on what changed only: the changed rows' fields, their keys against the indexes, and the
 * per-band and per-user counts of the bands and users a changed association touches. A violation found that way
 * is reported by the full check (`assertInvariants`) on the draft, so the message is the same as for a loaded file.
 */
export class CommittedDirectory {
  #view: DirectorySnapshot;
  readonly #users = new Map<string, DirectoryUser>();
  readonly #bands = new Map<string, DirectoryBand>();
  /** deviceId -> serial number */
  readonly #deviceIds = new Map<string, string>();
  /** associationKey -> row */
  readonly #associations = new Map<string, Association>();
  /** serial number -> association keys; user name -> association keys */
  readonly #bySerial = new Map<string, Set<string>>();
  readonly #byUser = new Map<string, Set<string>>();

  /** Checks a whole state (a loaded file, an initial value) against every invariant and takes a frozen copy. */
  constructor(state: DirectoryState) {
    assertInvariants(state);
    const users = state.users.map(freezeUser);
    const bands = state.bands.map(freezeBand);
    const associations = state.associations.map(freezeAssociation);
    this.#view = freezeView(users, bands, associations, state.policy);
    for (const u of users) this.#users.set(u.name, u);
    for (const b of bands) this.#addBand(b);
    for (const a of associations) this.#addAssociation(associationKey(a), a);
    indexes.set(this.#view, this);
  }

  /** Deeply frozen; never changes (a commit makes a new view). */
  get view(): DirectorySnapshot {
    return this.#view;
  }

  /**
   * A scratch copy for one transaction: the caller may mutate anything in it. Each table is copied when the
   * transaction first touches it (reads or assigns `draft.users`, ...): a table it never touches is still the
   * committed one, so it is neither copied nor compared, and queries about it use the indexes (`indexFor`).
   */
  openDraft(now: string): DirectoryDraft {
    const v = this.#view;
    const untouched = new Set<Table>(TABLES);
    const tables: Partial<Pick<DirectoryState, Table>> = {};
    const copies: { [K in Table]: () => DirectoryState[K] } = {
      users: () => v.users.map((u) => ({ name: u.name, created: u.created })),
      bands: () =>
        v.bands.map((b) => ({
          serialNumber: b.serialNumber,
          deviceId: b.deviceId,
          seosEnabled: b.seosEnabled,
          created: b.created,
        })),
      associations: () =>
        v.associations.map((a) => ({
          userName: a.userName,
          serialNumber: a.serialNumber,
          isActive: a.isActive,
          isPrimary: a.isPrimary,
          notes: a.notes,
          created: a.created,
        })),
    };
    // The tables first, as in a state (the order JSON and test matchers see).
    const draft = {
      users: [],
      bands: [],
      associations: [],
      policy: {
        allowReEnrollOwnBand: v.policy.allowReEnrollOwnBand,
        allowReEnrollAnyActiveBand: v.policy.allowReEnrollAnyActiveBand,
      },
      now,
    } as DirectoryDraft;
    for (const table of TABLES) {
      Object.defineProperty(draft, table, {
        enumerable: true,
        configurable: true,
        get: () => {
          if (untouched.delete(table)) (tables as Record<Table, unknown>)[table] = copies[table]();
          return tables[table];
        },
        set: (value: unknown) => {
          untouched.delete(table);
          (tables as Record<Table, unknown>)[table] = value;
        },
      });
    }
    drafts.set(draft, { committed: this, view: v, untouched });
    return draft;
  }

  /**
   * Checks `draft` against the invariants, on what changed, and returns the commit without applying it (so a
   * failed write to storage leaves this object as it was).
   * @throws DirectoryError 'INVARIANT' naming the first broken rule.
   */
  prepare(draft: DirectoryDraft): PreparedCommit {
    const d = draft as unknown as Record<string, unknown>;
    const v = this.#view;
    // Tables of a draft opened here (and nothing committed since) that the transaction never touched.
    const base = drafts.get(draft);
    const untouched = base?.committed === this && base.view === v ? base.untouched : new Set<Table>();
    const touched = (table: Table) => !untouched.has(table);
    if (TABLES.some((table) => touched(table) && !Array.isArray(d[table])) || !isPolicy(d.policy)) {
      return reject(draft, 'well-formed');
    }
    const users = touched('users')
      ? scan(d.users as unknown[], v.users, this.#users, userKey, sameUser, isWellFormedUser, freezeUser)
      : unchanged(v.users, this.#users);
    const bands = touched('bands')
      ? scan(d.bands as unknown[], v.bands, this.#bands, bandKey, sameBand, isWellFormedBand, freezeBand)
      : unchanged(v.bands, this.#bands);
    const associations = touched('associations')
      ? scan(
          d.associations as unknown[],
          v.associations,
          this.#associations,
          associationKey,
          sameAssociation,
          isWellFormedAssociation,
          freezeAssociation,
        )
      : unchanged(v.associations, this.#associations);
    if (users.malformed || bands.malformed || associations.malformed) return reject(draft, 'well-formed');
    if (users.duplicate) return reject(draft, 'unique-user-name');
    if (bands.duplicate) return reject(draft, 'unique-serial-number');
    const rule =
      this.#deviceIdRule(bands) ?? this.#referenceRule(users, bands, associations) ?? this.#countRule(associations);
    if (rule) return reject(draft, rule);

    const policy = draft.policy;
    const samePolicy =
      policy.allowReEnrollOwnBand === this.#view.policy.allowReEnrollOwnBand &&
      policy.allowReEnrollAnyActiveBand === this.#view.policy.allowReEnrollAnyActiveBand;
    const view =
      users.same && bands.same && associations.same && samePolicy
        ? this.#view
        : freezeView(
            users.same ? v.users : users.next,
            bands.same ? v.bands : bands.next,
            associations.same ? v.associations : associations.next,
            samePolicy ? v.policy : policy,
          );
    return {
      view,
      unchanged: view === this.#view,
      apply: () => {
        for (const key of users.removed) this.#users.delete(key);
        for (const u of users.changed) this.#users.set(u.name, u);
        for (const key of bands.removed) this.#removeBand(key);
        for (const b of bands.changed) {
          this.#removeBand(b.serialNumber);
          this.#addBand(b);
        }
        for (const key of associations.removed) this.#removeAssociation(key);
        for (const a of associations.changed) {
          const key = associationKey(a);
          this.#removeAssociation(key);
          this.#addAssociation(key, a);
        }
        this.#view = view;
        indexes.set(view, this);
      },
    };
  }

  /** The user named `name` in the current view. */
  user(name: string): DirectoryUser | undefined {
    return this.#users.get(name);
  }

  /** The band with this serial number in the current view. */
  band(serialNumber: string): DirectoryBand | undefined {
    return this.#bands.get(serialNumber);
  }

  /** The current view's associations of a user, of a band, or of either (both given), in the view's order. */
  associationsOf(of: { userName?: string; serialNumber?: string }): Association[] {
    const keys = new Set<string>();
    if (of.userName !== undefined) for (const key of this.#byUser.get(of.userName) ?? []) keys.add(key);
    if (of.serialNumber !== undefined) for (const key of this.#bySerial.get(of.serialNumber) ?? []) keys.add(key);
    const rows = [...keys].map((key) => this.#associations.get(key)!);
    if (rows.length < 2) return rows;
    // The same row objects as the view's: their positions there give its order (a native identity search).
    const at = new Map(rows.map((row) => [row, this.#view.associations.indexOf(row)]));
    return rows.sort((a, b) => at.get(a)! - at.get(b)!);
  }

  /** A changed band's device ID must not be another remaining band's. */
  #deviceIdRule(bands: Scan<DirectoryBand>): InvariantRule | undefined {
    if (bands.changed.length === 0) return undefined;
    const changedSerials = new Set(bands.changed.map((b) => b.serialNumber));
    const claimed = new Map<string, string>();
    for (const b of bands.changed) {
      if (claimed.has(b.deviceId)) return 'unique-device-id';
      claimed.set(b.deviceId, b.serialNumber);
      const holder = this.#deviceIds.get(b.deviceId);
      if (holder !== undefined && holder !== b.serialNumber && bands.has(holder) && !changedSerials.has(holder))
        return 'unique-device-id';
    }
    return undefined;
  }

  /** Changed associations name present users and bands; removed users and bands leave no association behind. */
  #referenceRule(
    users: Scan<DirectoryUser>,
    bands: Scan<DirectoryBand>,
    associations: Scan<Association>,
  ): InvariantRule | undefined {
    for (const a of associations.changed) {
      if (!users.has(a.userName) || !bands.has(a.serialNumber)) return 'association-references';
    }
    const remains = (keys: Set<string> | undefined) => [...(keys ?? [])].some((key) => associations.has(key));
    for (const name of users.removed) if (remains(this.#byUser.get(name))) return 'association-references';
    for (const serial of bands.removed) if (remains(this.#bySerial.get(serial))) return 'association-references';
    return undefined;
  }

  /** One user per band, one active and one primary band per user: counted for the bands and users touched. */
  #countRule(associations: Scan<Association>): InvariantRule | undefined {
    if (associations.duplicate) return 'band-single-user';
    if (associations.changed.length === 0) return undefined;
    const changedByKey = new Map(associations.changed.map((a) => [associationKey(a), a]));
    const rowsOf = (index: Map<string, Set<string>>, name: string, pick: (a: Association) => string) => {
      const rows: Association[] = [];
      for (const key of index.get(name) ?? []) {
        if (!associations.has(key)) continue;
        rows.push(changedByKey.get(key) ?? this.#associations.get(key)!);
      }
      for (const [key, a] of changedByKey) if (pick(a) === name && !this.#associations.has(key)) rows.push(a);
      return rows;
    };
    for (const serial of new Set(associations.changed.map((a) => a.serialNumber))) {
      if (rowsOf(this.#bySerial, serial, (a) => a.serialNumber).length > 1) return 'band-single-user';
    }
    for (const user of new Set(associations.changed.map((a) => a.userName))) {
      const rows = rowsOf(this.#byUser, user, (a) => a.userName);
      if (rows.filter((a) => a.isActive).length > 1) return 'user-single-active';
      if (rows.filter((a) => a.isPrimary).length > 1) return 'user-single-primary';
    }
    return undefined;
  }

  #addBand(b: DirectoryBand): void {
    this.#bands.set(b.serialNumber, b);
    this.#deviceIds.set(b.deviceId, b.serialNumber);
  }

  #removeBand(serial: string): void {
    const old = this.#bands.get(serial);
    if (!old) return;
    this.#bands.delete(serial);
    if (this.#deviceIds.get(old.deviceId) === serial) this.#deviceIds.delete(old.deviceId);
  }

  #addAssociation(key: string, a: Association): void {
    this.#associations.set(key, a);
    addTo(this.#bySerial, a.serialNumber, key);
    addTo(this.#byUser, a.userName, key);
  }

  #removeAssociation(key: string): void {
    const old = this.#associations.get(key);
    if (!old) return;
    this.#associations.delete(key);
    removeFrom(this.#bySerial, old.serialNumber, key);
    removeFrom(this.#byUser, old.userName, key);
  }
}

/**
 * Each committed directory, by the view it holds: queries about a view that is still a directory's current one
 * use its indexes (`indexFor`); an older snapshot, or a draft, is searched row by row.
 */
const indexes = new WeakMap<DirectorySnapshot, CommittedDirectory>();

type Table = 'users' | 'bands' | 'associations';
const TABLES: readonly Table[] = ['users', 'bands', 'associations'];

/** A draft's origin: the directory and view it was opened from, and the tables it has not touched yet. */
const drafts = new WeakMap<object, { committed: CommittedDirectory; view: DirectorySnapshot; untouched: Set<Table> }>();

/**
 * Key lookups that answer for `table` of `view`: the indexes of the committed directory whose current view it is,
 * or from which it is a draft that has not touched `table` (so that table is still the committed one).
 */
export function indexFor(view: DirectorySnapshot, table: Table): CommittedDirectory | undefined {
  const committed = indexes.get(view);
  if (committed !== undefined) return committed.view === view ? committed : undefined;
  const draft = drafts.get(view);
  return draft !== undefined && draft.untouched.has(table) && draft.committed.view === draft.view
    ? draft.committed
    : undefined;
}

export interface PreparedCommit {
  /** The directory after the commit. */
  readonly view: DirectorySnapshot;
  /** The draft changed nothing: there is nothing to store. */
  readonly unchanged: boolean;
  /** Makes `view` the committed state (call once storage has it). */
  apply(): void;
}

interface Scan<T> {
  /** The rows of the next state, the unchanged ones being the committed frozen objects. */
  next: T[];
  /** New or modified rows (frozen copies). */
  changed: T[];
  /** Keys of committed rows the draft no longer has. */
  removed: string[];
  /** Is a row with this key in the next state? */
  has(key: string): boolean;
  /** Every row matched its committed row by position: `next` is the committed table. */
  same: boolean;
  duplicate: boolean;
  malformed: boolean;
}

/**
 * Compares a draft table with the committed one. Rows are matched by position first (a draft starts as a copy in
 * the same order, and the operations push, edit in place or filter out), skipping one committed row where one
 * was removed; only the rows left over are matched by key. So an update that touches a few rows costs a field
 * comparison per row and key work for those few, and no key strings are built for the rest.
 */
function scan<T extends object>(
  rows: readonly unknown[],
  committed: readonly T[],
  index: ReadonlyMap<string, T>,
  keyOf: (row: T) => string,
  equal: (row: T, committed: T) => boolean,
  wellFormed: (row: Record<string, unknown>) => boolean,
  freeze: (row: T) => T,
): Scan<T> {
  const next: T[] = [];
  const others: { at: number; row: T }[] = [];
  /** Committed rows not matched by position, by key. */
  const unmatched = new Map<string, T>();
  let malformed = false;
  let j = 0;
  for (const raw of rows) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      malformed = true;
      continue;
    }
    const row = raw as T;
    if (j < committed.length && equal(row, committed[j])) {
      next.push(committed[j++]);
    } else if (j + 1 < committed.length && equal(row, committed[j + 1])) {
      unmatched.set(keyOf(committed[j]), committed[j]);
      next.push(committed[j + 1]);
      j += 2;
    } else {
      others.push({ at: next.length, row });
      next.push(row);
    }
  }
  for (; j < committed.length; j++) unmatched.set(keyOf(committed[j]), committed[j]);

  const changed: T[] = [];
  const otherKeys = new Set<string>();
  let duplicate = false;
  for (const { at, row } of others) {
    if (!wellFormed(row as Record<string, unknown>)) {
      malformed = true;
      continue;
    }
    const key = keyOf(row);
    // The same key twice among the new rows, or a new row with the key of a committed row still in place.
    if (otherKeys.has(key) || (index.has(key) && !unmatched.has(key))) duplicate = true;
    otherKeys.add(key);
    const was = unmatched.get(key);
    if (was !== undefined && equal(row, was)) {
      next[at] = was;
    } else {
      next[at] = freeze(row);
      changed.push(next[at]);
    }
  }
  const removed = [...unmatched.keys()].filter((key) => !otherKeys.has(key));
  const gone = new Set(removed);
  return {
    next,
    changed,
    removed,
    has: (key) => otherKeys.has(key) || (index.has(key) && !gone.has(key)),
    same: others.length === 0 && unmatched.size === 0,
    duplicate,
    malformed,
  };
}

/** A table the transaction never touched: the committed rows, as they are. */
function unchanged<T>(committed: readonly T[], index: ReadonlyMap<string, T>): Scan<T> {
  return {
    next: committed as T[],
    changed: [],
    removed: [],
    has: (key) => index.has(key),
    same: true,
    duplicate: false,
    malformed: false,
  };
}

/** Reports a violation the incremental checks found, with the full check's wording. */
function reject(draft: DirectoryDraft, rule: InvariantRule): never {
  assertInvariants({
    users: draft.users,
    bands: draft.bands,
    associations: draft.associations,
    policy: draft.policy,
  });
  // The full check found nothing: the incremental one disagrees with it, which is a bug in this file.
  throw new DirectoryError(
    'INVARIANT',
    `Directory rule "${rule}" would be broken (found by the incremental check only). Nothing was written.`,
    { rule },
  );
}

export function associationKey(a: Pick<Association, 'userName' | 'serialNumber'>): string {
  return `${a.userName}\u0000${a.serialNumber}`;
}
const userKey = (u: DirectoryUser) => u.name;
const bandKey = (b: DirectoryBand) => b.serialNumber;

// Every persisted field, keys included: equal to a committed (valid) row means valid too.
const sameUser = (a: DirectoryUser, b: DirectoryUser) => a.name === b.name && a.created === b.created;
const sameBand = (a: DirectoryBand, b: DirectoryBand) =>
  a.serialNumber === b.serialNumber &&
  a.deviceId === b.deviceId &&
  a.seosEnabled === b.seosEnabled &&
  a.created === b.created;
const sameAssociation = (a: Association, b: Association) =>
  a.userName === b.userName &&
  a.serialNumber === b.serialNumber &&
  a.isActive === b.isActive &&
  a.isPrimary === b.isPrimary &&
  a.notes === b.notes &&
  a.created === b.created;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
const isWellFormedUser = (u: Record<string, unknown>) => isUserName(u.name) && isIsoTimestamp(u.created);
const isWellFormedBand = (b: Record<string, unknown>) =>
  isSerialNumber(b.serialNumber) &&
  isCanonicalDeviceId(b.deviceId) &&
  typeof b.seosEnabled === 'boolean' &&
  isIsoTimestamp(b.created);
const isWellFormedAssociation = (a: Record<string, unknown>) =>
  isUserName(a.userName) &&
  isSerialNumber(a.serialNumber) &&
  typeof a.isActive === 'boolean' &&
  typeof a.isPrimary === 'boolean' &&
  typeof a.notes === 'string' &&
  isIsoTimestamp(a.created);
const isPolicy = (p: unknown) =>
  isRecord(p) && typeof p.allowReEnrollOwnBand === 'boolean' && typeof p.allowReEnrollAnyActiveBand === 'boolean';

// Field by field: only the persisted fields are kept, and a literal copies much faster than a spread.
const freezeUser = (u: DirectoryUser): DirectoryUser => Object.freeze({ name: u.name, created: u.created });
const freezeBand = (b: DirectoryBand): DirectoryBand =>
  Object.freeze({ serialNumber: b.serialNumber, deviceId: b.deviceId, seosEnabled: b.seosEnabled, created: b.created });
const freezeAssociation = (a: Association): Association =>
  Object.freeze({
    userName: a.userName,
    serialNumber: a.serialNumber,
    isActive: a.isActive,
    isPrimary: a.isPrimary,
    notes: a.notes,
    created: a.created,
  });

function freezeView(
  users: readonly DirectoryUser[],
  bands: readonly DirectoryBand[],
  associations: readonly Association[],
  policy: Readonly<DirectoryState['policy']>,
): DirectorySnapshot {
  return Object.freeze({
    users: Object.freeze(users),
    bands: Object.freeze(bands),
    associations: Object.freeze(associations),
    policy: Object.isFrozen(policy)
      ? policy
      : Object.freeze({
          allowReEnrollOwnBand: policy.allowReEnrollOwnBand,
          allowReEnrollAnyActiveBand: policy.allowReEnrollAnyActiveBand,
        }),
  });
}

function addTo(index: Map<string, Set<string>>, name: string, key: string): void {
  let keys = index.get(name);
  if (!keys) index.set(name, (keys = new Set()));
  keys.add(key);
}

function removeFrom(index: Map<string, Set<string>>, name: string, key: string): void {
  const keys = index.get(name);
  if (!keys) return;
  keys.delete(key);
  if (keys.size === 0) index.delete(name);
}
