import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FileProgressStore,
  MemoryProgressStore,
  type ProgressStore,
  type ReEnrollmentJournal,
} from '../../host/re-enrollment/progress-store.js';

/**
 * Every member set, optional ones included (`Required`): a member added to the journal later must be added here,
 * and a store that does not keep it fails the round trip.
 */
function fullJournal(): Required<ReEnrollmentJournal> {
  return {
    userName: 'alice',
    bandSerial: 'BAND-0001',
    deviceId: '00112233445566778899aabbccddeeff',
    phase: 'committed',
    decision: { allowed: true, kind: 'other-users-band', previousHolder: 'bob' },
    basis: {
      userName: 'alice',
      serialNumber: 'BAND-0001',
      policy: { allowReEnrollOwnBand: true, allowReEnrollAnyActiveBand: true },
      users: [{ name: 'alice', created: '2026-01-01T00:00:00.000Z' }],
      bands: [
        {
          serialNumber: 'BAND-0001',
          deviceId: '00112233445566778899aabbccddeeff',
          seosEnabled: true,
          created: '2026-01-01T00:00:00.000Z',
        },
      ],
      associations: [
        {
          userName: 'bob',
          serialNumber: 'BAND-0001',
          isActive: true,
          isPrimary: true,
          notes: 'issued at the desk',
          created: '2026-01-02T00:00:00.000Z',
        },
      ],
    },
    recreated: { 'login.example.com': 'AAEC' },
    started: '2026-03-01T08:00:00.000Z',
  };
}

describe('a progress store keeps the whole journal, and a copy of it', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  const stores: [string, () => Promise<ProgressStore>][] = [
    ['MemoryProgressStore', async () => new MemoryProgressStore()],
    [
      'FileProgressStore',
      async () => {
        const dir = await mkdtemp(join(tmpdir(), 'progress-store-'));
        dirs.push(dir);
        return new FileProgressStore(join(dir, 'journal.json'));
      },
    ],
  ];
  it.each(stores)('%s', async (_, make) => {
    const store = await make();
    const journal = fullJournal();
    await store.put(journal);
    // The orchestrator edits its journal as it goes: nothing it changes after put reaches the store.
    journal.basis.associations[0].isActive = false;
    journal.basis.policy.allowReEnrollOwnBand = false;
    journal.recreated['other.example.com'] = 'BBB';
    journal.decision.previousHolder = 'carol';
    const read = await store.get('alice');
    expect(read).toEqual(fullJournal());
    // Nor does an edit of what was read.
    read!.basis!.users[0].name = 'mallory';
    expect(await store.get('alice')).toEqual(fullJournal());
  });
});
