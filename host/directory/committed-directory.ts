import { draftIndex, draftState, openDraft, type DirectoryIndex, type TableOverlay } from './draft.js';
import { DirectoryError, type InvariantRule } from './errors.js';
import { assertInvariants } from './invariants.js';
import type {
  Association,
  DirectoryBand,
  DirectoryDraft,
  DirectorySnapshot,
  DirectoryState,
  DirectoryUser,
} from './model.js';
import { ASSOCIATION_ROWS, BAND_ROWS, TABLES, USER_ROWS, associationKey, type RowKind, type Table } from './rows.js';
import { ViewTable } from './view-table.js';

type Tables = { [K in Table]: ViewTable<DirectoryState[K][number]> };

/**
 * The directory as committed, kept in place: a deeply frozen view (so `snapshot()` hands it out without a copy and
 * an old snapshot stays valid after later commits) and indexes by key, updated in place with each commit's changes.
 *
 * A transaction works on a scratch draft (draft.ts): the library's own operations record their few changes in an
 * overlay, and a table the transaction reads as an array is copied once (plain copies of the rows, field copies
 * only). `prepare` takes what changed (the overlay, or a comparison of the copied table with the committed rows),
 * keeps the unchanged frozen rows as they are, and checks the invariants on what changed only: the changed rows'
 * fields, their keys against the indexes, and the per-band and per-user counts of the bands and users a changed
 * association touches. A violation found that way is reported by the full check (`assertInvariants`) on the draft,
 * so the message is the same as for a loaded file.
 */
export class CommittedDirectory implements DirectoryIndex {
  #view: DirectorySnapshot;
  /** The current view's tables, built when first read (view-table.ts). */
  #tables: Tables;
  readonly #users = new Map<string, DirectoryUser>();
  readonly #bands = new Map<string, DirectoryBand>();
  /** deviceId -> serial number */
  readonly #deviceIds = new Map<string, string>();
  /** associationKey -> row */
  readonly #associations = new Map<string, Association>();
  /** serial number -> association keys; user name -> association keys (`Keys`: one key as itself) */
  readonly #bySerial = new Map<string, Keys>();
  readonly #byUser = new Map<string, Keys>();

  /** Checks a whole state (a loaded file, an initial value) against every invariant and takes a frozen copy. */
  constructor(state: DirectoryState) {
    assertInvariants(state);
    const users = state.users.map(USER_ROWS.freeze);
    const bands = state.bands.map(BAND_ROWS.freeze);
    const associations = state.associations.map(ASSOCIATION_ROWS.freeze);
    this.#tables = {
      users: ViewTable.of(users),
      bands: ViewTable.of(bands),
      associations: ViewTable.of(associations),
    };
    this.#view = freezeView(this.#tables, state.policy);
    for (const u of users) this.#users.set(u.name, u);
    for (const b of bands) this.#addBand(b);
    for (const a of associations) this.#addAssociation(associationKey(a), a);
    indexes.set(this.#view, this);
  }

  /** Deeply frozen; never changes (a commit makes a new view). */
  get view(): DirectorySnapshot {
    return this.#view;
  }

  /** A scratch draft for one transaction on the current view (draft.ts). */
  openDraft(now: string): DirectoryDraft {
    return openDraft(this, this.#view, now);
  }

  /**
   * Checks `draft` against the invariants, on what changed, and returns the commit without applying it (so a
   * failed write to storage leaves this object as it was).
   * @throws DirectoryError 'INVARIANT' naming the first broken rule.
   */
  prepare(draft: DirectoryDraft): PreparedCommit {
    const d = draft as unknown as Record<string, unknown>;
    const v = this.#view;
    // Tables of a draft opened here (and nothing committed since) that the transaction never read as arrays: the
    // committed rows plus the overlay of what the library's operations changed (draft.ts).
    const base = draftState(draft);
    const current = base?.committed === this && base.view === v ? base : undefined;
    const touched = (table: Table) => current === undefined || !current.untouched.has(table);
    if (TABLES.some((table) => touched(table) && !Array.isArray(d[table])) || !isPolicy(d.policy)) {
      return reject(draft, 'well-formed');
    }
    const t = this.#tables;
    const users = touched('users')
      ? scan(d.users as unknown[], t.users, this.#users, USER_ROWS)
      : scanOverlay(current!.overlays.users, t.users, this.#users);
    const bands = touched('bands')
      ? scan(d.bands as unknown[], t.bands, this.#bands, BAND_ROWS)
      : scanOverlay(current!.overlays.bands, t.bands, this.#bands);
    const associations = touched('associations')
      ? scan(d.associations as unknown[], t.associations, this.#associations, ASSOCIATION_ROWS)
      : scanOverlay(current!.overlays.associations, t.associations, this.#associations);
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
    const unchangedView = users.same && bands.same && associations.same && samePolicy;
    const tables: Tables = unchangedView
      ? t
      : {
          users: users.same ? t.users : users.next(),
          bands: bands.same ? t.bands : bands.next(),
          associations: associations.same ? t.associations : associations.next(),
        };
    const view = unchangedView ? this.#view : freezeView(tables, samePolicy ? v.policy : policy);
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
        this.#tables = tables;
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

  /** The band with this device ID in the current view. */
  bandWithDeviceId(deviceId: string): DirectoryBand | undefined {
    const serial = this.#deviceIds.get(deviceId);
    return serial === undefined ? undefined : this.#bands.get(serial);
  }

  /** The current view's associations of a user, of a band, or of either (both given), in the view's order. */
  associationsOf(of: { userName?: string; serialNumber?: string }): Association[] {
    const keys = new Set<string>();
    if (of.userName !== undefined) for (const key of keysOf(this.#byUser, of.userName)) keys.add(key);
    if (of.serialNumber !== undefined) for (const key of keysOf(this.#bySerial, of.serialNumber)) keys.add(key);
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
    const remains = (keys: readonly string[]) => keys.some((key) => associations.has(key));
    for (const name of users.removed) if (remains(keysOf(this.#byUser, name))) return 'association-references';
    for (const serial of bands.removed) if (remains(keysOf(this.#bySerial, serial))) return 'association-references';
    return undefined;
  }

  /** One user per band, one active and one primary band per user: counted for the bands and users touched. */
  #countRule(associations: Scan<Association>): InvariantRule | undefined {
    if (associations.duplicate) return 'band-single-user';
    if (associations.changed.length === 0) return undefined;
    const changedByKey = new Map(associations.changed.map((a) => [associationKey(a), a]));
    const rowsOf = (index: Map<string, Keys>, name: string, pick: (a: Association) => string) => {
      const rows: Association[] = [];
      for (const key of keysOf(index, name)) {
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

/**
 * Key lookups that answer for `table` of `view`: the indexes of the committed directory whose current view it is,
 * or, for a draft that has not read `table` as an array, those indexes with the draft's changes (draft.ts).
 */
export function indexFor(view: DirectorySnapshot, table: Table): DirectoryIndex | undefined {
  const committed = indexes.get(view);
  if (committed !== undefined) return committed.view === view ? committed : undefined;
  return draftIndex(view, table);
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
  /** The table of the next state, the unchanged rows being the committed frozen objects. */
  next(): ViewTable<T>;
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
  table: ViewTable<T>,
  index: ReadonlyMap<string, T>,
  kind: RowKind<T>,
): Scan<T> {
  const { equal, keyOf } = kind;
  const committed = table.rows;
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
  const settled = settle(
    others.map((o) => o.row),
    unmatched,
    index,
    kind,
  );
  others.forEach(({ at }, i) => {
    const final = settled.finals[i];
    if (final !== undefined) next[at] = final;
  });
  return { ...settled, malformed: malformed || settled.malformed, next: () => ViewTable.of(next) };
}

/**
 * The same comparison for a table the draft never read as an array: what changed is the overlay (draft.ts), so
 * the work is for the rows it holds, and the next table is the committed one with those changes (view-table.ts).
 */
function scanOverlay<T extends object>(
  overlay: TableOverlay<T>,
  table: ViewTable<T>,
  index: ReadonlyMap<string, T>,
): Scan<T> {
  if (overlay.empty) return unchanged(index);
  const { kind } = overlay;
  const committed = (row: T) => index.get(kind.keyOf(row)) === row;
  /** Committed rows the next state drops or replaces, by key. */
  const unmatched = new Map<string, T>();
  const removed = new Set<T>();
  const edited: { origin: T; row: T }[] = [];
  for (const row of overlay.removed) {
    if (!committed(row)) continue;
    unmatched.set(kind.keyOf(row), row);
    removed.add(row);
  }
  for (const [origin, row] of overlay.edits) {
    if (!committed(origin) || kind.equal(row, origin)) continue;
    unmatched.set(kind.keyOf(origin), origin);
    edited.push({ origin, row });
  }
  const settled = settle([...edited.map((e) => e.row), ...overlay.added], unmatched, index, kind);
  const replaced = new Map<T, T>();
  const added: T[] = [];
  settled.finals.forEach((final, i) => {
    if (final === undefined) return;
    if (i < edited.length) replaced.set(edited[i].origin, final);
    else added.push(final);
  });
  return { ...settled, next: () => ViewTable.derived(table, { removed, replaced, added }) };
}

/**
 * Checks the rows that are new or differ from the committed row at their place (`others`) against the committed
 * rows they may replace (`unmatched`, by key) and the index. `finals[i]` is what the next table holds for
 * `others[i]`: a frozen copy, or the committed row it equals (undefined for a malformed row).
 */
function settle<T extends object>(
  others: readonly T[],
  unmatched: ReadonlyMap<string, T>,
  index: ReadonlyMap<string, T>,
  kind: RowKind<T>,
): Omit<Scan<T>, 'next'> & { finals: (T | undefined)[] } {
  let malformed = false;
  const changed: T[] = [];
  const finals: (T | undefined)[] = [];
  const otherKeys = new Set<string>();
  let duplicate = false;
  for (const row of others) {
    if (!kind.wellFormed(row as Record<string, unknown>)) {
      malformed = true;
      finals.push(undefined);
      continue;
    }
    const key = kind.keyOf(row);
    // The same key twice among the new rows, or a new row with the key of a committed row still in place.
    if (otherKeys.has(key) || (index.has(key) && !unmatched.has(key))) duplicate = true;
    otherKeys.add(key);
    const was = unmatched.get(key);
    if (was !== undefined && kind.equal(row, was)) {
      finals.push(was);
    } else {
      const frozen = kind.freeze(row);
      finals.push(frozen);
      changed.push(frozen);
    }
  }
  const removed = [...unmatched.keys()].filter((key) => !otherKeys.has(key));
  const gone = new Set(removed);
  return {
    finals,
    changed,
    removed,
    has: (key) => otherKeys.has(key) || (index.has(key) && !gone.has(key)),
    same: others.length === 0 && unmatched.size === 0,
    duplicate,
    malformed,
  };
}

/** A table the transaction never touched: the committed rows, as they are. */
function unchanged<T>(index: ReadonlyMap<string, T>): Scan<T> {
  return {
    next: () => {
      throw new Error('an unchanged table has no next table of its own');
    },
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
const isPolicy = (p: unknown) =>
  isRecord(p) && typeof p.allowReEnrollOwnBand === 'boolean' && typeof p.allowReEnrollAnyActiveBand === 'boolean';

/**
 * A view over `tables`, deeply frozen: each table is built when first read (view-table.ts), the same frozen array
 * every time after.
 */
function freezeView(tables: Tables, policy: Readonly<DirectoryState['policy']>): DirectorySnapshot {
  const view = {};
  Object.defineProperties(view, {
    users: { enumerable: true, get: () => tables.users.rows },
    bands: { enumerable: true, get: () => tables.bands.rows },
    associations: { enumerable: true, get: () => tables.associations.rows },
    policy: {
      enumerable: true,
      value: Object.isFrozen(policy)
        ? policy
        : Object.freeze({
            allowReEnrollOwnBand: policy.allowReEnrollOwnBand,
            allowReEnrollAnyActiveBand: policy.allowReEnrollAnyActiveBand,
          }),
    },
  });
  return Object.freeze(view) as DirectorySnapshot;
}

/**
 * The association keys of one user or band. Every band and most users have one association: that key is held as
 * itself, and an array only for a user with several, so the index costs no Set (a hash table of its own) per name.
 */
type Keys = string | string[];

const NO_KEYS: readonly string[] = Object.freeze([]);

function keysOf(index: ReadonlyMap<string, Keys>, name: string): readonly string[] {
  const keys = index.get(name);
  if (keys === undefined) return NO_KEYS;
  return typeof keys === 'string' ? [keys] : keys;
}

function addTo(index: Map<string, Keys>, name: string, key: string): void {
  const keys = index.get(name);
  if (keys === undefined) index.set(name, key);
  else if (typeof keys === 'string') {
    if (keys !== key) index.set(name, [keys, key]);
  } else if (!keys.includes(key)) keys.push(key);
}

function removeFrom(index: Map<string, Keys>, name: string, key: string): void {
  const keys = index.get(name);
  if (keys === undefined) return;
  if (typeof keys === 'string') {
    if (keys === key) index.delete(name);
    return;
  }
  const at = keys.indexOf(key);
  if (at < 0) return;
  keys.splice(at, 1);
  if (keys.length === 1) index.set(name, keys[0]);
}
