/** The timer functions transports use, injectable so tests decide when time passes. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * The longest delay Node's setTimeout keeps (2^31 − 1 ms, about 24.8 days); a longer one fires after 1 ms with a
 * TimeoutOverflowWarning. A timer that checks its deadline when it fires and sets itself again caps at this.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
