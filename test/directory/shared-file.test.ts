import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  FileDirectory,
  decodeDirectoryFile,
  enrollBand,
  registerBand,
  registerUser,
  type DirectorySnapshot,
} from '../../host/directory/index.js';
import { decodeRelyingPartyState } from '../../host/relying-party/relying-party-state.js';
import { FileProgressStore, type ReEnrollmentJournal } from '../../host/re-enrollment/index.js';
import { BANDCTL_BIN, bandctl, bandctlProcess, runNode } from '../support/bandctl.js';
import { withTempDir } from './fixtures.js';

const dist = (path: string) => new URL(`../../dist/${path}`, import.meta.url).pathname;

function requireBuilt(): void {
  if (!existsSync(BANDCTL_BIN)) throw new Error(`${BANDCTL_BIN} is missing: build first (npx tsc -p tsconfig.json)`);
}

/** A 16-byte device ID, distinct per i. */
const deviceId = (i: number) => i.toString(16).padStart(32, '0');
const serial = (i: number) => `PROC-${String(i).padStart(5, '0')}`;

async function readDirectory(path: string): Promise<DirectorySnapshot> {
  return decodeDirectoryFile(await readFile(path, 'utf8'), path);
}

describe('one directory file, many bandctl processes at once', () => {
  it(
    '40 concurrent add-user / add-band processes: every write that reported ok is in the file',
    { timeout: 240_000 },
    async () => {
      requireBuilt();
      await withTempDir(async (dir) => {
        const file = join(dir, 'directory.json');
        const N = 20;
        const commands = [
          ...Array.from({ length: N }, (_, i) => ['directory', 'add-user', `user-${i}`]),
          ...Array.from({ length: N }, (_, i) => ['directory', 'add-band', serial(i), '--device-id', deviceId(i)]),
        ];
        const runs = await Promise.all(
          commands.map((args) => bandctlProcess([...args, '--directory', file, '--json'], { cwd: dir })),
        );
        const ok = runs.filter((r) => r.code === 0 && r.json().ok === true);
        // None of these writes conflict, so none may fail (a lost write would show up as a missing row below).
        expect(
          runs.filter((r) => r.code !== 0).map((r) => r.stderr + r.stdout),
          'every process succeeds',
        ).toEqual([]);
        expect(ok).toHaveLength(2 * N);

        const saved = await readDirectory(file);
        expect(saved.users.map((u) => u.name).sort()).toEqual(Array.from({ length: N }, (_, i) => `user-${i}`).sort());
        expect(saved.bands.map((b) => b.serialNumber).sort()).toEqual(
          Array.from({ length: N }, (_, i) => serial(i)).sort(),
        );
        // The backup is the file as it was one commit earlier: a valid directory with exactly one row fewer.
        const backup = await readDirectory(`${file}.bak`);
        expect(backup.users.length + backup.bands.length).toBe(2 * N - 1);
        // No lock and no temp file is left behind.
        expect((await readdir(dir)).sort()).toEqual(['directory.json', 'directory.json.bak']);
      });
    },
  );

  it(
    '8 processes race to assign one band to 8 users: exactly one wins, and the file says that one',
    { timeout: 240_000 },
    async () => {
      requireBuilt();
      await withTempDir(async (dir) => {
        const file = join(dir, 'directory.json');
        const N = 8;
        const library = new FileDirectory(file);
        await library.update((d) => {
          for (let i = 0; i < N; i++) registerUser(d, `user-${i}`);
        });
        expect(
          (await bandctlProcess(['directory', 'add-band', serial(1), '--device-id', deviceId(1), '--directory', file]))
            .code,
        ).toBe(0);
        const runs = await Promise.all(
          Array.from({ length: N }, (_, i) =>
            bandctlProcess(
              ['directory', 'assign', '--user', `user-${i}`, '--band', serial(1), '--directory', file, '--json'],
              {
                cwd: dir,
              },
            ),
          ),
        );
        const winners = runs.flatMap((r, i) => (r.code === 0 ? [`user-${i}`] : []));
        expect(winners).toHaveLength(1);
        for (const r of runs.filter((x) => x.code !== 0)) expect(r.json().error.code).toBe('BAND_HELD');
        const saved = await readDirectory(file);
        expect(saved.associations.map((a) => [a.userName, a.serialNumber])).toEqual([[winners[0], serial(1)]]);
      });
    },
  );

  it(
    'a lock left by a killed process is taken over once stale, and what that process never committed is absent',
    { timeout: 120_000 },
    async () => {
      await withTempDir(async (dir) => {
        const file = join(dir, 'directory.json');
        await new FileDirectory(file).update((d) => registerUser(d, 'before'));
        // A writer that takes the lock, changes its draft, and is killed before committing.
        const script = `
        const { FileDirectory, registerUser } = await import(${JSON.stringify(dist('host/directory/index.js'))});
        await new FileDirectory(${JSON.stringify(file)}).update(async (d) => {
          registerUser(d, 'killed');
          process.stdout.write('locked\\n');
          // Alive until killed (proper-lockfile's refresh timer does not hold the process open).
          setInterval(() => {}, 1000);
          await new Promise(() => {});
        });`;
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        await new Promise<void>((resolve, reject) => {
          child.stdout.setEncoding('utf8').on('data', (chunk: string) => chunk.includes('locked') && resolve());
          child.on('exit', (code) => reject(new Error(`the lock holder exited early (${code})`)));
        });
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
        expect((await stat(`${file}.lock`)).isDirectory()).toBe(true);

        const recovering = new FileDirectory(file, { lock: { staleMs: 5_000, waitMs: 60_000 } });
        await recovering.update((d) => registerUser(d, 'after'));
        const saved = await readDirectory(file);
        expect(saved.users.map((u) => u.name)).toEqual(['before', 'after']);
        expect(existsSync(`${file}.lock`)).toBe(false);
      });
    },
  );

  it('a process that waits too long for the lock gives up with LOCKED, writing nothing', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'directory.json');
      const holder = new FileDirectory(file);
      let release!: () => void;
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holding = holder.update(async (d) => {
        registerUser(d, 'holder');
        locked();
        await new Promise<void>((resolve) => (release = resolve));
      });
      await isLocked;
      const impatient = new FileDirectory(file, { lock: { waitMs: 300 } });
      await expect(impatient.update((d) => registerUser(d, 'impatient'))).rejects.toMatchObject({
        code: 'LOCKED',
        path: file,
      });
      release();
      await holding;
      expect((await readDirectory(file)).users.map((u) => u.name)).toEqual(['holder']);
    });
  });

  it('a corrupt file names its backup, and both are left untouched', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'directory.json');
      const directory = new FileDirectory(file);
      await directory.update((d) => registerUser(d, 'one'));
      await directory.update((d) => registerUser(d, 'two'));
      const { writeFile } = await import('node:fs/promises');
      await writeFile(file, '{"format": "band-stack/directory", "version": 1, "users": [');
      const backup = await readFile(`${file}.bak`);
      const error = await new FileDirectory(file).update((d) => registerUser(d, 'three')).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'CORRUPT', path: file });
      expect((error as Error).message).toContain(`${file}.bak`);
      expect(await readFile(`${file}.bak`)).toEqual(backup);
      expect((await readDirectory(`${file}.bak`)).users.map((u) => u.name)).toEqual(['one']);
    });
  });
});

describe('the re-enrollment progress file, shared by processes', () => {
  it("10 processes each record their user's resume point at once: all 10 are kept", { timeout: 240_000 }, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'directory.json.progress.json');
      const N = 10;
      const journal = (i: number): ReEnrollmentJournal => ({
        userName: `user-${i}`,
        bandSerial: serial(i),
        deviceId: deviceId(i),
        phase: 'enrolled',
        decision: { allowed: true, kind: 'own-band' },
        recreated: {},
        started: '2026-01-01T00:00:00.000Z',
      });
      const runs = await Promise.all(
        Array.from({ length: N }, (_, i) =>
          runNode([
            '--input-type=module',
            '-e',
            `const { FileProgressStore } = await import(${JSON.stringify(dist('host/re-enrollment/progress-store.js'))});
             const store = new FileProgressStore(${JSON.stringify(path)});
             await store.put(${JSON.stringify(journal(i))});
             await store.put({ ...${JSON.stringify(journal(i))}, recreated: { 'login.example.com': 'key-${i}' } });`,
          ]),
        ),
      );
      expect(runs.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
      const store = new FileProgressStore(path);
      for (let i = 0; i < N; i++) {
        expect(await store.get(`user-${i}`)).toEqual({ ...journal(i), recreated: { 'login.example.com': `key-${i}` } });
      }
      // Deleting one user's entry from another process keeps the others.
      expect(
        (
          await runNode([
            '--input-type=module',
            '-e',
            `const { FileProgressStore } = await import(${JSON.stringify(dist('host/re-enrollment/progress-store.js'))}); await new FileProgressStore(${JSON.stringify(path)}).delete('user-3');`,
          ])
        ).code,
      ).toBe(0);
      expect(await store.get('user-3')).toBeUndefined();
      expect(await store.get('user-4')).toBeDefined();
      expect(await store.get('__proto__')).toBeUndefined();
    });
  });
});

describe("the embedded relying party's file (FILE.rp.json), shared by bandctl processes", () => {
  const RP_ID = 'login.example.com';
  /** A band that lives inside one bandctl process, worn and authenticated by `user`, answering taps by itself. */
  const loopback = (i: number) =>
    `loopback?preset=authenticated&user=user-${i}&serial=${serial(i)}&seed=rp-${i}&auto-presence=1`;

  /** A directory giving user-i band PROC-i, with each loopback band's real device ID. */
  async function directoryOfBands(file: string, N: number): Promise<void> {
    const deviceIds: string[] = [];
    for (let i = 0; i < N; i++) {
      const info = await bandctl(['--transport', loopback(i), 'info', '--json']);
      expect(info.code, info.stderr).toBe(0);
      deviceIds.push(info.json().deviceId as string);
    }
    await new FileDirectory(file).update((d) => {
      for (let i = 0; i < N; i++) {
        registerUser(d, `user-${i}`);
        registerBand(d, { serialNumber: serial(i), deviceId: deviceIds[i], seosEnabled: false });
        enrollBand(d, `user-${i}`, serial(i));
      }
    });
  }

  // 40 processes share 2 cores: a starved in-process band may be silent for seconds, which is not the point here.
  const registerKeyArgs = (file: string, i: number) => [
    '--transport',
    loopback(i),
    '--timeout',
    '120000',
    'register-key',
    '--user',
    `user-${i}`,
    '--directory',
    file,
  ];
  const registerKey = (file: string, i: number) => bandctlProcess([...registerKeyArgs(file, i), '--json']);

  async function readRelyingParty(path: string) {
    return decodeRelyingPartyState(await readFile(path, 'utf8'), path, RP_ID);
  }

  it(
    '40 concurrent register-key processes: every key reported registered is in the file, none lost',
    { timeout: 240_000 },
    async () => {
      requireBuilt();
      await withTempDir(async (dir) => {
        const file = join(dir, 'directory.json');
        const N = 40;
        await directoryOfBands(file, N);
        const runs = await Promise.all(Array.from({ length: N }, (_, i) => registerKey(file, i)));
        expect(
          runs.filter((r) => r.code !== 0).map((r) => r.stderr + r.stdout),
          'every process succeeds',
        ).toEqual([]);

        const saved = await readRelyingParty(`${file}.rp.json`);
        for (let i = 0; i < N; i++) {
          const reported = runs[i].json();
          expect(reported).toMatchObject({ ok: true, user: `user-${i}`, bandSerial: serial(i) });
          const stored = saved.users.get(`user-${i}`)?.credentials ?? [];
          expect(
            stored.map((c) => [c.id, c.bandSerial]),
            `user-${i}'s key`,
          ).toEqual([[reported.credentialId, serial(i)]]);
        }
        // The backup is the file one commit earlier, whole; no lock or temp file is left behind.
        await readRelyingParty(`${file}.rp.json.bak`);
        expect((await readdir(dir)).filter((name) => name.startsWith('directory.json.rp')).sort()).toEqual([
          'directory.json.rp.json',
          'directory.json.rp.json.bak',
        ]);
        expect((await readdir(dir)).filter((name) => name.endsWith('.tmp') || name.endsWith('.lock'))).toEqual([]);
      });
    },
  );

  it(
    'register-key processes killed at any moment leave a whole file that holds every key reported registered',
    { timeout: 240_000 },
    async () => {
      requireBuilt();
      await withTempDir(async (dir) => {
        const file = join(dir, 'directory.json');
        const N = 16;
        await directoryOfBands(file, N);
        // Every other process is SIGKILLed at a different moment of its run (start-up, ceremony, commit).
        const runs = await Promise.all(
          Array.from({ length: N }, (_, i) => {
            if (i % 2 === 0) return registerKey(file, i);
            const child = spawn(process.execPath, [BANDCTL_BIN, ...registerKeyArgs(file, i)], { stdio: 'ignore' });
            const timer = setTimeout(() => child.kill('SIGKILL'), 50 * i);
            return new Promise<null>((resolve) =>
              child.on('exit', () => {
                clearTimeout(timer);
                resolve(null);
              }),
            );
          }),
        );
        // A lock a killed process left is taken over once stale; these register after it.
        const survivors = runs.flatMap((r, i) => (r === null ? [] : [{ run: r, i }]));
        expect(survivors.filter(({ run }) => run.code !== 0).map(({ run }) => run.stderr)).toEqual([]);

        const saved = await readRelyingParty(`${file}.rp.json`);
        for (const { run, i } of survivors) {
          expect(saved.users.get(`user-${i}`)?.credentials.map((c) => c.id)).toEqual([run.json().credentialId]);
        }
        // A killed process's key is there whole or not at all.
        for (let i = 1; i < N; i += 2) {
          for (const c of saved.users.get(`user-${i}`)?.credentials ?? []) expect(c.bandSerial).toBe(serial(i));
        }
      });
    },
  );
});
