import lockfile from 'proper-lockfile';
import { DirectoryError } from './errors.js';

export interface FileLockOptions {
  /**
   * A lock not refreshed for this long belongs to a process that died (killed, power cut): it is taken over.
   * The holder refreshes it every `staleMs / 2`. Default 10 000 ms; at least 2 000.
   */
  staleMs?: number;
  /** How long to wait for other processes' locks before giving up (default 120 000 ms: many writers queue up). */
  waitMs?: number;
}

export const DEFAULT_LOCK_STALE_MS = 10_000;
export const DEFAULT_LOCK_WAIT_MS = 120_000;

/** What the locked section may call before its commit point: throws if the lock was lost meanwhile. */
export type AssertLockHeld = () => void;

/**
 * Runs `fn` holding an exclusive lock on `path`, shared by every process on the machine (and on a shared file
 * system): `proper-lockfile`'s lock directory `PATH.lock`, created with mkdir (atomic everywhere) and kept fresh
 * while held, so the lock of a process that was killed goes stale and is recovered. `fn` calls `assertHeld()`
 * right before its commit point, so a lock taken over while this process stalled longer than `staleMs` is never
 * followed by a write.
 * @throws DirectoryError 'LOCKED' when another process holds the lock for longer than `waitMs`; 'IO' when the
 *   lock cannot be created at all (a missing or read-only folder).
 */
export async function withFileLock<T>(
  path: string,
  fn: (assertHeld: AssertLockHeld) => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const staleMs = Math.max(options.staleMs ?? DEFAULT_LOCK_STALE_MS, 2_000);
  const waitMs = options.waitMs ?? DEFAULT_LOCK_WAIT_MS;
  let lost: Error | undefined;
  const release = await acquire(path, staleMs, waitMs, (error) => (lost = error));
  const assertHeld = () => {
    if (lost) {
      throw new DirectoryError(
        'LOCKED',
        `The lock on ${path} was lost while this process held it (${lost.message}): another process may have ` +
          `taken it over, so nothing was written. Run the command again.`,
        { path, cause: lost },
      );
    }
  };
  try {
    return await fn(assertHeld);
  } finally {
    // A lost lock is no longer ours to remove.
    if (!lost) await release().catch(() => undefined);
  }
}

async function acquire(
  path: string,
  staleMs: number,
  waitMs: number,
  onCompromised: (error: Error) => void,
): Promise<() => Promise<void>> {
  const deadline = Date.now() + waitMs;
  // Many writers at once: back off with jitter so they do not retry in lockstep, but stay brief (a commit takes ms).
  for (let attempt = 0; ; attempt++) {
    try {
      return await lockfile.lock(path, {
        stale: staleMs,
        update: staleMs / 2,
        realpath: false,
        onCompromised,
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ELOCKED') {
        throw new DirectoryError(
          'IO',
          `Could not lock ${path} (${(error as Error).message}); check that its folder exists and is writable.`,
          { path, cause: error },
        );
      }
      const pause = Math.min(5 * 1.5 ** attempt, 200) * (0.5 + Math.random());
      if (Date.now() + pause > deadline) {
        throw new DirectoryError(
          'LOCKED',
          `${path} is locked by another process (lock ${path}.lock) and stayed locked for ${waitMs} ms; try again ` +
            `later. A lock left by a process that died is taken over after ${staleMs} ms without a refresh.`,
          { path, cause: error },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}
