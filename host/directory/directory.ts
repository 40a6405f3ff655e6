import type { DirectoryDraft, DirectorySnapshot } from './model.js';

/**
 * The enterprise server as the host sees it. A host app implements this against its real server; the
 * embedded defaults are `MemoryDirectory` and `FileDirectory`.
 *
 * Writes go through `update` only, so an orchestrator can never leave the directory half updated: the callback
 * mutates a private draft, and the result is committed as a whole only if it satisfies every invariant
 * (see invariants.ts) and the callback did not throw. Updates run one at a time, in call order.
 */
export interface Directory {
  /** A consistent, deeply frozen view of the whole directory; later commits never change it. */
  snapshot(): Promise<DirectorySnapshot>;
  /**
   * Applies `fn`'s mutations atomically and returns what `fn` returned.
   * @throws DirectoryError 'INVARIANT' (naming the rule) when the result would break an invariant — nothing is
   *   written; whatever `fn` throws — nothing is written; DirectoryError 'IO' when the commit could not be stored.
   */
  update<T>(fn: (draft: DirectoryDraft) => T | Promise<T>): Promise<T>;
}
