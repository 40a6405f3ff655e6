import { deepFreeze } from './deep-freeze.js';
import type { Directory } from './directory.js';
import { DirectoryError } from './errors.js';
import { assertInvariants } from './invariants.js';
import {
  copyDirectoryState,
  emptyDirectoryState,
  type DirectoryDraft,
  type DirectorySnapshot,
  type DirectoryState,
} from './model.js';
import { SerialQueue } from './serial-queue.js';

/** structuredClone rejects functions and the like; report that as the broken rule it is. */
function detach(draft: DirectoryDraft): DirectoryState {
  try {
    return copyDirectoryState(draft);
  } catch (cause) {
    throw new DirectoryError(
      'INVARIANT',
      `Directory rule "well-formed" would be broken: the draft holds a value that is not plain data ` +
        `(${cause instanceof Error ? cause.message : String(cause)}). Nothing was written; store only strings, booleans, arrays and plain objects.`,
      { rule: 'well-formed', cause },
    );
  }
}

export interface MemoryDirectoryOptions {
  /** Source of Created timestamps; read once per `update`. */
  clock?: () => Date;
  /** Starting content (checked against the invariants). */
  initial?: DirectoryState;
}

/**
 * The directory logic: transactions, invariant checks, one-at-a-time updates. Storage is two hooks, `load`
 * and `persist`, which `FileDirectory` overrides; here they keep everything in memory.
 */
export class MemoryDirectory implements Directory {
  readonly #clock: () => Date;
  readonly #queue = new SerialQueue();
  #state: DirectoryState | undefined;

  constructor(options: MemoryDirectoryOptions = {}) {
    this.#clock = options.clock ?? (() => new Date());
    if (options.initial !== undefined) {
      assertInvariants(options.initial);
      this.#state = copyDirectoryState(options.initial);
    }
  }

  /** Reads the stored state the first time it is needed. A failure is not cached: the next call tries again. */
  protected async load(): Promise<DirectoryState> {
    return emptyDirectoryState();
  }

  /** Stores a state that already satisfies every invariant. If this throws, the commit does not happen. */
  protected async persist(_state: DirectoryState): Promise<void> {}

  snapshot(): Promise<DirectorySnapshot> {
    return this.#queue.run(async () => deepFreeze(copyDirectoryState(await this.#current())));
  }

  update<T>(fn: (draft: DirectoryDraft) => T | Promise<T>): Promise<T> {
    return this.#queue.run(async () => {
      const current = await this.#current();
      const draft: DirectoryDraft = { ...copyDirectoryState(current), now: this.#now() };
      const result = await fn(draft);
      // Copy before checking so a callback holding on to the draft cannot change what was checked.
      const next = detach(draft);
      assertInvariants(next);
      await this.persist(next);
      this.#state = next;
      return result;
    });
  }

  async #current(): Promise<DirectoryState> {
    if (this.#state === undefined) {
      const loaded = await this.load();
      assertInvariants(loaded);
      this.#state = loaded;
    }
    return this.#state;
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
