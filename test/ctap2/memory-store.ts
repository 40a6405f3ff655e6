import type { FlashChanges, FlashStore } from '../../firmware-sim/flash-store.js';

/**
 * A Map-backed FlashStore for tests: commits apply all-or-nothing (changes are staged, then swapped in), values are
 * copied in and out so no caller can alias the "flash", and every commit is recorded.
 */
export class MemoryFlashStore implements FlashStore {
  private data = new Map<string, Uint8Array>();
  readonly commits: FlashChanges[] = [];
  /** When set, the next commit throws this error instead of applying (a simulated power cut). */
  failNextCommit: Error | undefined;

  get(key: string): Uint8Array | undefined {
    const value = this.data.get(key);
    return value === undefined ? undefined : new Uint8Array(value);
  }

  keys(prefix = ''): string[] {
    return [...this.data.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  commit(changes: FlashChanges): void {
    if (this.failNextCommit !== undefined) {
      const error = this.failNextCommit;
      this.failNextCommit = undefined;
      throw error;
    }
    const next = new Map(this.data);
    for (const prefix of changes.delPrefix ?? [])
      for (const key of [...next.keys()]) if (key.startsWith(prefix)) next.delete(key);
    for (const key of changes.del ?? []) next.delete(key);
    for (const [key, value] of Object.entries(changes.put ?? {})) next.set(key, new Uint8Array(value));
    this.data = next;
    this.commits.push(changes);
  }

  /** Everything, for assertions about what is persisted. */
  snapshot(): Map<string, Uint8Array> {
    return new Map([...this.data].map(([k, v]) => [k, new Uint8Array(v)]));
  }
}
