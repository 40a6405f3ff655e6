import type {
  Association,
  DirectoryBand,
  DirectoryDraft,
  DirectorySnapshot,
  DirectoryState,
  DirectoryUser,
} from './model.js';
import { ROWS, TABLES, associationKey, type RowKind, type Table } from './rows.js';

/**
 * Key lookups on a directory's rows: a committed directory's indexes, or a draft's view of them (the committed
 * rows with what the transaction changed so far).
 */
export interface DirectoryIndex {
  user(name: string): Readonly<DirectoryUser> | undefined;
  band(serialNumber: string): Readonly<DirectoryBand> | undefined;
  bandWithDeviceId(deviceId: string): Readonly<DirectoryBand> | undefined;
  /** The associations of a user, of a band, or of either (both given), in table order. */
  associationsOf(of: { userName?: string; serialNumber?: string }): Readonly<Association>[];
}

/** The committed directory a draft is opened on (committed-directory.ts): its current view and its indexes. */
export interface CommittedIndex extends DirectoryIndex {
  readonly view: DirectorySnapshot;
}

/**
 * What a transaction did to a table it has not read or assigned as an array: rows added, committed rows edited
 * or removed. The library's own operations (`pushRow`, `setAssociationFlags`, `removeAssociationsOfBand`) write
 * here, so a transaction that changes a few rows costs work for those rows, not for the whole table. Every row
 * held here is frozen: only those functions change them, and never a key field. The first time the transaction
 * reads the table itself, it gets plain copies of the committed rows with these changes applied (`materialize`),
 * in the order an array edited the same way would have (edits in place, removals dropped, additions at the end).
 */
export class TableOverlay<T extends object> {
  /** Rows added, in order. */
  readonly added: T[] = [];
  /** Committed row -> its edited version. */
  readonly edits = new Map<T, T>();
  /** Edited version -> its committed row. */
  readonly #origins = new Map<T, T>();
  /** Committed rows removed. */
  readonly removed = new Set<T>();

  constructor(readonly kind: RowKind<T>) {}

  get empty(): boolean {
    return this.added.length === 0 && this.edits.size === 0 && this.removed.size === 0;
  }

  /** What the draft holds in place of committed row `row`: its edited version, itself, or nothing (removed). */
  visible(row: T): T | undefined {
    if (this.removed.has(row)) return undefined;
    return this.edits.get(row) ?? row;
  }

  add(row: T): T {
    const frozen = this.kind.freeze(row);
    this.added.push(frozen);
    return frozen;
  }

  /** `row` as the draft holds it (committed, edited or added) with `patch` applied; returns the new version. */
  set(row: T, patch: Partial<T>): T {
    const next = Object.freeze(Object.assign(this.kind.copy(row), patch));
    const at = this.added.indexOf(row);
    if (at >= 0) {
      this.added[at] = next;
      return next;
    }
    const origin = this.#origins.get(row) ?? row;
    const previous = this.edits.get(origin);
    if (previous !== undefined) this.#origins.delete(previous);
    this.edits.set(origin, next);
    this.#origins.set(next, origin);
    return next;
  }

  /** Removes `row` as the draft holds it (committed, edited or added). */
  remove(row: T): void {
    const at = this.added.indexOf(row);
    if (at >= 0) {
      this.added.splice(at, 1);
      return;
    }
    const origin = this.#origins.get(row) ?? row;
    const edited = this.edits.get(origin);
    if (edited !== undefined) {
      this.edits.delete(origin);
      this.#origins.delete(edited);
    }
    this.removed.add(origin);
  }

  /** The table as the draft holds it: plain copies, in table order. */
  materialize(committed: readonly T[]): T[] {
    const { copy } = this.kind;
    if (this.edits.size === 0 && this.removed.size === 0) {
      const rows = committed.map(copy);
      for (const row of this.added) rows.push(copy(row));
      return rows;
    }
    const rows: T[] = [];
    for (const row of committed) {
      if (this.removed.has(row)) continue;
      rows.push(copy(this.edits.get(row) ?? row));
    }
    for (const row of this.added) rows.push(copy(row));
    return rows;
  }
}

type Overlays = { [K in Table]: TableOverlay<DirectoryState[K][number]> };

/** A draft's origin: the directory and view it was opened from, the tables it has not read yet, and its changes. */
export interface DraftState {
  committed: CommittedIndex;
  view: DirectorySnapshot;
  /** Tables the transaction has not read or assigned as arrays: still the committed rows plus their overlay. */
  untouched: Set<Table>;
  overlays: Overlays;
  index?: DirectoryIndex;
}

const drafts = new WeakMap<object, DraftState>();

export function draftState(draft: object): DraftState | undefined {
  return drafts.get(draft);
}

/**
 * A scratch draft for one transaction on `view` (the current view of `committed`): the caller may mutate anything
 * in it. Each table is materialized (copied, with the overlay's changes) when the transaction first reads or assigns
 * `draft.users`, ...: a table it never reads stays the committed one plus an overlay, is neither copied nor
 * compared in full, and queries about it use the indexes (`draftIndex`).
 */
export function openDraft(committed: CommittedIndex, view: DirectorySnapshot, now: string): DirectoryDraft {
  const untouched = new Set<Table>(TABLES);
  const overlays: Overlays = {
    users: new TableOverlay(ROWS.users),
    bands: new TableOverlay(ROWS.bands),
    associations: new TableOverlay(ROWS.associations),
  };
  const tables: Partial<Pick<DirectoryState, Table>> = {};
  // The tables first, as in a state (the order JSON and test matchers see).
  const draft = {
    users: [],
    bands: [],
    associations: [],
    policy: {
      allowReEnrollOwnBand: view.policy.allowReEnrollOwnBand,
      allowReEnrollAnyActiveBand: view.policy.allowReEnrollAnyActiveBand,
    },
    now,
  } as DirectoryDraft;
  for (const table of TABLES) {
    Object.defineProperty(draft, table, {
      enumerable: true,
      configurable: true,
      get: () => {
        if (untouched.delete(table)) {
          (tables as Record<Table, unknown>)[table] = (overlays[table] as TableOverlay<object>).materialize(
            view[table],
          );
        }
        return tables[table];
      },
      set: (value: unknown) => {
        untouched.delete(table);
        (tables as Record<Table, unknown>)[table] = value;
      },
    });
  }
  drafts.set(draft, { committed, view, untouched, overlays });
  return draft;
}

/** The overlay of `table` if `draft` is a draft that has not read that table and whose view is still current. */
function overlayOf<K extends Table>(draft: object, table: K): TableOverlay<DirectoryState[K][number]> | undefined {
  const state = drafts.get(draft);
  if (state === undefined || !state.untouched.has(table) || state.committed.view !== state.view) return undefined;
  return state.overlays[table];
}

/** Key lookups for `table` of a draft that has not read it, on a view that is still current. */
export function draftIndex(draft: object, table: Table): DirectoryIndex | undefined {
  const state = drafts.get(draft);
  if (state === undefined || !state.untouched.has(table) || state.committed.view !== state.view) return undefined;
  return (state.index ??= new DraftIndex(state));
}

class DraftIndex implements DirectoryIndex {
  constructor(private readonly state: DraftState) {}

  user(name: string): Readonly<DirectoryUser> | undefined {
    const overlay = this.state.overlays.users;
    const committed = this.state.committed.user(name);
    return (committed && overlay.visible(committed)) ?? overlay.added.find((u) => u.name === name);
  }

  band(serialNumber: string): Readonly<DirectoryBand> | undefined {
    const overlay = this.state.overlays.bands;
    const committed = this.state.committed.band(serialNumber);
    return (committed && overlay.visible(committed)) ?? overlay.added.find((b) => b.serialNumber === serialNumber);
  }

  bandWithDeviceId(deviceId: string): Readonly<DirectoryBand> | undefined {
    const overlay = this.state.overlays.bands;
    const committed = this.state.committed.bandWithDeviceId(deviceId);
    return (committed && overlay.visible(committed)) ?? overlay.added.find((b) => b.deviceId === deviceId);
  }

  associationsOf(of: { userName?: string; serialNumber?: string }): Readonly<Association>[] {
    const overlay = this.state.overlays.associations;
    const rows: Association[] = [];
    for (const row of this.state.committed.associationsOf(of)) {
      const held = overlay.visible(row);
      if (held !== undefined) rows.push(held);
    }
    for (const row of overlay.added) {
      if (row.userName === of.userName || row.serialNumber === of.serialNumber) rows.push(row);
    }
    return rows;
  }
}

/**
 * Appends `row` to a draft's table, as `draft[table].push(row)` would, without copying a table the transaction has
 * not read. Returns the row as the draft holds it.
 */
export function pushRow<K extends Table>(
  draft: DirectoryDraft,
  table: K,
  row: DirectoryState[K][number],
): Readonly<DirectoryState[K][number]> {
  const overlay = overlayOf(draft, table);
  if (overlay !== undefined) return overlay.add(row);
  (draft[table] as DirectoryState[K][number][]).push(row);
  return row;
}

/**
 * Sets an association's flags in a draft, as assigning them on the draft's row would. `row` is one a query on the
 * draft returned; returns the row as the draft now holds it.
 */
export function setAssociationFlags(
  draft: DirectoryDraft,
  row: Readonly<Association>,
  flags: Partial<Pick<Association, 'isActive' | 'isPrimary'>>,
): Readonly<Association> {
  const overlay = overlayOf(draft, 'associations');
  if (overlay !== undefined) return overlay.set(row, flags);
  const rows = draft.associations;
  const key = associationKey(row);
  const target = rows.find((a) => a === row) ?? rows.find((a) => associationKey(a) === key);
  if (target === undefined) return row;
  return Object.assign(target, flags);
}

/** Removes every association holding band `serialNumber` from a draft, as filtering `draft.associations` would. */
export function removeAssociationsOfBand(draft: DirectoryDraft, serialNumber: string): void {
  const overlay = overlayOf(draft, 'associations');
  if (overlay === undefined) {
    draft.associations = draft.associations.filter((a) => a.serialNumber !== serialNumber);
    return;
  }
  for (const row of draftIndex(draft, 'associations')!.associationsOf({ serialNumber })) overlay.remove(row);
}
