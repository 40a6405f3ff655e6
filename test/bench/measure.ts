/**
 * A small comparative benchmark harness. The machines are shared (2 cores, other jobs), so absolute times
 * mean nothing; what is stable is how the project compares with a peer measured in the same run, under the
 * same load. Hence rounds alternate peer and project, and the result is the median of the per-round
 * ratios, which shrugs off a round that a neighbour's burst of work happened to land on.
 */

/** One operation; may return a promise, which is awaited before the next one starts. */
export type Operation = () => unknown;

export interface CompareOptions {
  /**
   * Alternating rounds measured after warm-up (odd, so the median is one round). Many short rounds beat a few
   * long ones on a loaded machine: each baseline/subject pair runs close together in time. Default 21.
   */
  rounds?: number;
  /** Each round runs enough operations to last at least this long. Default 20 ms. */
  roundMs?: number;
  /** Warm-up per side, so the JIT has optimised both before anything counts. Default 150 ms. */
  warmupMs?: number;
}

/** One figure of the benchmark: operations per second of each side and project ÷ peer (above 1: the project is faster). */
export interface Comparison {
  /** Median operations per second. */
  project: number;
  peer: number;
  /** Median over rounds of project ops/s ÷ peer ops/s. */
  ratio: number;
  /** Lowest and highest per-round ratio. */
  min: number;
  max: number;
}

/**
 * Keeps results alive so the JIT cannot discard an operation whose result nobody reads. Read it once at the
 * end (`sink.value`) for the same reason.
 */
export const sink = {
  value: 0,
  take(result: unknown): void {
    if (result instanceof Uint8Array) this.value ^= result.length;
    else if (typeof result === 'number') this.value ^= result;
    else if (result !== undefined && result !== null) this.value ^= 1;
  },
};

const now = () => process.hrtime.bigint();
const seconds = (ns: bigint) => Number(ns) / 1e9;

/** Runs `op` `count` times; returns the elapsed nanoseconds. Sync operations are not awaited (await costs). */
async function timed(op: Operation, count: number, isAsync: boolean): Promise<bigint> {
  const start = now();
  if (isAsync) for (let i = 0; i < count; i++) sink.take(await op());
  else for (let i = 0; i < count; i++) sink.take(op());
  return now() - start;
}

/** Grows the batch until one batch takes `roundMs`; the first calls double as warm-up. */
async function calibrate(op: Operation, isAsync: boolean, roundMs: number, warmupMs: number): Promise<number> {
  const warmupEnd = now() + BigInt(Math.round(warmupMs * 1e6));
  while (now() < warmupEnd) await timed(op, 16, isAsync);
  let count = 1;
  for (;;) {
    const elapsed = seconds(await timed(op, count, isAsync));
    if (elapsed * 1000 >= roundMs) return count;
    // Aim a little past the target so the loop ends in one or two more steps.
    count = Math.max(count * 2, Math.ceil((count * roundMs * 1.2) / Math.max(elapsed * 1000, 0.001)));
  }
}

async function isAsyncOperation(op: Operation): Promise<boolean> {
  const result = op();
  const isAsync = typeof (result as { then?: unknown })?.then === 'function';
  if (isAsync) await result;
  return isAsync;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Interleaved rounds of `peer` and `project`; the ratio is project ÷ peer, so above 1 means the project is faster. */
export async function compare(project: Operation, peer: Operation, options: CompareOptions = {}): Promise<Comparison> {
  const rounds = options.rounds ?? 21;
  const roundMs = options.roundMs ?? 20;
  const warmupMs = options.warmupMs ?? 150;
  const peerAsync = await isAsyncOperation(peer);
  const projAsync = await isAsyncOperation(project);
  const peerCount = await calibrate(peer, peerAsync, roundMs, warmupMs);
  const projCount = await calibrate(project, projAsync, roundMs, warmupMs);

  const peerOps: number[] = [];
  const projOps: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const b = peerCount / seconds(await timed(peer, peerCount, peerAsync));
    const s = projCount / seconds(await timed(project, projCount, projAsync));
    peerOps.push(b);
    projOps.push(s);
    ratios.push(s / b);
  }
  return {
    project: median(projOps),
    peer: median(peerOps),
    ratio: median(ratios),
    min: Math.min(...ratios),
    max: Math.max(...ratios),
  };
}
