import { CommittedDirectory } from './committed-directory.js';
import type { Directory } from './directory.js';
import { DirectoryError } from './errors.js';
import { emptyDirectoryState, type DirectoryDraft, type DirectorySnapshot, type DirectoryState } from './model.js';
import { SerialQueue } from './serial-queue.js';

export interface MemoryDirectoryOptions {
  /** Source of Created timestamps; read once per `update`. */
  clock?: () => Date;
  /** Starting content (checked against the invariants). */
  initial?: DirectoryState;
}

/** What `persist` is asked to store. */
export interface DirectoryCommit {
  /** The directory after the commit (deeply frozen). */
  view: DirectorySnapshot;
  /** The transaction changed nothing. */
  unchanged: boolean;
}

/**
 * The directory logic: transactions, invariant checks, one-at-a-time updates. The committed state is kept in place
 * and deeply frozen, so a snapshot is the state itself, never a copy; a transaction mutates a scratch draft, which
 * is checked on what it changed (committed-directory.ts) before it replaces the state.
 *
 * Storage is three hooks, which `FileDirectory` overrides; here everything stays in memory:
 * - `exclusive(fn)` runs an update's read-check-write cycle (a file lock, for a file many processes share);
 * - `refresh(current)` returns the state to work on: the stored one if it changed since `current` was read;
 * - `persist(commit, assertHeld)` stores a commit that already satisfies every invariant.
 */
export class MemoryDirectory implements Directory {
  readonly #clock: () => Date;
  readonly #queue = new SerialQueue();
  #committed: CommittedDirectory | undefined;

  constructor(options: MemoryDirectoryOptions = {}) {
    this.#clock = options.clock ?? (() => new Date());
    if (options.initial !== undefined) this.#committed = new CommittedDirectory(options.initial);
  }

  /**
   * The state to read or update now. `current` is what this object holds (undefined before the first read, or
   * after a failed write). A failure is not cached: the next call tries again.
   */
  protected async refresh(current: CommittedDirectory | undefined): Promise<CommittedDirectory> {
    return current ?? new CommittedDirectory(emptyDirectoryState());
  }

  /** Runs one update's refresh, check and persist with whatever exclusion the storage needs. */
  protected async exclusive<T>(fn: (assertHeld: () => void) => Promise<T>): Promise<T> {
    return fn(() => undefined);
  }

  /** Stores a commit. If this throws, the commit does not happen. Call `assertHeld` right before the commit point. */
  protected async persist(_commit: DirectoryCommit, _assertHeld: () => void): Promise<void> {}

  snapshot(): Promise<DirectorySnapshot> {
    return this.#queue.run(async () => (await this.#refresh()).view);
  }

  update<T>(fn: (draft: DirectoryDraft) => T | Promise<T>): Promise<T> {
    return this.#queue.run(() =>
      this.exclusive(async (assertHeld) => {
        const current = await this.#refresh();
        const draft = current.openDraft(this.#now());
        const result = await fn(draft);
        const commit = current.prepare(draft);
        // A failed write throws here, before apply: this object keeps the state as it was.
        await this.persist(commit, assertHeld);
        commit.apply();
        return result;
      }),
    );
  }

  async #refresh(): Promise<CommittedDirectory> {
    this.#committed = await this.refresh(this.#committed);
    return this.#committed;
  }

  #now(): string {
    const date = this.#clock();
    if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
      throw new DirectoryError(
        'INVALID_CLOCK',
        `Expected the directory clock to return a valid Date, got ${String(date)}; fix the injected clock.`,
      );
    }
    return date.toISOString();
  }
}
