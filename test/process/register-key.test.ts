import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bandctl, killAll, requireBuilt, startBandsim, tempDir, type Bandsim } from './processes.js';

/**
 * register-key protects the people whose bands it touches, as processes: it refuses a user the directory lacks,
 * a user it gives no band, a band it does not give that user and a band enrolled to someone else, each with
 * exit 1 and one line; a second registration is said plainly; argument mistakes exit 2 before any band is opened.
 */
beforeAll(requireBuilt);
afterAll(killAll);

describe('bandctl register-key against bandsim (AAAH-00125, enrolled to tw-user2)', () => {
  let band: Bandsim;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let file = '';
  let transport = '';
  const ctl = (args: string[]) => bandctl(['--transport', transport, ...args, '--directory', file]);
  const directory = async (...args: string[]) => {
    const run = await bandctl(['directory', ...args, '--directory', file]);
    expect(run.code, run.stderr).toBe(0);
  };
  const registerKey = (user: string) => ctl(['register-key', '--user', user, '--simulate-user', `${user}/right-index`]);

  beforeAll(async () => {
    dir = await tempDir('register-key');
    file = join(dir.path, 'directory.json');
    band = await startBandsim([
      '--tcp',
      '127.0.0.1:0',
      '--debug-link',
      '--seed',
      'register-key',
      '--preset',
      'authenticated',
      '--user',
      'tw-user2',
    ]);
    await band.waitForLine(/^ready$/);
    transport = `tcp:${band.endpoints.tcp}`;
    const info = await bandctl(['--transport', transport, 'info', '--json']);
    await directory('add-band', 'AAAH-00125', '--device-id', info.json().deviceId);
    await directory('add-band', 'ACAK-00056', '--device-id', '00112233445566778899aabbccddeeff');
  });
  afterAll(async () => {
    await band?.stop();
    await dir?.remove();
  });

  it('refuses a user the directory lacks, before opening the band', async () => {
    const run = await registerKey('ghost');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `bandctl: register-key: ghost is not in the directory ${file}; add them with 'bandctl directory add-user ghost'\n`,
    );
  });

  it('refuses a user the directory gives no band', async () => {
    await directory('add-user', 'tw-user9');
    const run = await registerKey('tw-user9');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "bandctl: register-key: the directory assigns no band to tw-user9; assign one with 'bandctl directory assign --user tw-user9 --band SERIAL'\n",
    );
  });

  it('refuses a band the directory does not assign to that user', async () => {
    await directory('add-user', 'u1');
    await directory('assign', '--user', 'u1', '--band', 'ACAK-00056');
    const run = await registerKey('u1');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "bandctl: register-key: the directory does not assign AAAH-00125 to u1 (u1's: ACAK-00056); connect to u1's band with --transport\n",
    );
  });

  it('refuses a band enrolled to another person', async () => {
    await directory('add-user', 'u3');
    await directory('assign', '--user', 'u3', '--band', 'AAAH-00125');
    const run = await registerKey('u3');
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "bandctl: register-key: AAAH-00125 is enrolled to tw-user2, not u3; re-enroll it with 'bandctl reenroll --user u3 --band AAAH-00125'\n",
    );
    await directory('disconnect', '--user', 'u3', '--band', 'AAAH-00125');
  });

  it("registers the band's own user; a second registration says the key exists, in a sentence", async () => {
    await directory('add-user', 'tw-user2');
    await directory('assign', '--user', 'tw-user2', '--band', 'AAAH-00125');
    const first = await registerKey('tw-user2');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^login\.example\.com registered key \S+ for tw-user2 on AAAH-00125\.$/m);
    const second = await registerKey('tw-user2');
    expect(second.code).toBe(1);
    expect(second.stderr).toBe('bandctl: tw-user2 already has a key for login.example.com on this band\n');
  }, 60_000);
});

describe('identifiers are checked before anything is opened (an unreachable band would exit 3)', () => {
  const cases: [string[], string][] = [
    [
      ['reenroll', '--user', 'tw-user2', '--band', 'AAAH125'],
      `bandctl: reenroll: --band: expected a band serial number of four capital letters, a dash and five digits as printed on the band's back (e.g. AAAH-00125), got "AAAH125"\n`,
    ],
    [
      ['directory', 'add-band', 'aaah-125', '--device-id', '00'],
      `bandctl: directory add-band: SERIAL: expected a band serial number of four capital letters, a dash and five digits as printed on the band's back (e.g. AAAH-00125), got "aaah-125"\n`,
    ],
    [
      ['register-key', '--user', ' tw-user2'],
      'bandctl: register-key: --user: a user name may not start or end with white space; give the name as the directory spells it\n',
    ],
  ];
  for (const [args, message] of cases) {
    it(`bandctl ${args.join(' ')}`, async () => {
      const run = await bandctl(['--transport', 'tcp:127.0.0.1:1', ...args, '--directory', '/nonexistent/d.json']);
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(message);
    });
  }
});
