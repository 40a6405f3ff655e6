import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExitCode, classify } from '../../host/cli/exit-codes.js';
import {
  DirectoryError,
  FileDirectory,
  ReEnrollmentRefusedError,
  applyReEnrollment,
  decideReEnrollment,
  registerUser,
  setPolicy,
  type ReEnrollmentRefused,
} from '../../host/directory/index.js';
import { bandctl as run } from '../support/bandctl.js';

const root = new URL('../..', import.meta.url).pathname;

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bandctl-directory-test-'));
  file = join(dir, 'directory.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bandctl = (args: string[], env: NodeJS.ProcessEnv = {}) => run(args, { env });

/** `bandctl directory ARGS --directory <temp file>`. */
const dirctl = (...args: string[]) => bandctl(['directory', ...args, '--directory', file]);

async function expectOk(args: string[]) {
  const result = await dirctl(...args);
  expect(result.stderr, `bandctl directory ${args.join(' ')}`).toBe('');
  expect(result.code).toBe(0);
  return result;
}

/** Two users, three bands; tw-user1 holds ACAK-00056 (Active, Primary). */
async function seed() {
  await expectOk(['add-user', 'tw-user1']);
  await expectOk(['add-user', 'tw-user2']);
  await expectOk(['add-band', 'AAAH-00125', '--device-id', '000000000000000000000000000000A1']);
  await expectOk(['add-band', 'ACAK-00056', '--device-id', '000000000000000000000000000000b2']);
  await expectOk(['add-band', 'SEOS-00001', '--device-id', '000000000000000000000000000000c3', '--seos']);
  await expectOk(['assign', '--user', 'tw-user1', '--band', 'ACAK-00056']);
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('bandctl directory: reading', () => {
  it('renders the product document example: AAAH-00125 Primary but not active, ACAK-00056 Active', async () => {
    // The self-service effect is the library's (the CLI has no self-service subcommand); the CLI shows it.
    let t = Date.parse('2024-03-04T10:15:00.000Z');
    const library = new FileDirectory(file, { clock: () => new Date((t += 3_600_000)) });
    await library.update((d) => registerUser(d, 'tw-user2'));
    const enroll = (serialNumber: string, deviceId: string) =>
      library.update((d) =>
        applyReEnrollment(d, { userName: 'tw-user2', band: { serialNumber, deviceId, seosEnabled: false } }),
      );
    await enroll('AAAH-00125', '00a1'.padStart(32, '0'));
    await library.update((d) => setPolicy(d, { allowReEnrollOwnBand: true }));
    await enroll('ACAK-00056', '00b2'.padStart(32, '0'));

    const human = await expectOk(['user', 'tw-user2']);
    expect(human.stdout).toBe(
      [
        'User Properties: tw-user2',
        'Serial Number | Is Active | Is Primary | Notes                      | Created',
        '--------------+-----------+------------+----------------------------+-------------------------',
        'AAAH-00125    |           | Primary    | Self-service enrollment    | 2024-03-04T12:15:00.000Z',
        'ACAK-00056    | Active    |            | Self-service re-enrollment | 2024-03-04T14:15:00.000Z',
        '',
      ].join('\n'),
    );

    const json = (await expectOk(['user', 'tw-user2', '--json'])).json();
    expect(json).toEqual({
      ok: true,
      directory: file,
      user: 'tw-user2',
      rows: [
        {
          serialNumber: 'AAAH-00125',
          isActive: '',
          isPrimary: 'Primary',
          notes: 'Self-service enrollment',
          created: '2024-03-04T12:15:00.000Z',
        },
        {
          serialNumber: 'ACAK-00056',
          isActive: 'Active',
          isPrimary: '',
          notes: 'Self-service re-enrollment',
          created: '2024-03-04T14:15:00.000Z',
        },
      ],
    });
  });

  it('lists users with their bands, and the bands nobody holds', async () => {
    await seed();
    await expectOk(['assign', '--user', 'tw-user2', '--band', 'AAAH-00125']);
    await expectOk(['assign', '--user', 'tw-user2', '--band', 'SEOS-00001']);
    await expectOk(['disconnect', '--user', 'tw-user1', '--band', 'ACAK-00056']);

    const human = (await expectOk(['users'])).stdout.split('\n');
    expect(human[0]).toMatch(/^User\s+\| Created\s+\| Bands$/);
    expect(human.find((l) => l.startsWith('tw-user1'))).toMatch(/\| -$/);
    expect(human.find((l) => l.startsWith('tw-user2'))).toMatch(/\| AAAH-00125 \(Primary\), SEOS-00001 \(Active\)$/);
    expect(human).toContain('Unassigned bands: ACAK-00056');

    const json = (await expectOk(['users', '--json'])).json();
    expect(json.ok).toBe(true);
    expect(json.unassignedBands).toEqual(['ACAK-00056']);
    expect(json.users.map((u: { name: string }) => u.name)).toEqual(['tw-user1', 'tw-user2']);
    expect(json.users[1].created).toMatch(ISO);
    expect(json.users[1].bands).toEqual([
      { serialNumber: 'AAAH-00125', isActive: false, isPrimary: true },
      { serialNumber: 'SEOS-00001', isActive: true, isPrimary: false },
    ]);
  });

  it('reads an absent file as an empty directory and does not create it', async () => {
    const result = await expectOk(['users']);
    expect(result.stdout).toBe(`No users in ${file}.\nUnassigned bands: none\n`);
    expect(existsSync(file)).toBe(false);
  });

  it('takes the file from $BANDCTL_DIRECTORY when --directory is not given', async () => {
    await expectOk(['add-user', 'tw-user2']);
    const result = await bandctl(['directory', 'users', '--json'], { BANDCTL_DIRECTORY: file });
    expect(result.code).toBe(0);
    expect(result.json().users.map((u: { name: string }) => u.name)).toEqual(['tw-user2']);
  });

  it('shows the default policy (both settings off) and sets only the settings given', async () => {
    const shown = await expectOk(['policy']);
    expect(shown.stdout).toMatch(/re-register their Nymi Band \(--own-band\)\s+off\n/);
    expect(shown.stdout).toMatch(/any active Nymi Band \(--any-active-band\)\s+off\n/);
    expect(existsSync(file)).toBe(false);

    const set = await expectOk(['policy', '--own-band', 'on', '--json']);
    expect(set.json()).toEqual({
      ok: true,
      directory: file,
      changes: [{ kind: 'policy-changed', setting: 'allowReEnrollOwnBand', from: false, to: true }],
      policy: { allowReEnrollOwnBand: true, allowReEnrollAnyActiveBand: false },
    });
    const both = await expectOk(['policy', '--any-active-band', 'on', '--own-band', 'off']);
    expect(both.stdout).toContain('Policy "Allow a user to re-enroll any active Nymi Band": off -> on.');
    expect(both.stdout).toContain('Policy "Allow a user to re-enroll / re-register their Nymi Band": on -> off.');
    expect((await expectOk(['policy', '--json'])).json().policy).toEqual({
      allowReEnrollOwnBand: false,
      allowReEnrollAnyActiveBand: true,
    });
  });
});

describe('bandctl directory: administrator changes', () => {
  it('add-user prints the change and the (empty) User Properties; --json carries the same', async () => {
    const human = await expectOk(['add-user', 'tw-user2']);
    expect(human.stdout.split('\n').slice(0, 4)).toEqual([
      'Added user tw-user2.',
      '',
      'User Properties: tw-user2',
      expect.stringMatching(/^Serial Number \| Is Active/),
    ]);
    expect(human.stdout).toContain('(no bands)');
    const json = (await expectOk(['add-user', 'tw-user3', '--json'])).json();
    expect(json).toEqual({
      ok: true,
      directory: file,
      changes: [{ kind: 'user-added', userName: 'tw-user3' }],
      user: 'tw-user3',
      rows: [],
    });
  });

  it('add-band registers a band assigned to nobody, device ID lower-cased, SEOS flag as given', async () => {
    const plain = await expectOk(['add-band', 'AAAH-00125', '--device-id', '000000000000000000000000000000A1']);
    expect(plain.stdout).toBe(
      'Registered band AAAH-00125 (device ID 000000000000000000000000000000a1, HID SEOS no).\n',
    );
    const json = (
      await expectOk(['add-band', 'SEOS-00001', '--device-id', '0000000000000000000000000000BEEF', '--seos', '--json'])
    ).json();
    expect(json.changes).toEqual([
      {
        kind: 'band-added',
        serialNumber: 'SEOS-00001',
        deviceId: '0000000000000000000000000000beef',
        seosEnabled: true,
      },
    ]);
    expect(json.band).toEqual({
      serialNumber: 'SEOS-00001',
      deviceId: '0000000000000000000000000000beef',
      seosEnabled: true,
      created: expect.stringMatching(ISO),
    });
    const stored = JSON.parse(await readFile(file, 'utf8'));
    expect(stored.bands.map((b: { serialNumber: string }) => b.serialNumber)).toEqual(['AAAH-00125', 'SEOS-00001']);
  });

  it('assign makes the first band Active and Primary, and a second one Active only (the product example by hand)', async () => {
    await seed();
    const first = await expectOk(['assign', '--user', 'tw-user2', '--band', 'AAAH-00125']);
    expect(first.stdout).toMatch(/^Assigned band AAAH-00125 to tw-user2 \(Active, Primary\)\.\n/);
    expect(first.stdout).toMatch(/AAAH-00125 +\| Active +\| Primary +\| Enrolled by administrator \|/);

    const second = await dirctl(
      'assign',
      '--user',
      'tw-user2',
      '--band',
      'SEOS-00001',
      '--notes',
      'Temporary band',
      '--json',
    );
    expect(second.code).toBe(0);
    const json = second.json();
    expect(json.changes).toEqual([
      {
        kind: 'association-changed',
        userName: 'tw-user2',
        serialNumber: 'AAAH-00125',
        before: { isActive: true, isPrimary: true, notes: 'Enrolled by administrator' },
        after: { isActive: false, isPrimary: true, notes: 'Enrolled by administrator' },
      },
      {
        kind: 'association-added',
        userName: 'tw-user2',
        serialNumber: 'SEOS-00001',
        isActive: true,
        isPrimary: false,
        notes: 'Temporary band',
      },
    ]);
    expect(json.rows.map((r: Record<string, string>) => [r.serialNumber, r.isActive, r.isPrimary, r.notes])).toEqual([
      ['AAAH-00125', '', 'Primary', 'Enrolled by administrator'],
      ['SEOS-00001', 'Active', '', 'Temporary band'],
    ]);
  });

  it('restore makes the primary band active again and removes the temporary one', async () => {
    await seed();
    await expectOk(['assign', '--user', 'tw-user2', '--band', 'AAAH-00125']);
    await expectOk(['assign', '--user', 'tw-user2', '--band', 'SEOS-00001']);
    const restored = await expectOk(['restore', '--user', 'tw-user2']);
    expect(restored.stdout).toContain('Band AAAH-00125 of tw-user2: now Active.');
    expect(restored.stdout).toContain('Removed band SEOS-00001 from tw-user2; the band is now assigned to nobody.');
    const rows = (await expectOk(['user', 'tw-user2', '--json'])).json().rows;
    expect(rows.map((r: Record<string, string>) => [r.serialNumber, r.isActive, r.isPrimary])).toEqual([
      ['AAAH-00125', 'Active', 'Primary'],
    ]);
    expect((await expectOk(['restore', '--user', 'tw-user2'])).stdout).toMatch(
      /^Nothing changed: the directory already said so\.\n/,
    );
  });

  it('suspend clears Is Active and keeps Is Primary; suspending again changes nothing', async () => {
    await seed();
    const suspended = await dirctl('suspend', '--user', 'tw-user1', '--band', 'ACAK-00056', '--json');
    expect(suspended.code).toBe(0);
    expect(suspended.json().changes).toEqual([
      expect.objectContaining({
        kind: 'association-changed',
        serialNumber: 'ACAK-00056',
        after: expect.objectContaining({ isActive: false, isPrimary: true }),
      }),
    ]);
    expect(suspended.json().rows).toEqual([
      expect.objectContaining({ serialNumber: 'ACAK-00056', isActive: '', isPrimary: 'Primary' }),
    ]);
    const again = await expectOk(['suspend', '--user', 'tw-user1', '--band', 'ACAK-00056']);
    expect(again.stdout).toMatch(/^Nothing changed/);
  });

  it('disconnect removes the association and frees the band for another user', async () => {
    await seed();
    const result = await expectOk(['disconnect', '--user', 'tw-user1', '--band', 'ACAK-00056']);
    expect(result.stdout).toMatch(/^Removed band ACAK-00056 from tw-user1; the band is now assigned to nobody\.\n/);
    expect(result.stdout).toContain('(no bands)');
    await expectOk(['assign', '--user', 'tw-user2', '--band', 'ACAK-00056']);
  });
});

describe('bandctl directory: refusals', () => {
  /** Runs a command that must fail and checks the file is byte-for-byte as it was. */
  async function expectRefused(args: string[], exit: number, message: RegExp, code?: string) {
    const before = existsSync(file) ? await readFile(file) : undefined;
    const human = await dirctl(...args);
    expect(human.code, `bandctl directory ${args.join(' ')}`).toBe(exit);
    expect(human.stdout).toBe('');
    expect(human.stderr).toMatch(message);
    const json = await dirctl(...args, '--json');
    expect(json.code).toBe(exit);
    expect(json.json()).toEqual({
      ok: false,
      error: { code: code ?? expect.any(String), message: expect.stringMatching(message) },
    });
    expect(existsSync(file) ? await readFile(file) : undefined).toEqual(before);
  }

  it.each([
    [
      [],
      /expected a subcommand \(user, users, policy, add-user, add-band, assign, disconnect, suspend, restore\), got none/,
    ],
    [['frobnicate'], /unknown subcommand 'frobnicate'/],
    [['user'], /directory user: expected one NAME, got none/],
    [['user', 'a', 'b'], /directory user: expected one NAME, got 2 \(a b\)/],
    [['users', 'tw-user2'], /directory users: expected no arguments besides options, got 1 \(tw-user2\)/],
    [['user', 'tw-user2', '--seos'], /directory user: --seos does not apply here/],
    [['user', 'tw-user2', '--frobnicate'], /unknown option --frobnicate/],
    [
      ['add-band', 'AAAH-125', '--device-id', '00000000000000000000000000000000'],
      /directory add-band: SERIAL: .*four capital letters, a dash and five digits.*"AAAH-125"/,
    ],
    [
      ['add-band', 'AAAH-00125'],
      /directory add-band: expected --device-id HEX; usage: bandctl directory add-band SERIAL --device-id HEX \[--seos\]/,
    ],
    [
      ['add-band', 'AAAH-00125', '--device-id', 'xyz'],
      /directory add-band: --device-id: .*16 bytes as 32 hex digits.*"xyz"/,
    ],
    [
      ['add-band', 'AAAH-00125', '--device-id', '00a1'],
      /directory add-band: --device-id: .*16 bytes as 32 hex digits.*"00a1"/,
    ],
    [['policy', '--own-band', 'maybe'], /expected --own-band on\|off, got 'maybe'/],
    [['assign', '--user', 'tw-user2'], /directory assign: expected --band SERIAL/],
    [['assign', '--band', 'AAAH-00125'], /directory assign: expected --user NAME/],
    [
      ['assign', '--user', ' tw-user2', '--band', 'AAAH-00125'],
      /directory assign: --user: .*may not start or end with white space/,
    ],
    [['restore', '--user', 'tw-user2', '--band', 'AAAH-00125'], /directory restore: --band does not apply here/],
  ])('bad command line %j: exit 2 naming the problem, nothing written', async (args, message) => {
    await expectRefused(args, ExitCode.USAGE, message, 'USAGE');
  });

  it('shows the usage of the subcommand after a usage error, on the same one line', async () => {
    const result = await dirctl('user');
    expect(result.stderr).toBe(
      'bandctl: directory user: expected one NAME, got none; usage: bandctl directory user NAME\n',
    );
  });

  it.each([
    [['add-user', 'tw-user1'], /User tw-user1 is already in the directory/, 'DUPLICATE_USER'],
    [
      ['add-band', 'AAAH-00125', '--device-id', '0000000000000000000000000000ffff'],
      /Band AAAH-00125 is already registered/,
      'DUPLICATE_BAND',
    ],
    [
      ['add-band', 'ZZZZ-99999', '--device-id', '000000000000000000000000000000a1'],
      /Device ID 000000000000000000000000000000a1 is already registered as band AAAH-00125/,
      'DUPLICATE_BAND',
    ],
    [
      ['assign', '--user', 'tw-user2', '--band', 'ACAK-00056'],
      /Band ACAK-00056 is assigned to tw-user1; disconnect it from tw-user1 first/,
      'BAND_HELD',
    ],
    [
      ['assign', '--user', 'tw-user2', '--band', 'ZZZZ-99999'],
      /Expected band ZZZZ-99999 to be registered/,
      'UNKNOWN_BAND',
    ],
    [
      ['disconnect', '--user', 'tw-user2', '--band', 'ACAK-00056'],
      /Expected band ACAK-00056 to be associated with tw-user2, but it is assigned to tw-user1/,
      'NOT_ASSOCIATED',
    ],
    [['suspend', '--user', 'tw-user2', '--band', 'AAAH-00125'], /it is assigned to nobody/, 'NOT_ASSOCIATED'],
    [['restore', '--user', 'tw-user2'], /User tw-user2 has no primary band to restore/, 'NO_PRIMARY_BAND'],
    [
      ['user', 'nobody'],
      /Expected a directory user named "nobody".*\(directory file: .*directory\.json\)/,
      'UNKNOWN_USER',
    ],
  ])('the directory refuses %j: exit 1 with its reason, file unchanged', async (args, message, code) => {
    await seed();
    await expectRefused(args, ExitCode.FAILED, message, code);
  });

  it('refuses a corrupt directory file without touching it', async () => {
    await writeFile(file, '{"format": "something-else"}');
    await expectRefused(
      ['add-user', 'tw-user2'],
      ExitCode.FAILED,
      /Directory file .* is unusable: expected "format"/,
      'CORRUPT',
    );
  });

  it("maps the directory's policy refusal (REFUSED) to exit 5, and other directory errors to exit 1", async () => {
    const library = new FileDirectory(file);
    await library.update((d) => {
      registerUser(d, 'tw-user1');
      registerUser(d, 'tw-user2');
      applyReEnrollment(d, {
        userName: 'tw-user1',
        band: { serialNumber: 'ACAK-00056', deviceId: '000000000000000000000000000000b2', seosEnabled: false },
      });
    });
    const decision = decideReEnrollment(await library.snapshot(), 'tw-user2', 'ACAK-00056');
    expect(decision.allowed).toBe(false);
    expect(classify(new ReEnrollmentRefusedError(decision as ReEnrollmentRefused))).toEqual({
      exit: ExitCode.REFUSED_BY_POLICY,
      code: 'REFUSED',
    });
    expect(classify(new DirectoryError('BAND_HELD', 'x'))).toEqual({ exit: ExitCode.FAILED, code: 'BAND_HELD' });
  });
});

describe('bandctl directory: help', () => {
  it('lists every subcommand and option in its usage, and appears in bandctl --help', async () => {
    const usage = (await bandctl(['directory', '--help'])).stdout;
    for (const word of [
      'user NAME',
      'users',
      'policy',
      'add-user NAME',
      'add-band SERIAL',
      'assign',
      'disconnect',
      'suspend',
      'restore --user NAME',
    ]) {
      expect(usage).toContain(`  ${word}`);
    }
    for (const option of [
      '--directory FILE',
      '--user NAME',
      '--band SERIAL',
      '--notes TEXT',
      '--device-id HEX',
      '--seos',
      '--own-band on|off',
      '--any-active-band on|off',
      '--json',
    ]) {
      expect(usage).toMatch(new RegExp(`\\n  ${option.replace(/[|]/g, '\\|')} `));
    }
    expect((await bandctl(['--help'])).stdout).toMatch(/\n {2}directory +the enterprise server's administrator view/);
  });
});

describe('bandctl directory: the built binary', () => {
  const bin = join(root, 'dist/host/bandctl.js');

  /** Newest .ts under the layers bandctl is built from: rebuild only when dist is older. */
  function newestSource(path: string): number {
    return readdirSync(path, { withFileTypes: true }).reduce((newest, entry) => {
      const full = join(path, entry.name);
      if (entry.isDirectory()) return Math.max(newest, newestSource(full));
      return entry.name.endsWith('.ts') ? Math.max(newest, statSync(full).mtimeMs) : newest;
    }, 0);
  }

  it('prints the User Properties as one JSON document (node dist/host/bandctl.js)', { timeout: 240_000 }, async () => {
    const sources = Math.max(...['proto', 'transport', 'host'].map((layer) => newestSource(join(root, layer))));
    if (!existsSync(bin) || statSync(bin).mtimeMs < sources) {
      const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8' });
      // tsc still emits on type errors; a failed build is reported, not hidden, because dist may be half stale.
      expect(build.status, `npx tsc -p tsconfig.json failed:\n${build.stdout}${build.stderr}`).toBe(0);
    }
    await expectOk(['add-user', 'tw-user2']);
    await expectOk(['add-band', 'AAAH-00125', '--device-id', '000000000000000000000000000000a1']);
    await expectOk(['assign', '--user', 'tw-user2', '--band', 'AAAH-00125']);

    const run = spawnSync(process.execPath, [bin, 'directory', 'user', 'tw-user2', '--directory', file, '--json'], {
      cwd: dir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const document = JSON.parse(run.stdout);
    expect(document).toEqual({
      ok: true,
      directory: file,
      user: 'tw-user2',
      rows: [
        {
          serialNumber: 'AAAH-00125',
          isActive: 'Active',
          isPrimary: 'Primary',
          notes: 'Enrolled by administrator',
          created: expect.stringMatching(ISO),
        },
      ],
    });
  });
});
