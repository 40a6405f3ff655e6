/**
 * The band's flash as the rest of the firmware sees it: a small key-value store whose `commit` is atomic.
 * A power cut during a commit leaves either every change of that commit or none of them.
 * Implementations: `flash.ts` (journalled, memory- or file-backed, with power-cut injection).
 */
export interface FlashStore {
  get(key: string): Uint8Array | undefined;
  /** Keys in lexicographic order, optionally only those starting with `prefix`. */
  keys(prefix?: string): string[];
  /** Applies all puts and deletes atomically. Throws PowerCutError when the simulated power dies. */
  commit(changes: FlashChanges): void;
}

export interface FlashChanges {
  put?: Record<string, Uint8Array>;
  /** Exact keys to delete. */
  del?: string[];
  /** Delete every key with one of these prefixes (e.g. `fido2/` on delete user data). */
  delPrefix?: string[];
}
