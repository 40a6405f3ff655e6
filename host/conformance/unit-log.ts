import type { Unit } from '../../transport/index.js';
import { sleep } from './sleep.js';
import { Unmet } from './verdicts.js';

/**
 * Everything that arrived on one link, kept in order, so a check can send something raw and then look for
 * the band's answer among whatever else came (events, KEEPALIVEs) without racing it.
 */
export class Recorder<T> {
  private readonly items: T[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(private readonly describe: (item: T) => string) {}

  push(item: T): void {
    this.items.push(item);
    for (const wake of [...this.waiters]) wake();
  }

  /** Index of the next item to arrive: pass it as `after` to look only at what comes from now on. */
  get length(): number {
    return this.items.length;
  }

  since(index: number): T[] {
    return this.items.slice(index);
  }

  /**
   * The first item at or after `after` that satisfies `match`; waits for it up to `timeoutMs`, then throws
   * Unmet naming `what` and what did arrive.
   */
  async waitFor(
    match: (item: T) => boolean,
    options: { after: number; timeoutMs: number; what: string; signal?: AbortSignal },
  ): Promise<{ item: T; index: number }> {
    const deadline = Date.now() + options.timeoutMs;
    let from = options.after;
    for (;;) {
      for (; from < this.items.length; from++) {
        if (match(this.items[from])) return { item: this.items[from], index: from };
      }
      const left = deadline - Date.now();
      if (left <= 0 || options.signal?.aborted) {
        const seen = this.since(options.after).map(this.describe);
        throw new Unmet(
          `${options.what} within ${options.timeoutMs} ms`,
          seen.length === 0 ? 'nothing' : `only ${summarise(seen)}`,
        );
      }
      await this.wait(left, options.signal);
    }
  }

  /** Waits `ms` and returns the items at or after `after` that satisfy `match` (for "nothing must come" checks). */
  async collect(
    match: (item: T) => boolean,
    options: { after: number; ms: number; signal?: AbortSignal },
  ): Promise<T[]> {
    await sleep(options.ms, options.signal);
    return this.since(options.after).filter(match);
  }

  private wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

export type UnitLog = Recorder<Unit>;

/** "a, b, b, b, c" -> "a, 3× b, c" (at most 8 entries). */
export function summarise(items: string[]): string {
  const runs: { text: string; count: number }[] = [];
  for (const text of items) {
    const last = runs[runs.length - 1];
    if (last?.text === text) last.count++;
    else runs.push({ text, count: 1 });
  }
  const shown = runs.slice(0, 8).map((r) => (r.count > 1 ? `${r.count}× ${r.text}` : r.text));
  if (runs.length > 8) shown.push(`… ${runs.length - 8} more`);
  return shown.join(', ');
}
