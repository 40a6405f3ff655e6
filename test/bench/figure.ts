import type { Comparison, Operation } from './measure.js';

/** One row of the benchmark: the project's operation and a peer's doing the same work, measured side by side. */
export interface Figure {
  /** Key in the JSON document. */
  key: string;
  label: string;
  /** Lowest acceptable project ÷ peer ratio (above 1: the project is faster); none: reported only. */
  target?: number;
  project: Operation;
  peer: Operation;
  /** Runs both sides once and throws if a result is wrong: a broken codec must not "pass" by being fast. */
  check(): void | Promise<void>;
}

export type Result = Comparison;
