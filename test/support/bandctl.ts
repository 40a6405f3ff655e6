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

/**
 * How long one bandctl or bandsim process may take before it counts as hung. A command takes well under a second
 * on a quiet machine, nearly all of it Node loading the library; at a load average above 100 on two cores that
 * grows past 30 s. With this deadline per process a hang is caught and named, and a test's own timeout only has to
 * cover its processes one after another. (Tests that start many processes at once size their own.)
 */
export const PROCESS_DEADLINE_MS = 90_000;

/**
 * Runs the built bandctl (dist/host/bandctl.js) as a child process, as a script would. Resolves with its exit code
 * and output whatever the code; with `deadlineMs` (see PROCESS_DEADLINE_MS), rejects if it has not exited by then
 * (it is killed), naming the command and what it printed.
 */
export function bandctlProcess(
  args: string[],
  options: { cwd?: string; deadlineMs?: number } = {},
): Promise<BandctlRun> {
  return runNode([BANDCTL_BIN, ...args], options);
}

/** Runs `node ARGS` as a child process and collects both streams; rejects only on a hang, as bandctlProcess. */
export function runNode(args: string[], options: { cwd?: string; deadlineMs?: number } = {}): Promise<BandctlRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const { deadlineMs } = options;
    const hung =
      deadlineMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGKILL');
            const command = args.map((arg) => arg.replace(/^.*\/dist\//, 'dist/')).join(' ');
            reject(
              new Error(
                `node ${command} did not exit within ${deadlineMs / 1000} s (killed): a hang.\nstdout: ${stdout}\nstderr: ${stderr}`,
              ),
            );
          }, deadlineMs);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (code, signal) => {
      clearTimeout(hung);
      const result = { code: code ?? (signal ? 128 : 1), stdout, stderr };
      resolve({ ...result, json: () => JSON.parse(result.stdout) });
    });
  });
}
