import type { FlashChip } from './flash-chip.js';
import { FlashCorruptError } from './flash-errors.js';
import {
  Damage,
  HEADER_SIZE,
  KIND_DELTA,
  KIND_SNAPSHOT,
  encodeHeader,
  encodeRecord,
  scanJournal,
  type Commit,
} from './flash-format.js';
import type { FlashChanges, FlashStore } from './flash-store.js';
import { FlashValues } from './flash-values.js';

export const JOURNAL_FILE = 'band.journal';
export const JOURNAL_TMP_FILE = 'band.journal.tmp';
/** Past this size the next commit rewrites the journal as one snapshot. */
export const DEFAULT_COMPACT_AT = 64 * 1024;

export interface FlashOptions {
  compactAtBytes?: number;
}

/**
 * The band's key-value store: an append-only journal, one record per commit (flash-format.ts), so a
 * commit is durable exactly when its record is whole. A power cut mid-record leaves a torn tail that
 * the next open cuts off (the old state); a whole record is the new state. When the journal grows past
 * `compactAtBytes`, or on the very first commit, the state is written as one snapshot to a temporary
 * file that is renamed over the journal: the rename is the commit point, so that path is old-or-new too.
 *
 * Inside one commit deletes apply before puts (prefix deletes, then exact ones), on replay as in RAM.
 */
export class Flash implements FlashStore {
  private data = new FlashValues();
  private seq = 0;
  private size = 0;
  private readonly compactAt: number;

  private constructor(
    private readonly chip: FlashChip,
    options: FlashOptions,
  ) {
    this.compactAt = options.compactAtBytes ?? DEFAULT_COMPACT_AT;
  }

  /**
   * Reads the image back (the boot). Throws FlashCorruptError for a damaged image, PowerCutError when the
   * power dies while it tidies up after an earlier cut.
   */
  static open(chip: FlashChip, options: FlashOptions = {}): Flash {
    const flash = new Flash(chip, options);
    flash.load();
    return flash;
  }

  /** The image file, for messages. */
  get location(): string {
    return this.chip.describe(JOURNAL_FILE);
  }

  /** Bytes of journal on the medium (0 before the first commit). */
  get journalBytes(): number {
    return this.size;
  }
  get sequence(): number {
    return this.seq;
  }

  get(key: string): Uint8Array | undefined {
    return this.data.get(key);
  }

  keys(prefix = ''): string[] {
    return [...this.data.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  commit(changes: FlashChanges): void {
    const normalised = normalise(changes);
    if (!changesAnything(this.data, normalised)) return;
    const seq = (this.seq + 1) >>> 0;
    const record = this.size === 0 ? undefined : encodeRecord({ seq, kind: KIND_DELTA, ...normalised });
    if (record === undefined || this.size + record.length > this.compactAt) {
      // The snapshot is written from views of the current values; RAM follows once it is in place.
      this.rewrite(applyChanges(new Map(this.data.entries()), normalised), seq);
      applyChanges(this.data, normalised);
    } else {
      this.chip.append(JOURNAL_FILE, record);
      this.size += record.length;
      // RAM follows only once the record is whole on the medium: a cut above leaves the old state here too.
      applyChanges(this.data, normalised);
    }
    this.seq = seq;
  }

  private rewrite(next: Map<string, Uint8Array>, seq: number): void {
    const put = [...next.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const record = encodeRecord({ seq, kind: KIND_SNAPSHOT, put, del: [], delPrefix: [] });
    const image = new Uint8Array(HEADER_SIZE + record.length);
    image.set(encodeHeader());
    image.set(record, HEADER_SIZE);
    this.chip.append(JOURNAL_TMP_FILE, image);
    this.chip.rename(JOURNAL_TMP_FILE, JOURNAL_FILE);
    this.size = image.length;
  }

  private load(): void {
    // A temporary file is a compaction the power cut short before its rename: the journal is still the truth.
    if (this.chip.read(JOURNAL_TMP_FILE) !== undefined) this.chip.remove(JOURNAL_TMP_FILE);
    const bytes = this.chip.read(JOURNAL_FILE);
    if (bytes === undefined) return;
    let commits: Commit[];
    let validEnd: number;
    try {
      ({ commits, validEnd } = scanJournal(bytes));
    } catch (error) {
      if (error instanceof Damage) throw new FlashCorruptError(this.chip.describe(JOURNAL_FILE), error.message);
      throw error;
    }
    let data = new Map<string, Uint8Array>();
    for (const commit of commits) {
      if (commit.kind === KIND_SNAPSHOT) data = new Map(commit.put);
      else applyChanges(data, commit);
    }
    this.data = new FlashValues();
    for (const [key, value] of data) this.data.set(key, value);
    this.seq = commits[commits.length - 1].seq;
    this.size = validEnd;
    // The torn tail goes now, so the next record is appended after whole ones.
    if (validEnd < bytes.length) this.chip.truncate(JOURNAL_FILE, validEnd);
  }
}

type Normalised = Pick<Commit, 'put' | 'del' | 'delPrefix'>;

const NONE: readonly string[] = Object.freeze([]);

function normalise(changes: FlashChanges): Normalised {
  if (typeof changes !== 'object' || changes === null)
    throw new TypeError('expected flash changes { put?, del?, delPrefix? }');
  const put: [string, Uint8Array][] = [];
  for (const [key, value] of Object.entries(changes.put ?? {})) {
    checkKey(key);
    if (!(value instanceof Uint8Array))
      throw new TypeError(`expected the value of flash key '${key}' as a Uint8Array, got ${typeof value}`);
    put.push([key, new Uint8Array(value)]);
  }
  for (const key of changes.del ?? []) checkKey(key);
  for (const prefix of changes.delPrefix ?? []) {
    if (typeof prefix !== 'string' || prefix.length === 0) {
      throw new TypeError(
        `expected a non-empty prefix to delete, got ${JSON.stringify(prefix)}; an empty prefix would erase everything`,
      );
    }
  }
  // Read within this commit only (values are copied above), so the caller's arrays are used as they are.
  return { put, del: changes.del ?? NONE, delPrefix: changes.delPrefix ?? NONE };
}

function checkKey(key: string): void {
  // 85 UTF-16 code units are at most 255 bytes of UTF-8: only longer keys need counting.
  if (typeof key !== 'string' || key.length === 0 || (key.length > 85 && Buffer.byteLength(key) > 255)) {
    throw new TypeError(`expected a flash key of 1..255 bytes, got ${JSON.stringify(key)}`);
  }
}

/** What applyChanges changes: the RAM state, or a Map of the state a snapshot writes. */
interface KeyValues {
  keys(): IterableIterator<string>;
  delete(key: string): boolean;
  set(key: string, value: Uint8Array): unknown;
}

/** Applies `changes` to `data` in place (deletes before puts, as on replay) and returns it. */
function applyChanges<T extends KeyValues>(data: T, changes: Normalised): T {
  for (const prefix of changes.delPrefix)
    for (const key of [...data.keys()]) if (key.startsWith(prefix)) data.delete(key);
  for (const key of changes.del) data.delete(key);
  for (const [key, value] of changes.put) data.set(key, value);
  return data;
}

/**
 * Whether applying `changes` to `data` gives different contents, decided without building them: a put changes
 * its key unless the value is already there, and a delete changes the state only for a present key that no put
 * of the same commit writes back (deletes apply first).
 */
function changesAnything(data: FlashValues, changes: Normalised): boolean {
  for (const [key, value] of changes.put) {
    const old = data.view(key);
    if (old === undefined || !sameBytes(old, value)) return true;
  }
  if (changes.del.length === 0 && changes.delPrefix.length === 0) return false;
  const written = new Set(changes.put.map(([key]) => key));
  for (const key of changes.del) if (data.has(key) && !written.has(key)) return true;
  for (const prefix of changes.delPrefix)
    for (const key of data.keys()) if (key.startsWith(prefix) && !written.has(key)) return true;
  return false;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
