import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltBandsim, startBandsim, type RunningBand } from '../support/bandsim.js';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const source = join(root, 'docs/examples/host-app.ts');
const compiled = join(root, 'dist/examples/host-app.js');

/**
 * docs/host-guide.md's program, as a host developer would build it: compiled on its own with `tsc --strict`
 * against the package's published types (it imports 'band-stack' by name), then run as a process against a
 * bandsim process over UDP-HID.
 */
describe('the host guide program', () => {
  let band: RunningBand;
  let dir: string;

  beforeAll(async () => {
    requireBuiltBandsim();
    dir = await mkdtemp(join(tmpdir(), 'host-guide-'));
    // dist/examples keeps it inside the package, so 'band-stack' resolves to this package's exports.
    await run(
      process.execPath,
      [
        join(root, 'node_modules/typescript/bin/tsc'),
        '--strict',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        '--types',
        'node',
        '--rootDir',
        join(root, 'docs/examples'),
        '--outDir',
        join(root, 'dist/examples'),
        source,
      ],
      { cwd: root },
    );
    band = await startBandsim({ autoPresence: false });
  }, 180_000);

  afterAll(async () => {
    await band?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is the code the guide shows', async () => {
    const guide = await readFile(join(root, 'docs/host-guide.md'), 'utf8');
    const code = await readFile(source, 'utf8');
    expect(guide).toContain(code.trim());
  });

  it('registers a key and re-enrolls the band against a file directory, showing progress', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        compiled,
        '--band',
        `udp-hid:127.0.0.1:${band.port}`,
        '--directory',
        join(dir, 'directory.json'),
        '--user',
        'tw-user2',
        '--simulate-user',
        'tw-user2/right-index',
      ],
      { timeout: 120_000 },
    );
    expect(stdout).toMatch(/^band AAAH-00125, firmware bandsim/m);
    expect(stdout).toMatch(/^registered key \S+ with login\.example\.com$/m);
    expect(stdout).toMatch(/^policy: done \(the user's own band\)$/m);
    expect(stdout).toMatch(/^ {2}fingerprint 6\/6$/m);
    expect(stdout).toMatch(/^re-enrolled: 1 key\(s\) re-created, 1 retired$/m);
    expect(stdout).toMatch(/^AAAH-00125 {2}Active {2}Primary/m);
    const saved = JSON.parse(await readFile(join(dir, 'directory.json'), 'utf8')) as { bands: { deviceId: string }[] };
    expect(saved.bands[0].deviceId).toMatch(/^[0-9a-f]{32}$/);
  }, 150_000);

  it('explains an unreachable band by its error class, exit 1', async () => {
    const failed = await run(
      process.execPath,
      [compiled, '--band', 'tcp:127.0.0.1:1', '--directory', join(dir, 'other.json'), '--user', 'tw-user2'],
      { timeout: 60_000 },
    ).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringMatching(/^cannot reach the band \(\w+\): /) });
  }, 60_000);
});
