import { describe, expect, it } from 'vitest';
import {
  MemoryDirectory,
  activeAssociationOf,
  associationOfBand,
  associationsOf,
  associationsOfUserOrBand,
  copyDirectoryState,
  disconnect,
  enrollBand,
  findBand,
  findUser,
  registerBand,
  registerUser,
  restoreOriginalBand,
  primaryAssociationOf,
  suspend,
  type DirectoryDraft,
  type DirectorySnapshot,
} from '../../host/directory/index.js';
import { steppingClock } from './fixtures.js';

const USERS = ['tw-user1', 'tw-user2', 'tw-user3', 'nobody'];
const BANDS = ['AAAH-00001', 'AAAH-00002', 'AAAH-00003', 'AAAH-00004', 'ZZZZ-99999'];

/** Every query, for every user and band named above (some of them unknown to the directory). */
function answers(view: DirectorySnapshot) {
  return {
    users: USERS.map((name) => [
      findUser(view, name),
      associationsOf(view, name),
      activeAssociationOf(view, name),
      primaryAssociationOf(view, name),
      BANDS.map((serial) => associationsOfUserOrBand(view, name, serial)),
    ]),
    bands: BANDS.map((serial) => [findBand(view, serial), associationOfBand(view, serial)]),
  };
}

const steps: ((d: DirectoryDraft) => void)[] = [
  (d) => {
    for (const name of USERS.slice(0, 3)) registerUser(d, name);
    BANDS.slice(0, 4).forEach((serialNumber, i) =>
      registerBand(d, { serialNumber, deviceId: String(i + 1).padStart(32, '0'), seosEnabled: false }),
    );
  },
  (d) => enrollBand(d, 'tw-user1', 'AAAH-00001'),
  (d) => enrollBand(d, 'tw-user2', 'AAAH-00002'),
  (d) => enrollBand(d, 'tw-user2', 'AAAH-00003'),
  (d) => enrollBand(d, 'tw-user1', 'AAAH-00004'),
  (d) => suspend(d, 'tw-user1', 'AAAH-00004'),
  (d) => restoreOriginalBand(d, 'tw-user2'),
  (d) => disconnect(d, 'tw-user1', 'AAAH-00001'),
  (d) => enrollBand(d, 'tw-user3', 'AAAH-00001'),
  (d) => enrollBand(d, 'tw-user2', 'AAAH-00003'),
];

describe('directory queries', () => {
  it("answer the same on a directory's snapshot (its indexes) as on a detached copy (row by row), in row order", async () => {
    const directory = new MemoryDirectory({ clock: steppingClock() });
    const snapshots: [DirectorySnapshot, ReturnType<typeof answers>][] = [];
    for (const step of steps) {
      await directory.update(step);
      const view = await directory.snapshot();
      const expected = answers(copyDirectoryState(view));
      expect(answers(view)).toEqual(expected);
      snapshots.push([view, expected]);
    }
    // A user with several bands lists them as the rows are ordered.
    const now = await directory.snapshot();
    expect(associationsOf(now, 'tw-user2').map((a) => a.serialNumber)).toEqual(
      now.associations.filter((a) => a.userName === 'tw-user2').map((a) => a.serialNumber),
    );
    expect(associationsOf(now, 'tw-user2').length).toBe(2);
    // An older snapshot answers from its own rows, not from the directory as it is now.
    for (const [view, expected] of snapshots) expect(answers(view)).toEqual(expected);
  });

  it('inside a transaction answer from the draft: untouched tables as committed, touched ones with its changes', async () => {
    const directory = new MemoryDirectory({ clock: steppingClock() });
    for (const step of steps.slice(0, 4)) await directory.update(step);
    const before = await directory.snapshot();
    let kept: DirectoryDraft | undefined;
    await directory.update((d) => {
      kept = d;
      // Nothing touched yet: every answer is the committed directory's.
      expect(answers(d)).toEqual(answers(copyDirectoryState(before)));
      registerUser(d, 'nobody');
      expect(findUser(d, 'nobody')?.name).toBe('nobody');
      disconnect(d, 'tw-user2', 'AAAH-00002');
      expect(associationOfBand(d, 'AAAH-00002')).toBeUndefined();
      expect(associationsOf(d, 'tw-user2').map((a) => a.serialNumber)).toEqual(['AAAH-00003']);
      d.bands = d.bands.filter((b) => b.serialNumber !== 'AAAH-00002');
      expect(findBand(d, 'AAAH-00002')).toBeUndefined();
      expect(answers(d)).toEqual(answers(copyDirectoryState(d)));
    });
    const after = await directory.snapshot();
    expect(after.users.map((u) => u.name)).toEqual([...before.users.map((u) => u.name), 'nobody']);
    expect(after.bands.map((b) => b.serialNumber)).not.toContain('AAAH-00002');
    // A draft looked at after its transaction still holds what it held.
    expect(kept!.users.map((u) => u.name)).toEqual(after.users.map((u) => u.name));
    expect(kept!.associations.length).toBe(after.associations.length);

    // A transaction that only reads commits nothing; one that breaks a rule in a table it touches is refused.
    await directory.update((d) => void associationsOf(d, 'tw-user1'));
    expect(await directory.snapshot()).toBe(after);
    await expect(
      directory.update((d) => {
        d.associations.push({ ...d.associations[0], serialNumber: 'ZZZZ-99999' });
      }),
    ).rejects.toMatchObject({ code: 'INVARIANT' });
    expect(await directory.snapshot()).toBe(after);
  });
});
