import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DirectoryError,
  MemoryDirectory,
  findViolations,
  activate,
  applyReEnrollment,
  disconnect,
  enrollBand,
  registerBand,
  registerUser,
  restoreOriginalBand,
  setPolicy,
  suspend,
  type DirectoryDraft,
  type DirectorySnapshot,
  type DirectoryState,
} from '../../host/directory/index.js';
import { steppingClock } from './fixtures.js';

/** An oracle written independently of invariants.ts: the four rules of the brief plus references. */
function oracleProblems(s: DirectorySnapshot): string[] {
  const problems: string[] = [];
  const users = new Set(s.users.map((u) => u.name));
  const bands = new Set(s.bands.map((b) => b.serialNumber));
  if (users.size !== s.users.length) problems.push('duplicate user');
  if (bands.size !== s.bands.length) problems.push('duplicate band');
  for (const a of s.associations) {
    if (!users.has(a.userName) || !bands.has(a.serialNumber)) problems.push(`dangling ${a.userName}/${a.serialNumber}`);
  }
  for (const serial of bands) {
    if (s.associations.filter((a) => a.serialNumber === serial).length > 1)
      problems.push(`band ${serial} has two users`);
  }
  for (const user of users) {
    const mine = s.associations.filter((a) => a.userName === user);
    if (mine.filter((a) => a.isActive).length > 1) problems.push(`${user} has two active bands`);
    if (mine.filter((a) => a.isPrimary).length > 1) problems.push(`${user} has two primary bands`);
  }
  return problems;
}

// The last user and the last band start unregistered, so registration operations can succeed too.
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4'];
const SERIALS = ['AAAA-00001', 'AAAA-00002', 'AAAA-00003', 'SEOS-00004', 'AAAA-00005'];
const deviceId = (serial: string) => serial.slice(-2).padStart(32, 'a');

type Op =
  | { op: 'registerUser'; u: number }
  | { op: 'registerBand'; b: number }
  | { op: 'enroll'; u: number; b: number }
  | { op: 'disconnect'; u: number; b: number }
  | { op: 'suspend'; u: number; b: number }
  | { op: 'activate'; u: number; b: number }
  | { op: 'restore'; u: number }
  | { op: 'policy'; own: boolean; any: boolean }
  | { op: 'selfService'; u: number; b: number };

const u = fc.integer({ min: 0, max: USERS.length - 1 });
const b = fc.integer({ min: 0, max: SERIALS.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ op: fc.constant('registerUser' as const), u }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('registerBand' as const), b }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('enroll' as const), u, b }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('disconnect' as const), u, b }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('suspend' as const), u, b }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('activate' as const), u, b }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('restore' as const), u }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('policy' as const), own: fc.boolean(), any: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('selfService' as const), u, b }) },
);

/**
 * Disconnect, Suspend and Activate name an existing row most of the time (u picks one of the user's rows, b is
 * used when the user has none), so they succeed often enough to matter.
 */
function target(d: DirectoryDraft, o: { u: number; b: number }): [string, string] {
  const mine = d.associations.filter((a) => a.userName === USERS[o.u]);
  const row = mine[o.b % Math.max(mine.length, 1)];
  return row ? [row.userName, row.serialNumber] : [USERS[o.u], SERIALS[o.b]];
}

// Mostly single operations (so most commit), sometimes a batch (so all-or-nothing is exercised).
const batchArb = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(opArb).map((t) => [...t]) },
  { weight: 1, arbitrary: fc.array(opArb, { minLength: 2, maxLength: 3 }) },
);

async function populatedWorld(): Promise<MemoryDirectory> {
  const directory = new MemoryDirectory({ clock: steppingClock() });
  await directory.update((d) => {
    for (let i = 0; i < USERS.length - 1; i++) run(d, { op: 'registerUser', u: i });
    for (let i = 0; i < SERIALS.length - 1; i++) run(d, { op: 'registerBand', b: i });
  });
  return directory;
}

function run(d: DirectoryDraft, o: Op): void {
  switch (o.op) {
    case 'registerUser':
      return void registerUser(d, USERS[o.u]);
    case 'registerBand':
      return void registerBand(d, {
        serialNumber: SERIALS[o.b],
        deviceId: deviceId(SERIALS[o.b]),
        seosEnabled: SERIALS[o.b].startsWith('SEOS'),
      });
    case 'enroll':
      return void enrollBand(d, USERS[o.u], SERIALS[o.b]);
    case 'disconnect':
      return void disconnect(d, ...target(d, o));
    case 'suspend':
      return void suspend(d, ...target(d, o));
    case 'activate':
      return void activate(d, ...target(d, o));
    case 'restore':
      return void restoreOriginalBand(d, USERS[o.u]);
    case 'policy':
      return void setPolicy(d, { allowReEnrollOwnBand: o.own, allowReEnrollAnyActiveBand: o.any });
    case 'selfService':
      return void applyReEnrollment(d, {
        userName: USERS[o.u],
        band: {
          serialNumber: SERIALS[o.b],
          deviceId: deviceId(SERIALS[o.b]),
          seosEnabled: SERIALS[o.b].startsWith('SEOS'),
        },
      });
  }
}

describe('directory invariants under random administrator and self-service operations', () => {
  it('operations keep every invariant by themselves, and a rejected batch changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(batchArb, { minLength: 10, maxLength: 60 }), async (batches) => {
        const directory = await populatedWorld();
        for (const batch of batches) {
          const before = await directory.snapshot();
          try {
            await directory.update((d) => batch.forEach((o) => run(d, o)));
          } catch (error) {
            expect(error).toBeInstanceOf(DirectoryError);
            // Each operation checks its own preconditions: the final invariant check is a safety net, never the
            // thing that stops a well-typed call.
            expect((error as DirectoryError).code).not.toBe('INVARIANT');
            expect(await directory.snapshot()).toEqual(before);
          }
          const after = await directory.snapshot();
          expect(oracleProblems(after)).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('restoring the original band always leaves the primary band active and no temporary band', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 30 }), u, async (ops, who) => {
        const directory = await populatedWorld();
        for (const o of ops) await directory.update((d) => run(d, o)).catch(() => undefined);
        const restored = await directory
          .update((d) => restoreOriginalBand(d, USERS[who]))
          .then(
            () => true,
            (e: DirectoryError) => {
              expect(['UNKNOWN_USER', 'NO_PRIMARY_BAND']).toContain(e.code);
              return false;
            },
          );
        if (!restored) return;
        const mine = (await directory.snapshot()).associations.filter((a) => a.userName === USERS[who]);
        expect(mine).toHaveLength(1);
        expect(mine[0]).toMatchObject({ isActive: true, isPrimary: true });
      }),
      { numRuns: 200 },
    );
  });
});

describe("the library's operations on a table the callback has not read", () => {
  // registerUser, registerBand and applyReEnrollment record their few changes beside the committed rows instead of
  // copying whole tables (host/directory/draft.ts): the outcome must be the one the plain arrays give.
  it('give the same outcome, rows and errors as on tables the callback read first', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(batchArb, { minLength: 5, maxLength: 40 }), async (batches) => {
        const overlay = await populatedWorld();
        const arrays = await populatedWorld();
        for (const batch of batches) {
          const outcome = async (directory: MemoryDirectory, readFirst: boolean) =>
            directory
              .update((d) => {
                if (readFirst) void [d.users, d.bands, d.associations];
                return batch.map((o) => run(d, o));
              })
              .then(
                (value) => ({ value }),
                (error: DirectoryError) => ({ code: error.code, message: error.message }),
              );
          expect(await outcome(overlay, false)).toEqual(await outcome(arrays, true));
          expect(await overlay.snapshot()).toEqual(await arrays.snapshot());
        }
      }),
      { numRuns: 200 },
    );
  });

  it('commit after commit unread, every snapshot still shows its own rows when read later', async () => {
    // A view's tables are built when first read, from the changes since the last table built (view-table.ts).
    const directory = await populatedWorld();
    await directory.update((d) => setPolicy(d, { allowReEnrollAnyActiveBand: true }));
    const taken: { snapshot: DirectorySnapshot; users: string[]; active: string[] }[] = [];
    // Two users over four bands (the SEOS band left out): each run moves a band, deactivates a user's other band or
    // reactivates an own band, so rows are added, removed and changed in place.
    const users = ['u0', 'u1'];
    const serials = [SERIALS[0], SERIALS[1], SERIALS[2], SERIALS[4], SERIALS[1]];
    for (let i = 0; i < 80; i++) {
      const who = users[i % users.length];
      await directory.update((d) => {
        if (i % 7 === 6) registerUser(d, `late-${i}`);
        applyReEnrollment(d, {
          userName: who,
          band: { serialNumber: serials[i % 5], deviceId: deviceId(serials[i % 5]), seosEnabled: false },
        });
      });
      const snapshot = await directory.snapshot();
      taken.push({ snapshot, users: [], active: [] });
    }
    // The expected rows, read through a second directory whose callbacks read every table (plain arrays).
    const arrays = await populatedWorld();
    await arrays.update((d) => setPolicy(d, { allowReEnrollAnyActiveBand: true }));
    for (let i = 0; i < 80; i++) {
      const who = users[i % users.length];
      await arrays.update((d) => {
        void [d.users, d.bands, d.associations];
        if (i % 7 === 6) registerUser(d, `late-${i}`);
        applyReEnrollment(d, {
          userName: who,
          band: { serialNumber: serials[i % 5], deviceId: deviceId(serials[i % 5]), seosEnabled: false },
        });
      });
      const expected = await arrays.snapshot();
      taken[i].users = expected.users.map((x) => x.name);
      taken[i].active = expected.associations.filter((a) => a.isActive).map((a) => `${a.userName}/${a.serialNumber}`);
    }
    for (const { snapshot, users: names, active } of [...taken].reverse()) {
      expect(snapshot.users.map((x) => x.name)).toEqual(names);
      expect(snapshot.associations.filter((a) => a.isActive).map((a) => `${a.userName}/${a.serialNumber}`)).toEqual(
        active,
      );
      expect(Object.isFrozen(snapshot.associations)).toBe(true);
    }
  });

  it('a hundred registrations unread, then each snapshot read newest first, shows the users of its time', async () => {
    const directory = await populatedWorld();
    const base = (await directory.snapshot()).users.map((x) => x.name);
    const snapshots: DirectorySnapshot[] = [];
    for (let i = 0; i < 100; i++) {
      await directory.update((d) => registerUser(d, `user-${i}`));
      snapshots.push(await directory.snapshot());
    }
    snapshots.reverse().forEach((snapshot, back) => {
      const count = 100 - back;
      expect(snapshot.users.map((x) => x.name)).toEqual([
        ...base,
        ...Array.from({ length: count }, (_, i) => `user-${i}`),
      ]);
    });
  });

  it('leave every row they did not change the very same frozen object', async () => {
    const directory = await populatedWorld();
    await directory.update((d) => enrollBand(d, 'u1', 'AAAA-00002'));
    const before = await directory.snapshot();
    await directory.update((d) =>
      applyReEnrollment(d, {
        userName: 'u0',
        band: { serialNumber: 'AAAA-00001', deviceId: deviceId('AAAA-00001'), seosEnabled: false },
      }),
    );
    const after = await directory.snapshot();
    expect(after.users).toBe(before.users);
    expect(after.bands).toBe(before.bands);
    expect(after.associations[0]).toBe(before.associations[0]);
    expect(after.associations[1]).toMatchObject({ userName: 'u0', serialNumber: 'AAAA-00001', isActive: true });
    expect(Object.isFrozen(after.associations[1])).toBe(true);
  });
});

describe('update is all-or-nothing', () => {
  async function populated() {
    const directory = new MemoryDirectory({ clock: steppingClock() });
    await directory.update((d) => {
      registerUser(d, 'alice');
      registerUser(d, 'bob');
      registerBand(d, { serialNumber: 'AAAA-00001', deviceId: '00000000000000000000000000000001', seosEnabled: false });
      registerBand(d, { serialNumber: 'AAAA-00002', deviceId: '00000000000000000000000000000002', seosEnabled: false });
      registerBand(d, { serialNumber: 'AAAA-00003', deviceId: '00000000000000000000000000000003', seosEnabled: false });
      enrollBand(d, 'alice', 'AAAA-00001');
      enrollBand(d, 'bob', 'AAAA-00002');
    });
    return directory;
  }

  const breakers: Array<[string, (d: DirectoryDraft) => void]> = [
    [
      'band-single-user',
      (d) => d.associations.push({ ...d.associations[0], userName: 'bob', isActive: false, isPrimary: false }),
    ],
    [
      'user-single-active',
      (d) => d.associations.push({ ...d.associations[0], serialNumber: 'AAAA-00003', isPrimary: false }),
    ],
    [
      'user-single-primary',
      (d) => d.associations.push({ ...d.associations[0], serialNumber: 'AAAA-00003', isActive: false }),
    ],
    [
      'association-references',
      (d) => d.associations.push({ ...d.associations[0], userName: 'carol', serialNumber: 'AAAA-00003' }),
    ],
    ['association-references', (d) => void (d.bands = d.bands.filter((b) => b.serialNumber !== 'AAAA-00001'))],
    ['unique-user-name', (d) => d.users.push({ ...d.users[0] })],
    ['unique-serial-number', (d) => d.bands.push({ ...d.bands[2], deviceId: '00000000000000000000000000000099' })],
    ['unique-device-id', (d) => d.bands.push({ ...d.bands[2], serialNumber: 'AAAA-00009' })],
    [
      'well-formed',
      (d) => d.bands.push({ ...d.bands[2], serialNumber: 'aaaa-9', deviceId: '00000000000000000000000000000098' }),
    ],
    ['well-formed', (d) => void ((d.policy as unknown as Record<string, unknown>).allowReEnrollOwnBand = 'yes')],
    ['well-formed', (d) => void ((d.associations[0] as unknown as Record<string, unknown>).notes = () => 'x')],
  ];

  for (const [rule, breakIt] of breakers) {
    it(`rejects a batch breaking "${rule}" with INVARIANT naming the rule, writing nothing`, async () => {
      const directory = await populated();
      const before = await directory.snapshot();
      const error = await directory
        .update((d) => {
          // A legitimate change first, so "nothing written" is a real claim.
          setPolicy(d, { allowReEnrollOwnBand: true });
          breakIt(d);
        })
        .then(
          () => expect.fail('expected INVARIANT'),
          (e: unknown) => e as DirectoryError,
        );
      expect(error).toBeInstanceOf(DirectoryError);
      expect(error.code).toBe('INVARIANT');
      expect(error.rule).toBe(rule);
      expect(error.message).toContain(rule);
      expect(error.message).toContain('Nothing was written');
      expect(await directory.snapshot()).toEqual(before);
    });
  }

  it("a callback that throws after mutating writes nothing, and the error is the callback's", async () => {
    const directory = await populated();
    const before = await directory.snapshot();
    await expect(
      directory.update(async (d) => {
        disconnect(d, 'alice', 'AAAA-00001');
        await Promise.resolve();
        throw new Error('orchestrator step failed');
      }),
    ).rejects.toThrow('orchestrator step failed');
    expect(await directory.snapshot()).toEqual(before);
  });

  it('a draft kept after commit cannot change the directory', async () => {
    const directory = await populated();
    let leaked: DirectoryDraft | undefined;
    await directory.update((d) => void (leaked = d));
    const before = await directory.snapshot();
    leaked!.associations.length = 0;
    expect(await directory.snapshot()).toEqual(before);
  });

  it('snapshots are frozen', async () => {
    const snapshot = await (await populated()).snapshot();
    expect(Object.isFrozen(snapshot.associations[0])).toBe(true);
    expect(() => (snapshot.associations as unknown as unknown[]).push({})).toThrow(TypeError);
  });

  it('concurrent updates run one at a time, so none is lost', async () => {
    const directory = new MemoryDirectory({ clock: steppingClock() });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        directory.update(async (d) => {
          await new Promise((r) => setTimeout(r, (i * 7) % 5));
          registerUser(d, `user-${i}`);
        }),
      ),
    );
    expect((await directory.snapshot()).users.map((x) => x.name)).toEqual(
      Array.from({ length: 20 }, (_, i) => `user-${i}`),
    );
  });

  it("every row created in one transaction carries that transaction's clock reading", async () => {
    const directory = new MemoryDirectory({ clock: steppingClock('2030-01-01T00:00:00.000Z') });
    await directory.update((d) => {
      registerUser(d, 'a');
      registerBand(d, { serialNumber: 'AAAA-00001', deviceId: '00000000000000000000000000000001', seosEnabled: false });
      enrollBand(d, 'a', 'AAAA-00001');
    });
    const s = await directory.snapshot();
    expect([s.users[0].created, s.bands[0].created, s.associations[0].created]).toEqual(
      Array(3).fill('2030-01-01T00:00:00.000Z'),
    );
  });

  it('an initial state is checked too', () => {
    const bad: DirectoryState = {
      users: [{ name: 'a', created: '2024-01-01T00:00:00.000Z' }],
      bands: [],
      associations: [
        {
          userName: 'a',
          serialNumber: 'AAAA-00001',
          isActive: true,
          isPrimary: true,
          notes: '',
          created: '2024-01-01T00:00:00.000Z',
        },
      ],
      policy: { allowReEnrollOwnBand: false, allowReEnrollAnyActiveBand: false },
    };
    expect(() => new MemoryDirectory({ initial: bad })).toThrow(
      expect.objectContaining({ code: 'INVARIANT', rule: 'association-references' }),
    );
  });

  it('a broken clock is reported, not written', async () => {
    const directory = new MemoryDirectory({ clock: () => new Date(Number.NaN) });
    await expect(directory.update((d) => registerUser(d, 'a'))).rejects.toMatchObject({ code: 'INVALID_CLOCK' });
  });
});

describe('the incremental check on what changed agrees with the full check', () => {
  type Table = 'users' | 'bands' | 'associations';
  const TABLES: Table[] = ['users', 'bands', 'associations'];
  const NAMES = [...USERS, 'zed', '', ' padded'];
  const SERIAL_POOL = [...SERIALS, 'ZZZZ-99999', 'bad'];
  // Raw edits a host app's callback could make, valid or not: the commit must reject exactly the drafts the full
  // check rejects, with its rule.
  const rawEdit = fc.oneof(
    fc.record({ kind: fc.constant('remove' as const), table: fc.constantFrom(...TABLES), at: fc.nat() }),
    fc.record({ kind: fc.constant('swap' as const), table: fc.constantFrom(...TABLES), at: fc.nat(), to: fc.nat() }),
    fc.record({ kind: fc.constant('duplicate' as const), table: fc.constantFrom(...TABLES), at: fc.nat() }),
    fc.oneof(
      ...(
        [
          ['userName', fc.constantFrom(...NAMES)],
          ['serialNumber', fc.constantFrom(...SERIAL_POOL)],
          ['isActive', fc.constantFrom<unknown>(true, true, false, 'x')],
          ['isPrimary', fc.constantFrom<unknown>(true, true, false, 'x')],
          ['notes', fc.constantFrom<unknown>('n', 7)],
          ['created', fc.constantFrom('2030-01-01T00:00:00.000Z', 'yesterday')],
        ] as const
      ).map(([field, value]) =>
        fc.record({
          kind: fc.constant('assoc' as const),
          at: fc.nat(),
          field: fc.constant(field),
          value: value as fc.Arbitrary<unknown>,
        }),
      ),
    ),
    fc.record({
      kind: fc.constant('addAssoc' as const),
      userName: fc.constantFrom(...NAMES),
      serialNumber: fc.constantFrom(...SERIAL_POOL),
      isActive: fc.boolean(),
      isPrimary: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('user' as const), at: fc.nat(), name: fc.constantFrom(...NAMES) }),
    fc.record({
      kind: fc.constant('band' as const),
      at: fc.nat(),
      field: fc.constantFrom('serialNumber', 'deviceId', 'seosEnabled'),
      value: fc.oneof(fc.constantFrom(...SERIAL_POOL, 'aa01', 'aa02', 'AB'), fc.boolean()),
    }),
    fc.record({ kind: fc.constant('policy' as const), value: fc.oneof(fc.boolean(), fc.constant('yes')) }),
  );

  type RawEdit = typeof rawEdit extends fc.Arbitrary<infer T> ? T : never;

  function applyRaw(d: DirectoryDraft, e: RawEdit): void {
    const rows = (t: Table) => d[t] as unknown as Record<string, unknown>[];
    switch (e.kind) {
      case 'remove': {
        const r = rows(e.table);
        if (r.length) r.splice(e.at % r.length, 1);
        return;
      }
      case 'swap': {
        const r = rows(e.table);
        if (r.length) [r[e.at % r.length], r[e.to % r.length]] = [r[e.to % r.length], r[e.at % r.length]];
        return;
      }
      case 'duplicate': {
        const r = rows(e.table);
        if (r.length) r.push({ ...r[e.at % r.length] });
        return;
      }
      case 'assoc': {
        const r = rows('associations');
        if (r.length) r[e.at % r.length][e.field] = e.value;
        return;
      }
      case 'addAssoc':
        d.associations.push({
          userName: e.userName,
          serialNumber: e.serialNumber,
          isActive: e.isActive,
          isPrimary: e.isPrimary,
          notes: '',
          created: d.now,
        });
        return;
      case 'user': {
        const r = rows('users');
        if (r.length) r[e.at % r.length].name = e.name;
        return;
      }
      case 'band': {
        const r = rows('bands');
        if (r.length) r[e.at % r.length][e.field] = e.value;
        return;
      }
      case 'policy':
        (d.policy as unknown as Record<string, unknown>).allowReEnrollAnyActiveBand = e.value;
        return;
    }
  }

  it('commits exactly the drafts with no violation, and rejects the others naming the first rule', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { maxLength: 25 }),
        fc.array(fc.array(rawEdit, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 12 }),
        async (ops, batches) => {
          const directory = await populatedWorld();
          for (const o of ops) await directory.update((d) => run(d, o)).catch(() => undefined);
          for (const batch of batches) {
            const before = await directory.snapshot();
            let expected: ReturnType<typeof findViolations> = [];
            const outcome = await directory
              .update((d) => {
                for (const e of batch) applyRaw(d, e);
                expected = findViolations({
                  users: d.users,
                  bands: d.bands,
                  associations: d.associations,
                  policy: d.policy,
                });
              })
              .then(
                () => undefined,
                (error: DirectoryError) => error,
              );
            if (expected.length === 0) {
              expect(outcome).toBeUndefined();
              expect(findViolations(await directory.snapshot())).toEqual([]);
            } else {
              expect(outcome).toBeInstanceOf(DirectoryError);
              expect(outcome).toMatchObject({ code: 'INVARIANT', rule: expected[0].rule });
              expect(await directory.snapshot()).toBe(before);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an update that changes nothing keeps the very same snapshot; a change makes a new one and leaves the old intact', async () => {
    const directory = await populatedWorld();
    const before = await directory.snapshot();
    await directory.update(() => undefined);
    expect(await directory.snapshot()).toBe(before);
    const copy = structuredClone(before);
    await directory.update((d) => registerUser(d, 'u4'));
    expect(await directory.snapshot()).not.toBe(before);
    expect(before).toEqual(copy);
  });
});
