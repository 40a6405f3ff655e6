import { chmod, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DIRECTORY_PATH,
  DirectoryError,
  FileDirectory,
  MemoryDirectory,
  encodeDirectoryFile,
  enrollBand,
  registerBand,
  registerUser,
  setPolicy,
  type Directory,
} from '../../host/directory/index.js';
import { steppingClock, withTempDir } from './fixtures.js';

async function populate(directory: Directory) {
  await directory.update((d) => {
    registerUser(d, 'tw-user2');
    registerBand(d, { serialNumber: 'AAAH-00125', deviceId: '000000000000000000000000A1B2C3D4', seosEnabled: false });
    enrollBand(d, 'tw-user2', 'AAAH-00125');
  });
  await directory.update((d) => setPolicy(d, { allowReEnrollOwnBand: true }));
}

async function corruptError(path: string): Promise<DirectoryError> {
  return new FileDirectory(path).snapshot().then(
    () => expect.fail('expected CORRUPT'),
    (e: unknown) => e as DirectoryError,
  );
}

describe('FileDirectory', () => {
  it('defaults to ./.band-directory.json', () => {
    expect(DEFAULT_DIRECTORY_PATH).toBe('./.band-directory.json');
    expect(new FileDirectory().path).toBe('./.band-directory.json');
  });

  it('a missing file is an empty directory with the default policy, and nothing is created by reading', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'dir.json');
      const snapshot = await new FileDirectory(path).snapshot();
      expect(snapshot).toEqual({
        users: [],
        bands: [],
        associations: [],
        policy: { allowReEnrollOwnBand: false, allowReEnrollAnyActiveBand: false },
      });
      expect(await readdir(dir)).toEqual([]);
    });
  });

  it('persists every commit; a fresh instance reads back exactly what was saved', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'dir.json');
      const directory = new FileDirectory(path, { clock: steppingClock() });
      await populate(directory);
      const saved = await directory.snapshot();
      expect(saved.bands[0].deviceId).toBe('000000000000000000000000a1b2c3d4');
      expect(await new FileDirectory(path).snapshot()).toEqual(saved);
      // Same logic as the memory directory: identical content from identical operations.
      const memory = new MemoryDirectory({ clock: steppingClock() });
      await populate(memory);
      expect(await memory.snapshot()).toEqual(saved);
      // No temp file or lock is left behind; the file before the last commit is kept as the backup.
      expect((await readdir(dir)).sort()).toEqual(['dir.json', 'dir.json.bak']);
      const backup = await new FileDirectory(`${path}.bak`).snapshot();
      expect(backup.policy.allowReEnrollOwnBand).toBe(false);
      expect(backup.associations).toEqual(saved.associations);
    });
  });

  it('writes the file with mode 0600, also replacing a wider-mode file', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'dir.json');
      await populate(new FileDirectory(path, { clock: steppingClock() }));
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      await chmod(path, 0o644);
      await new FileDirectory(path).update((d) => setPolicy(d, { allowReEnrollAnyActiveBand: true }));
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    });
  });

  it('a temp file left by a crashed write is ignored: the last committed file is read, and writing goes on', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'dir.json');
      await populate(new FileDirectory(path, { clock: steppingClock() }));
      const committed = await readFile(path, 'utf8');
      // What a crash between write and rename leaves: a half-written temp file next to the intact original.
      const stray = join(dir, `.dir.json.${process.pid}.1.tmp`);
      await writeFile(stray, committed.slice(0, committed.length / 2));

      const reopened = new FileDirectory(path);
      expect(await reopened.snapshot()).toEqual(await new FileDirectory(path).snapshot());
      await reopened.update((d) => registerUser(d, 'tw-user3'));
      const after = await new FileDirectory(path).snapshot();
      expect(after.users.map((u) => u.name)).toEqual(['tw-user2', 'tw-user3']);
      // The stray is neither read nor clobbered; the new write used a fresh temp name.
      expect(await readFile(stray, 'utf8')).toBe(committed.slice(0, committed.length / 2));
    });
  });

  it('a failed write commits nothing, in memory or on disk', async () => {
    await withTempDir(async (dir) => {
      const folder = join(dir, 'gone');
      const path = join(folder, 'dir.json');
      const directory = new FileDirectory(path, { clock: steppingClock() });
      expect((await directory.snapshot()).users).toEqual([]);
      // The folder does not exist, so the temp file cannot be created.
      const error = await directory
        .update((d) => registerUser(d, 'tw-user2'))
        .catch((e: unknown) => e as DirectoryError);
      expect(error).toBeInstanceOf(DirectoryError);
      expect(error).toMatchObject({ code: 'IO', path });
      expect((await directory.snapshot()).users).toEqual([]);
    });
  });

  it('a truncated file is CORRUPT naming the file, and is left untouched (also by a later update attempt)', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'dir.json');
      await populate(new FileDirectory(path, { clock: steppingClock() }));
      const size = (await stat(path)).size;
      await truncate(path, Math.floor(size / 2));
      const bytes = await readFile(path);

      const error = await corruptError(path);
      expect(error).toBeInstanceOf(DirectoryError);
      expect(error.code).toBe('CORRUPT');
      expect(error.path).toBe(path);
      expect(error.message).toContain(path);
      expect(error.message).toContain('not valid JSON');

      const directory = new FileDirectory(path);
      await expect(directory.update((d) => registerUser(d, 'x'))).rejects.toMatchObject({ code: 'CORRUPT' });
      // Never silently reset: the next call fails the same way, and the bytes are as they were.
      await expect(directory.snapshot()).rejects.toMatchObject({ code: 'CORRUPT' });
      expect(await readFile(path)).toEqual(bytes);
    });
  });

  const badFiles: Array<[string, (good: Record<string, unknown>) => string, RegExp]> = [
    ['an empty file', () => '', /it is empty/],
    [
      'a wrong version',
      (g) => JSON.stringify({ ...g, version: 2 }),
      /expected "version": 1, found 2 \(written by a newer/,
    ],
    [
      'a missing version',
      (g) => JSON.stringify({ ...g, version: undefined }),
      /expected "version": 1, found undefined/,
    ],
    [
      'a foreign JSON file',
      () => JSON.stringify({ name: 'some-package', version: 1 }),
      /expected "format": "band-stack\/directory"/,
    ],
    ['a JSON array', () => '[]', /top level/],
    [
      'a malformed serial',
      (g) => JSON.stringify({ ...g, bands: [{ ...(g.bands as object[])[0], serialNumber: 'AAAH00125' }] }),
      /well-formed/,
    ],
    [
      'a broken invariant',
      (g) => {
        const a = (g.associations as Record<string, unknown>[])[0];
        return JSON.stringify({ ...g, associations: [a, { ...a }] });
      },
      /band-single-user/,
    ],
  ];

  for (const [what, make, message] of badFiles) {
    it(`${what} is CORRUPT with a message saying what is wrong`, async () => {
      await withTempDir(async (dir) => {
        const path = join(dir, 'dir.json');
        const source = new MemoryDirectory({ clock: steppingClock() });
        await populate(source);
        const good = JSON.parse(encodeDirectoryFile(await source.snapshot()));
        await writeFile(path, make(good));
        const error = await corruptError(path);
        expect(error.code).toBe('CORRUPT');
        expect(error.message).toContain(path);
        expect(error.message).toMatch(message);
      });
    });
  }

  it('an unreadable path is IO, not CORRUPT and not empty', async () => {
    await withTempDir(async (dir) => {
      // A directory where the file should be.
      await expect(new FileDirectory(dir).snapshot()).rejects.toMatchObject({ code: 'IO', path: dir });
    });
  });

  it('recovers once a corrupt file is moved aside', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'dir.json');
      await writeFile(path, '{');
      const directory = new FileDirectory(path);
      await expect(directory.snapshot()).rejects.toMatchObject({ code: 'CORRUPT' });
      await rm(path);
      expect((await directory.snapshot()).users).toEqual([]);
    });
  });
});
