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
  private data = new Map<string, Uint8Array>();
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
    const value = this.data.get(key);
    return value && new Uint8Array(value);
  }

  keys(prefix = ''): string[] {
    return [...this.data.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  commit(changes: FlashChanges): void {
    const next = applyChanges(this.data, normalise(changes));
    if (sameContents(this.data, next)) return;
    const seq = (this.seq + 1) >>> 0;
    if (this.size === 0) {
      this.rewrite(next, seq);
    } else {
      const record = encodeRecord({ seq, kind: KIND_DELTA, ...normalise(changes) });
      if (this.size + record.length > this.compactAt) {
        this.rewrite(next, seq);
      } else {
        this.chip.append(JOURNAL_FILE, record);
        this.size += record.length;
      }
    }
    this.data = next;
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
      data = commit.kind === KIND_SNAPSHOT ? new Map(commit.put) : applyChanges(data, commit);
    }
    this.data = data;
    this.seq = commits[commits.length - 1].seq;
    this.size = validEnd;
    // The torn tail goes now, so the next record is appended after whole ones.
    if (validEnd < bytes.length) this.chip.truncate(JOURNAL_FILE, validEnd);
  }
}

type Normalised = Pick<Commit, 'put' | 'del' | 'delPrefix'>;

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
  return { put, del: [...(changes.del ?? [])], delPrefix: [...(changes.delPrefix ?? [])] };
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || Buffer.byteLength(key) > 255) {
    throw new TypeError(`expected a flash key of 1..255 bytes, got ${JSON.stringify(key)}`);
  }
}

function applyChanges(data: Map<string, Uint8Array>, changes: Normalised): Map<string, Uint8Array> {
  const next = new Map(data);
  for (const prefix of changes.delPrefix)
    for (const key of [...next.keys()]) if (key.startsWith(prefix)) next.delete(key);
  for (const key of changes.del) next.delete(key);
  for (const [key, value] of changes.put) next.set(key, value);
  return next;
}

function sameContents(a: Map<string, Uint8Array>, b: Map<string, Uint8Array>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) {
    const other = b.get(key);
    if (!other || Buffer.compare(value, other) !== 0) return false;
  }
  return true;
}
