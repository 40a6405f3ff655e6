import { readFile } from 'node:fs/promises';
import { BaseTransport, describe } from './base-transport.js';
import { TransportError } from './errors.js';
import { describeUnit, parseRecording, type RecordedUnit } from './recording-format.js';
import type { Transport, Unit } from './transport.js';

export interface ReplayOptions {
  /** Runs a delivery later. Default setImmediate. */
  schedule?: (task: () => void) => void;
}

/**
 * Plays a recording back to a host as if the band were there. Each unit the host sends must equal the
 * next '>' line; the '<' lines after it are then delivered in order. Timestamps are not waited for:
 * a replay tests what was said, not how fast. '<' lines before the first '>' (events the band sent
 * unprompted) are delivered on the turn after opening.
 */
class ReplayTransport extends BaseTransport {
  readonly #file: string;
  readonly #entries: RecordedUnit[];
  readonly #schedule: (task: () => void) => void;
  #next = 0;

  constructor(file: string, entries: RecordedUnit[], schedule: (task: () => void) => void) {
    super(`replay:${file}`);
    this.#file = file;
    this.#entries = entries;
    this.#schedule = schedule;
    this.#deliverAnswers();
  }

  protected async sendUnit(unit: Unit): Promise<void> {
    const expected = this.#entries[this.#next];
    if (!expected) {
      const last = this.#entries[this.#entries.length - 1];
      throw new TransportError(
        'REPLAY_MISMATCH',
        `${this.#file}: expected no more units from the host (the recording ends${last ? ` at line ${last.line}` : ''}), got ${describeUnit('>', unit)}; the host does more than the recorded session did`,
      );
    }
    // The answers to the previous unit are always delivered first, so the next entry is a '>' line.
    const difference = differ(expected.unit, unit);
    if (difference) {
      throw new TransportError(
        'REPLAY_MISMATCH',
        `${this.#file}:${expected.line}: expected ${describeUnit('>', expected.unit)}, got ${describeUnit('>', unit)} (${difference}); the host diverged from the recording here`,
      );
    }
    this.#next++;
    this.#deliverAnswers();
  }

  protected async closeLink(): Promise<void> {}

  #deliverAnswers(): void {
    const answers: Unit[] = [];
    while (this.#entries[this.#next]?.direction === '<') answers.push(this.#entries[this.#next++].unit);
    if (answers.length === 0) return;
    this.#schedule(() => {
      for (const unit of answers) {
        if (!this.isOpen) return;
        this.deliverUnit({ command: unit.command, payload: Uint8Array.from(unit.payload) });
      }
    });
  }
}

function differ(expected: Unit, actual: Unit): string | undefined {
  if (expected.command !== actual.command) return 'the command differs';
  const a = expected.payload;
  const b = actual.payload;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return `payload byte ${i} differs`;
  if (a.length !== b.length) return `payload length ${b.length} instead of ${a.length}`;
  return undefined;
}

export async function openReplay(file: string, options: ReplayOptions = {}): Promise<Transport> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new TransportError(
      'OPEN_FAILED',
      `expected a recording at ${file}, got ${describe(error)}; record one with the record option first`,
      {
        cause: error,
      },
    );
  }
  const entries = parseRecording(text, file);
  return new ReplayTransport(file, entries, options.schedule ?? ((task) => void setImmediate(task)));
}
