import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DirectoryAdmin, MemoryDirectory, applyReEnrollment, decisionBasis } from '../../host/directory/index.js';
import {
  FileProgressStore,
  MemoryProgressStore,
  type ProgressStore,
  type ReEnrollmentJournal,
} from '../../host/re-enrollment/progress-store.js';

/** What a caller may hold: a journal it built itself, every part of it mutable (JavaScript callers can edit any). */
type Mutable<T> = T extends readonly (infer R)[]
  ? Mutable<R>[]
  : T extends object
    ? { -readonly [K in keyof T]: Mutable<T[K]> }
    : T;

/**
 * Every member set, optional ones included (`Required`): a member added to the journal later must be added here,
 * and a store that does not keep it fails the round trip.
 */
function fullJournal(): Mutable<Required<ReEnrollmentJournal>> {
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
    (read as Mutable<ReEnrollmentJournal>).basis!.users[0].name = 'mallory';
    expect(await store.get('alice')).toEqual(fullJournal());
  });
});

describe('a basis read from the directory is deeply frozen, so a journal shares it', () => {
  it('holds the committed rows themselves; the memory store keeps that basis and copies the rest', async () => {
    const directory = new MemoryDirectory({ clock: () => new Date('2026-03-01T08:00:00Z') });
    await directory.update((d) => {
      DirectoryAdmin.setPolicy(d, { allowReEnrollOwnBand: true });
      DirectoryAdmin.registerUser(d, 'alice');
      DirectoryAdmin.registerBand(d, {
        serialNumber: 'BAND-00001',
        deviceId: '00112233445566778899aabbccddeeff',
        seosEnabled: false,
      });
    });
    await directory.update((d) =>
      applyReEnrollment(d, {
        userName: 'alice',
        band: { serialNumber: 'BAND-00001', deviceId: '00112233445566778899aabbccddeeff', seosEnabled: false },
      }),
    );
    const view = await directory.snapshot();
    const basis = decisionBasis(view, 'alice', 'BAND-00001');
    expect(basis.users[0]).toBe(view.users[0]);
    expect(basis.bands[0]).toBe(view.bands[0]);
    expect(basis.associations[0]).toBe(view.associations[0]);
    expect(basis.policy).toBe(view.policy);
    expect(Object.isFrozen(basis) && Object.isFrozen(basis.users) && Object.isFrozen(basis.associations)).toBe(true);
    // Nothing can edit it: a write throws (ES modules are strict) and the basis stays as read.
    expect(() => {
      (basis as Mutable<typeof basis>).associations[0].isActive = false;
    }).toThrow(TypeError);
    expect(() => {
      (basis as Mutable<typeof basis>).users.push({ name: 'mallory', created: view.users[0].created });
    }).toThrow(TypeError);

    const store = new MemoryProgressStore();
    const journal: ReEnrollmentJournal = {
      userName: 'alice',
      bandSerial: 'BAND-00001',
      deviceId: '00112233445566778899aabbccddeeff',
      phase: 'enrolled',
      decision: { allowed: true, kind: 'own-band' },
      basis,
      recreated: {},
      started: '2026-03-01T08:00:00.000Z',
    };
    await store.put(journal);
    journal.recreated['login.example.com'] = 'AAEC';
    journal.phase = 'committed';
    const read = await store.get('alice');
    expect(read!.basis).toBe(basis);
    expect(read).toEqual({ ...journal, phase: 'enrolled', recreated: {} });
    // A basis the directory's draft gives (mutable rows) is copied into frozen rows, never frozen in place.
    await directory.update((d) => {
      const rows = d.associations;
      const fromDraft = decisionBasis(d, 'alice', 'BAND-00001');
      expect(fromDraft.associations[0]).not.toBe(rows[0]);
      expect(fromDraft.associations[0]).toEqual(rows[0]);
      expect(Object.isFrozen(rows[0])).toBe(false);
      expect(Object.isFrozen(fromDraft.associations[0])).toBe(true);
    });
  });
});

describe('a frozen journal (the orchestrator makes one per change)', () => {
  it('is kept and handed out as it is by the memory store; a journal with a mutable part is still copied', async () => {
    const store = new MemoryProgressStore();
    const frozen: ReEnrollmentJournal = Object.freeze({
      userName: 'alice',
      bandSerial: 'BAND-0001',
      deviceId: '00112233445566778899aabbccddeeff',
      phase: 'enrolled',
      decision: Object.freeze({ allowed: true, kind: 'own-band' }),
      recreated: Object.freeze({ 'login.example.com': 'AAEC' }),
      started: '2026-03-01T08:00:00.000Z',
    } as const);
    await store.put(frozen);
    expect(await store.get('alice')).toBe(frozen);
    // One part left mutable: the store cannot know nobody edits it, so it copies.
    const partly: ReEnrollmentJournal = { ...frozen, recreated: { 'login.example.com': 'AAEC' } };
    Object.freeze(partly);
    await store.put(partly);
    partly.recreated['other.example.com'] = 'BBB';
    const read = await store.get('alice');
    expect(read).not.toBe(partly);
    expect(read!.recreated).toEqual({ 'login.example.com': 'AAEC' });
  });
});
