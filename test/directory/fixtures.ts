import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A clock that starts at `start` and moves `stepMs` forward on every read, so each transaction gets its own time. */
export function steppingClock(start = '2024-05-01T09:00:00.000Z', stepMs = 60_000) {
  let t = Date.parse(start);
  const clock = () => {
    const now = new Date(t);
    t += stepMs;
    return now;
  };
  return Object.assign(clock, { advance: (ms: number) => void (t += ms) });
}

/** A manually driven clock: reads return the same time until advanced. */
export function manualClock(start = '2024-05-01T09:00:00.000Z') {
  let t = Date.parse(start);
  return Object.assign(() => new Date(t), { advance: (ms: number) => void (t += ms) });
}

/** Deterministic bytes: SHA-256 in counter mode over a seed. */
export function seededRandom(seed: string) {
  let counter = 0;
  return (length: number): Uint8Array => {
    const out = new Uint8Array(length);
    for (let filled = 0; filled < length;) {
      const block = createHash('sha256').update(`${seed}:${counter++}`).digest();
      const take = Math.min(block.length, length - filled);
      out.set(block.subarray(0, take), filled);
      filled += take;
    }
    return out;
  };
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'band-directory-test-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
