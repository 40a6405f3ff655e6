import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * bandsim and bandctl as the separate processes a rig runs: `node dist/...` (npm test builds dist/ first; run
 * `npx tsc -p tsconfig.json` before running these tests alone). Every child runs in its own process group so a
 * test can end it together with anything it started (npx starts a shell and then node); `killAll()` in
 * afterEach/afterAll ends whatever a failed test left running.
 */
export const ROOT = new URL('../..', import.meta.url).pathname;
export const BANDSIM = join(ROOT, 'dist/firmware-sim/bandsim.js');
export const BANDCTL = join(ROOT, 'dist/host/bandctl.js');

export function requireBuilt(): void {
  for (const file of [BANDSIM, BANDCTL]) {
    if (!existsSync(file))
      throw new Error(`${file} is missing: build first with \`npx tsc -p tsconfig.json\` (npm test does it)`);
  }
}

const children = new Set<ChildProcess>();

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function exitOf(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Sends `signal` to the child's process group (the child and whatever it started). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Ends every child still running (SIGKILL to its group) and waits for each to exit. */
export async function killAll(): Promise<void> {
  const running = [...children];
  children.clear();
  for (const child of running) signalGroup(child, 'SIGKILL');
  await Promise.all(running.map(exitOf));
}

function track(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }): ChildProcess {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    // A rig's environment must not pick a transport or directory for the test.
    env: { ...process.env, BANDCTL_TRANSPORT: undefined, BANDCTL_DIRECTORY: undefined, NO_COLOR: '1', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  return child;
}

export interface Bandsim {
  child: ChildProcess;
  /** Endpoint addresses from its "listening KIND ADDRESS" lines: tcp, udp-hid and usbip as HOST:PORT, serial as a path. */
  endpoints: { tcp?: string; 'udp-hid'?: string; serial?: string; usbip?: string };
  /** Everything it printed so far, stdout then stderr. */
  output(): string;
  /** Resolves when a line matching `pattern` has been printed on stdout. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM (or `signal`), then the exit. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
  exited: Promise<Exit>;
}

/**
 * Starts bandsim with `args` and resolves once it prints "ready" (never a sleep). `command` replaces
 * `node dist/firmware-sim/bandsim.js`, e.g. `['npx', '--no-install', 'bandsim']`.
 */
export async function startBandsim(
  args: string[],
  options: { command?: string[]; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Bandsim> {
  const [command, ...prefix] = options.command ?? [process.execPath, BANDSIM];
  const child = track(command, [...prefix, ...args], options);
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (chunk: string) => {
    stdout += chunk;
    for (const wake of waiters) wake();
  });
  child.stderr!.on('data', (chunk: string) => (stderr += chunk));
  const exited = exitOf(child);
  const output = () => `${stdout}${stderr ? `\n[stderr]\n${stderr}` : ''}`;

  const waitForLine = (pattern: RegExp, timeoutMs = 20_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = stdout.split('\n').find((l) => pattern.test(l));
        if (line === undefined) return false;
        finish();
        resolve(line);
        return true;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`bandsim printed no line matching ${pattern} within ${timeoutMs} ms; it said:\n${output()}`));
      }, timeoutMs);
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        if (check()) return;
        finish();
        reject(
          new Error(
            `bandsim exited (${code ?? signal}) before printing a line matching ${pattern}; it said:\n${output()}`,
          ),
        );
      };
      const finish = () => {
        clearTimeout(timer);
        waiters.delete(wake);
        child.off('exit', onExit);
      };
      const wake = () => void check();
      waiters.add(wake);
      child.once('exit', onExit);
      check();
    });

  await waitForLine(/^ready$/);
  const endpoints: Bandsim['endpoints'] = {};
  for (const m of stdout.matchAll(/^listening (tcp|udp-hid|serial|usbip) (\S+)$/gm))
    endpoints[m[1] as keyof Bandsim['endpoints']] = m[2];
  return {
    child,
    endpoints,
    output,
    waitForLine,
    exited,
    async stop(signal = 'SIGTERM') {
      // bandsim alone in its group: a signal to the process itself (npx would forward it a second time).
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface Run extends Exit {
  stdout: string;
  stderr: string;
  /** stdout parsed as the one JSON document --json prints. */
  json(): any;
}

export interface RunningBandctl {
  child: ChildProcess;
  /** Resolves when stderr (progress and prompts) has printed a line matching `pattern`. */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void>;
  done: Promise<Run>;
}

/** Starts bandctl with `args`; `done` resolves with its exit and output. */
export function startBandctl(
  args: string[],
  options: { command?: string[]; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): RunningBandctl {
  const [command, ...prefix] = options.command ?? [process.execPath, BANDCTL];
  const child = track(command, [...prefix, ...args], options);
  child.stdin!.end();
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk;
    for (const wake of waiters) wake();
  });
  const limit = options.timeoutMs ?? 25_000;
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), limit);
  const done = exitOf(child).then((exit) => {
    clearTimeout(timer);
    const run: Run = {
      ...exit,
      stdout,
      stderr,
      json() {
        try {
          return JSON.parse(stdout);
        } catch {
          throw new Error(
            `expected one JSON document from bandctl ${args.join(' ')}, got:\n${stdout}\n[stderr]\n${stderr}`,
          );
        }
      },
    };
    if (exit.signal === 'SIGKILL')
      throw new Error(`bandctl ${args.join(' ')} did not finish within ${limit} ms:\n${stdout}\n[stderr]\n${stderr}`);
    return run;
  });
  const waitForStderr = (pattern: RegExp, timeoutMs = 20_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(wake);
        reject(new Error(`bandctl printed nothing matching ${pattern} on stderr within ${timeoutMs} ms:\n${stderr}`));
      }, timeoutMs);
      const wake = () => {
        if (!pattern.test(stderr)) return;
        clearTimeout(timer);
        waiters.delete(wake);
        resolve();
      };
      waiters.add(wake);
      void done.then(
        () => {
          if (!waiters.has(wake)) return;
          clearTimeout(timer);
          waiters.delete(wake);
          if (pattern.test(stderr)) resolve();
          else
            reject(new Error(`bandctl exited before printing ${pattern} on stderr:\n${stdout}\n[stderr]\n${stderr}`));
        },
        (error: Error) => reject(error),
      );
      wake();
    });
  return { child, waitForStderr, done };
}

/** Runs bandctl to the end. */
export function bandctl(
  args: string[],
  options: { command?: string[]; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Run> {
  return startBandctl(args, options).done;
}

/** A fresh directory under the system temp dir; `remove()` deletes it. */
export async function tempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `band-stack-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
