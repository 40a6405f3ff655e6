import { spawn } from 'node:child_process';
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
  options: { env?: NodeJS.ProcessEnv; stdin?: string; tty?: boolean; stderrTty?: boolean } = {},
): Promise<BandctlRun> {
  const stdout = Object.assign(new PassThrough(), options.tty ? { isTTY: true } : {});
  const stderr = Object.assign(new PassThrough(), options.stderrTty ? { isTTY: true } : {});
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

export const BANDCTL_BIN = new URL('../../dist/host/bandctl.js', import.meta.url).pathname;

/** Runs the built bandctl (dist/host/bandctl.js) as a child process, as a script would; never rejects. */
export function bandctlProcess(args: string[], options: { cwd?: string } = {}): Promise<BandctlRun> {
  return runNode([BANDCTL_BIN, ...args], options);
}

/** Runs `node ARGS` as a child process and collects both streams; never rejects. */
export function runNode(args: string[], options: { cwd?: string } = {}): Promise<BandctlRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (code, signal) => {
      const result = { code: code ?? (signal ? 128 : 1), stdout, stderr };
      resolve({ ...result, json: () => JSON.parse(result.stdout) });
    });
  });
}
