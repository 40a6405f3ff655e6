import { chmod, mkdir, readFile, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SOCAT, systemTool } from '../support/system-deps.js';
import { socatPair } from '../transport/socat-pair.js';
import { ROOT, bandctl, killAll, requireBuilt, startBandsim, tempDir } from './processes.js';

/**
 * `bandctl info` against `bandsim` as separate processes, over each wire a rig uses: UDP-HID (the issue's
 * acceptance scenario), a serial pty pair from socat, and TCP.
 */
beforeAll(requireBuilt);
afterEach(killAll);

const socat = systemTool(SOCAT);

function expectInfo(document: any, serialNumber = 'AAAH-00125') {
  expect(document).toMatchObject({
    ok: true,
    serialNumber,
    state: 'authenticated',
    enrolled: true,
    userName: 'tw-user2',
    label: 'TW-USER2',
  });
}

describe('bandsim --udp-hid and bandctl --transport udp-hid: (the acceptance scenario)', () => {
  it('info --json prints the serial number, state and user name', async () => {
    const band = await startBandsim([
      '--udp-hid',
      '127.0.0.1:0',
      '--preset',
      'authenticated',
      '--user',
      'tw-user2',
      '--auto-presence',
    ]);
    // Port 0: the kernel picks a free port; bandsim prints the one it got.
    const address = band.endpoints['udp-hid']!;
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(address).not.toBe('127.0.0.1:0');
    const run = await bandctl(['--transport', `udp-hid:${address}`, 'info', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expectInfo(run.json());
    // The human form says the same.
    const human = await bandctl(['--transport', `udp-hid:${address}`, 'info']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^serial number +AAAH-00125$/m);
    expect(human.stdout).toMatch(/^state +authenticated \(screen: authenticated\)$/m);
    expect(human.stdout).toMatch(/^user +tw-user2 \(label TW-USER2\)$/m);
    expect(await band.stop()).toEqual({ code: 0, signal: null });
    expect(band.output()).toMatch(/^stopping: SIGTERM$/m);
  });

  /**
   * The package's bins by name, as `npx bandsim` / `npx bandctl` run them. In this checkout `npm ci` does not
   * link the package's own bins (npm never links a root package's bin into its own node_modules/.bin), and npm 11's
   * `npx --no-install bandsim` in the package directory then fails (it wants to install the package into the npx
   * cache, which also runs `prepare`, i.e. a full build). So the test sets up what `npm install band-stack` gives a
   * rig: node_modules/band-stack and node_modules/.bin links made from package.json's "bin", targets made executable
   * (npm's bin-links does both), and runs `npx --no-install bandsim` / `npx --no-install bandctl` from there. That
   * proves the bin names, the paths in package.json and the shebang lines.
   */
  it('works through the package bins: npx bandsim / npx bandctl', async () => {
    const rig = await tempDir('npx-rig');
    try {
      const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
        name: string;
        bin: Record<string, string>;
      };
      expect(Object.keys(pkg.bin).sort()).toEqual(['bandctl', 'bandsim']);
      await mkdir(join(rig.path, 'node_modules/.bin'), { recursive: true });
      await symlink(ROOT, join(rig.path, 'node_modules', pkg.name), 'dir');
      for (const [name, target] of Object.entries(pkg.bin)) {
        await chmod(resolve(ROOT, target), 0o755);
        await symlink(join('..', pkg.name, target), join(rig.path, 'node_modules/.bin', name));
      }
      const npx = (bin: string) => ({ command: ['npx', '--no-install', bin], cwd: rig.path });
      const band = await startBandsim(
        ['--udp-hid', '127.0.0.1:0', '--preset', 'authenticated', '--user', 'tw-user2', '--auto-presence'],
        npx('bandsim'),
      );
      const run = await bandctl(['--transport', `udp-hid:${band.endpoints['udp-hid']}`, 'info', '--json'], {
        ...npx('bandctl'),
        timeoutMs: 60_000,
      });
      expect(run.code, run.stderr).toBe(0);
      expectInfo(run.json());
    } finally {
      await killAll();
      await rig.remove();
    }
  }, 90_000);
});

describe('bandctl info over TCP', () => {
  it('reads a band served by bandsim --tcp', async () => {
    const band = await startBandsim([
      '--tcp',
      '127.0.0.1:0',
      '--preset',
      'authenticated',
      '--user',
      'tw-user2',
      '--serial-number',
      'ACAK-00056',
    ]);
    const run = await bandctl(['--transport', `tcp:${band.endpoints.tcp}`, 'info', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expectInfo(run.json(), 'ACAK-00056');
  });
});

describe.skipIf(!socat.ok)('bandctl info over a serial pty pair (socat)', () => {
  const pairs: Awaited<ReturnType<typeof socatPair>>[] = [];
  afterAll(async () => {
    await Promise.all(pairs.map((p) => p.kill()));
  });

  it('reads a band served by bandsim --serial on the other end', async () => {
    const pair = await socatPair();
    pairs.push(pair);
    const [bandEnd, hostEnd] = pair.paths;
    const band = await startBandsim([
      '--serial',
      bandEnd,
      '--baud',
      '9600',
      '--preset',
      'authenticated',
      '--user',
      'tw-user2',
    ]);
    expect(band.endpoints.serial).toBe(bandEnd);
    const run = await bandctl(['--transport', `serial:${hostEnd}?baud=9600`, 'info', '--json']);
    expect(run.code, run.stderr).toBe(0);
    expectInfo(run.json());
    // A second command on the same port: the band serves the next host once the first closed.
    const again = await bandctl(['--transport', `serial:${hostEnd}`, 'state', '--json']);
    expect(again.code, again.stderr).toBe(0);
  });
});
