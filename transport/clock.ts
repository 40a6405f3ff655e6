let stamp: number | undefined;
const settled = Promise.resolve();
const forget = (): void => {
  stamp = undefined;
};

/**
 * Wall time (Date.now) read at most once per synchronous run of the event loop: the first read in a run caches it,
 * and a microtask queued then, which runs as soon as that run ends, drops the cache.
 *
 * For stamping arrivals: everything delivered in one run (the reports of one USB/IP segment, a test pushing a
 * whole message) had arrived by the time the run began, so it gets one stamp, and the time the run itself spends
 * processing is not charged to the sender. One report per run costs one clock read plus one resolved-promise
 * reaction; a message of several reports in one run costs one read instead of one per report, which was a fifth of
 * packetise + reassemble (`Date.now()` about 40 ns of 120 ns a report; `node --cpu-prof`, test/bench
 * `ctaphid_vs_ledger`).
 */
export function runNow(): number {
  if (stamp === undefined) {
    stamp = Date.now();
    void settled.then(forget);
  }
  return stamp;
}
