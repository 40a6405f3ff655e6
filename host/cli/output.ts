/**
 * Where a command's results go. With --json, exactly one JSON document on stdout (progress is silent);
 * without, readable lines on stdout and progress on stderr, so a pipe gets only the results.
 */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly out: NodeJS.WritableStream = process.stdout,
    private readonly err: NodeJS.WritableStream = process.stderr,
  ) {}

  /** Whether results go to a terminal (colour is for people, never for pipes or --json). */
  get isTerminal(): boolean {
    return !this.json && (this.out as { isTTY?: boolean }).isTTY === true;
  }

  /** The command's result: `document` for --json, `human` lines otherwise. */
  result(document: unknown, human: string | string[]): void {
    if (this.json) this.out.write(`${JSON.stringify(document, jsonReplacer, 2)}\n`);
    else this.out.write(`${Array.isArray(human) ? human.join('\n') : human}\n`);
  }

  /** A step of a long operation, for people. */
  progress(line: string): void {
    if (!this.json) this.err.write(`${line}\n`);
  }

  failure(code: string, message: string): void {
    if (this.json) this.out.write(`${JSON.stringify({ ok: false, error: { code, message } }, null, 2)}\n`);
    else this.err.write(`bandctl: ${message}\n`);
  }
}

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
