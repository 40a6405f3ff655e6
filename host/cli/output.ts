/**
 * One line of `--json` progress on stderr (README, "Progress with `--json`"): `type` says which kind, `command` which
 * command sent it; the other fields are the step's own. Field names are stable: scripts and GUIs read them.
 */
export type ProgressEvent =
  | { type: 'progress'; step: string; [field: string]: unknown }
  | { type: 'instruction'; kind: string; text: string; [field: string]: unknown };

/**
 * Where a command's results go. With --json, exactly one JSON document on stdout and the long commands' steps as
 * JSON lines on stderr (`event`); without, readable lines on stdout and progress on stderr, so a pipe gets only
 * the results.
 */
export class Output {
  #spinner: { timer: ReturnType<typeof setInterval>; startedAt: number } | undefined;

  constructor(
    readonly json: boolean,
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
    /** Milliseconds from any origin, for the spinner's elapsed time. */
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether progress goes to a terminal a person watches (never with --json). */
  get progressOnTerminal(): boolean {
    return !this.json && (this.err as { isTTY?: boolean }).isTTY === true;
  }

  /**
   * While the command waits for the person (after an instruction), a spinner with the seconds waited on the
   * terminal's last line, redrawn in place; the next line written clears it. Nothing on a pipe or with --json.
   */
  waitingForPerson(): void {
    if (!this.progressOnTerminal) return;
    this.#stopSpinner();
    const startedAt = this.now();
    let frame = 0;
    const draw = () => {
      const seconds = Math.floor((this.now() - startedAt) / 1000);
      this.err.write(`\r\x1b[K${SPINNER[frame++ % SPINNER.length]} waiting for you · ${seconds} s`);
    };
    draw();
    const timer = setInterval(draw, 250);
    // The spinner never keeps bandctl alive on its own.
    timer.unref?.();
    this.#spinner = { timer, startedAt };
  }

  #stopSpinner(): void {
    if (!this.#spinner) return;
    clearInterval(this.#spinner.timer);
    this.#spinner = undefined;
    this.err.write('\r\x1b[K');
  }

  /** Whether results go to a terminal (colour is for people, never for pipes or --json). */
  get isTerminal(): boolean {
    return !this.json && (this.out as { isTTY?: boolean }).isTTY === true;
  }

  /** The command's result: `document` for --json, `human` lines otherwise. */
  result(document: unknown, human: string | string[]): void {
    this.#stopSpinner();
    if (this.json) this.out.write(`${JSON.stringify(document, jsonReplacer, 2)}\n`);
    else this.out.write(`${Array.isArray(human) ? human.join('\n') : human}\n`);
  }

  /**
   * A step of a long operation (enroll, reenroll, register-key, wipe) for programs: with --json one JSON object
   * on its own line on stderr, `command` first after `type`; nothing otherwise (people get `progress` lines).
   */
  event(command: string, event: ProgressEvent): void {
    if (!this.json) return;
    const { type, ...fields } = event;
    this.err.write(`${JSON.stringify({ type, command, ...fields }, jsonReplacer)}\n`);
  }

  /** A step of a long operation, for people. */
  progress(line: string): void {
    this.#stopSpinner();
    if (!this.json) this.err.write(`${line}\n`);
  }

  failure(code: string, message: string): void {
    this.#stopSpinner();
    if (this.json) this.out.write(`${JSON.stringify({ ok: false, error: { code, message } }, null, 2)}\n`);
    else this.err.write(`bandctl: ${message}\n`);
  }
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Bytes as lower-case hex in JSON: readable, and what firmware engineers compare against. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (
    value &&
    typeof value === 'object' &&
    (value as { type?: string }).type === 'Buffer' &&
    Array.isArray((value as { data?: unknown }).data)
  ) {
    return Buffer.from((value as { data: number[] }).data).toString('hex');
  }
  return value;
}

export const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
