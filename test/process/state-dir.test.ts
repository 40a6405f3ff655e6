import { readdir, writeFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bandctl, killAll, requireBuilt, startBandsim, tempDir } from './processes.js';

/** bandsim --state DIR: what a band learns survives SIGTERM and a new process, as flash survives a power cycle. */
beforeAll(requireBuilt);
afterEach(killAll);

let state: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  state = await tempDir('bandsim-state');
});
afterAll(async () => {
  await state.remove();
});

describe('bandsim --state DIR across restarts', () => {
  it('keeps the user enrolled through bandctl enroll; a --preset on restart is ignored with a note', async () => {
    const first = await startBandsim([
      '--tcp',
      '127.0.0.1:0',
      '--state',
      state.path,
      '--debug-link',
      '--seed',
      'state-dir',
    ]);
    const before = await bandctl(['--transport', `tcp:${first.endpoints.tcp}`, 'info', '--json']);
    expect(before.code, before.stderr).toBe(0);
    expect(before.json()).toMatchObject({ enrolled: false, state: 'unenrolled' });

    const enroll = await bandctl([
      '--transport',
      `tcp:${first.endpoints.tcp}`,
      'enroll',
      '--user',
      'tw-user3',
      '--simulate-user',
      'tw-user3/right-index',
      '--json',
    ]);
    expect(enroll.code, enroll.stderr).toBe(0);
    expect(enroll.json()).toMatchObject({ ok: true, userName: 'tw-user3', label: 'TW-USER3' });
    const deviceId = enroll.json().deviceId;

    expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(first.output()).toMatch(/^stopping: SIGTERM$/m);
    expect((await readdir(state.path)).length).toBeGreaterThan(0);

    // A new process on the same directory, asked for another user: the flash wins.
    const second = await startBandsim([
      '--tcp',
      '127.0.0.1:0',
      '--state',
      state.path,
      '--preset',
      'authenticated',
      '--user',
      'someone-else',
    ]);
    expect(second.output()).toContain(
      `note: ${state.path} already holds user tw-user3; --preset authenticated ignored`,
    );
    const after = await bandctl(['--transport', `tcp:${second.endpoints.tcp}`, 'info', '--json']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.json()).toMatchObject({ enrolled: true, userName: 'tw-user3', label: 'TW-USER3', deviceId });
    expect(await second.stop('SIGINT')).toEqual({ code: 0, signal: null });
    expect(second.output()).toMatch(/^stopping: SIGINT$/m);
  });
});

describe('bandsim --state on a path it cannot create', () => {
  it('exits 1 at once naming the path and the file in the way, instead of hanging or a bare ENOTDIR', async () => {
    const dir = await tempDir('bandsim-state-file');
    try {
      const file = `${dir.path}/not-a-directory`;
      await writeFile(file, 'x');
      const started = startBandsim(['--tcp', '127.0.0.1:0', '--state', `${file}/band`]);
      await expect(started).rejects.toThrow(/exited \(1\)/);
      await expect(started).rejects.toThrow(
        `cannot create the state directory ${file}/band: ${file} is a file, not a directory`,
      );
    } finally {
      await dir.remove();
    }
  });
});
