import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * bandsim (dist/firmware-sim/bandsim.js) as a child process on a UDP-HID port, for tests that cross a real
 * process boundary. `npm test` builds dist/ first; run `npx tsc -p tsconfig.json` before running such a test alone.
 */
const root = new URL('../..', import.meta.url).pathname;
export const BANDSIM = join(root, 'dist/firmware-sim/bandsim.js');

export interface RunningBand {
  port: number;
  child: ChildProcess;
  /** Everything bandsim printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

function newestSource(path: string): number {
  return readdirSync(path, { withFileTypes: true }).reduce((newest, entry) => {
    const full = join(path, entry.name);
    if (entry.isDirectory()) return Math.max(newest, newestSource(full));
    return entry.name.endsWith('.ts') ? Math.max(newest, statSync(full).mtimeMs) : newest;
  }, 0);
}

/** Throws a clear message when dist/ has no bandsim; warns when it is older than the band's sources. */
export function requireBuiltBandsim(): void {
  if (!existsSync(BANDSIM)) {
    throw new Error(`${BANDSIM} is missing: build first with \`npx tsc -p tsconfig.json\` (npm test does it)`);
  }
  const sources = Math.max(...['proto', 'transport', 'firmware-sim'].map((layer) => newestSource(join(root, layer))));
  if (statSync(BANDSIM).mtimeMs < sources) {
    console.warn(
      `WARNING: ${BANDSIM} is older than the sources; this test runs the built band (npx tsc -p tsconfig.json)`,
    );
  }
}

/**
 * Starts `bandsim --udp-hid 127.0.0.1:0 --preset authenticated --user tw-user2 --debug-link [--auto-presence]`
 * (`blank: true`: `--preset blank`, an unenrolled band off the wrist), plus `options.args`, waits for "ready" and
 * reads the port from its "listening udp-hid" line.
 */
export function startBandsim(
  options: { autoPresence?: boolean; args?: string[]; blank?: boolean } = {},
): Promise<RunningBand> {
  const preset = options.blank ? ['--preset', 'blank'] : ['--preset', 'authenticated', '--user', 'tw-user2'];
  const args = ['--udp-hid', '127.0.0.1:0', ...preset, '--debug-link'];
  const child = spawn(
    process.execPath,
    [BANDSIM, ...args, ...(options.autoPresence === false ? [] : ['--auto-presence']), ...(options.args ?? [])],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (out += chunk));
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
  return new Promise<RunningBand>((resolve, reject) => {
    // A deadline for a hung start, not a speed check: a loaded shared machine has taken over 15 s.
    const timer = setTimeout(() => fail(new Error(`bandsim printed no "ready" within 45 s; it said:\n${out}`)), 45_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const early = (code: number | null) => fail(new Error(`bandsim exited (${code}) before "ready"; it said:\n${out}`));
    child.once('exit', early);
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (!/^ready$/m.test(out)) return;
      const port = /^listening udp-hid 127\.0\.0\.1:(\d+)$/m.exec(out);
      if (!port) return fail(new Error(`bandsim said "ready" without a "listening udp-hid" line:\n${out}`));
      clearTimeout(timer);
      child.off('exit', early);
      resolve({ port: Number(port[1]), child, output: () => out, stop });
    });
  });
}
