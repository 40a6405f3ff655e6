import { PassThrough } from 'node:stream';
import { text } from 'node:stream/consumers';
import { main } from '../../host/cli/main.js';

export interface BandctlRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as the one JSON document `--json` promises. */
  json(): any;
}

/** Runs bandctl in-process, as a script would run the binary, and captures both streams. */
export async function bandctl(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; stdin?: string; tty?: boolean } = {},
): Promise<BandctlRun> {
  const stdout = Object.assign(new PassThrough(), options.tty ? { isTTY: true } : {});
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  if (options.stdin !== undefined) stdin.end(options.stdin);
  const out = text(stdout);
  const err = text(stderr);
  const code = await main(args, { stdout, stderr, stdin, env: options.env ?? {} });
  stdout.end();
  stderr.end();
  const result = { code, stdout: await out, stderr: await err };
  return { ...result, json: () => JSON.parse(result.stdout) };
}
