import { describe, expect, it } from 'vitest';
import {
  DirectoryError,
  MemoryDirectory,
  REFUSAL_BAND_OF_OTHER_USER,
  REFUSAL_SELF_SERVICE_DISABLED,
  ReEnrollmentRefusedError,
  applyReEnrollment,
  copyDirectoryState,
  decideReEnrollment,
  decisionBasis,
  enrollBand,
  registerBand,
  registerUser,
  setPolicy,
  type Association,
  type ReEnrollmentDecision,
} from '../../host/directory/index.js';
import { steppingClock } from './fixtures.js';

const T0 = '2024-05-01T09:00:00.000Z'; // setup
const T2 = '2024-05-01T09:02:00.000Z'; // the re-enrollment (T1 sets the policy)

const ACTOR = 'tw-user2';
const OWN = 'AAAH-00125';
const UNHELD = 'ACAK-00099';
const OTHERS = 'ACAK-00056'; // held by tw-user1
const OTHERS_SEOS = 'ASEO-00007'; // held by tw-user3, SEOS-enabled

const deviceIdOf: Record<string, string> = {
  [OWN]: '0a0b0c01'.padStart(32, '0'),
  [UNHELD]: '0a0b0c02'.padStart(32, '0'),
  [OTHERS]: '0a0b0c03'.padStart(32, '0'),
  [OTHERS_SEOS]: '0a0b0c04'.padStart(32, '0'),
};

async function setup(policy: { own: boolean; any: boolean }) {
  const directory = new MemoryDirectory({ clock: steppingClock(T0) });
  await directory.update((d) => {
    for (const name of ['tw-user1', 'tw-user2', 'tw-user3', 'tw-user4']) registerUser(d, name);
    registerBand(d, { serialNumber: OWN, deviceId: deviceIdOf[OWN], seosEnabled: false });
    registerBand(d, { serialNumber: UNHELD, deviceId: deviceIdOf[UNHELD], seosEnabled: false });
    registerBand(d, { serialNumber: OTHERS, deviceId: deviceIdOf[OTHERS], seosEnabled: false });
    registerBand(d, { serialNumber: OTHERS_SEOS, deviceId: deviceIdOf[OTHERS_SEOS], seosEnabled: true });
    enrollBand(d, 'tw-user2', OWN, { notes: 'Enrolled' });
    enrollBand(d, 'tw-user1', OTHERS, { notes: 'Enrolled' });
    enrollBand(d, 'tw-user3', OTHERS_SEOS, { notes: 'Enrolled' });
  });
  await directory.update((d) =>
    setPolicy(d, { allowReEnrollOwnBand: policy.own, allowReEnrollAnyActiveBand: policy.any }),
  );
  return directory;
}

const row = (
  userName: string,
  serialNumber: string,
  isActive: boolean,
  isPrimary: boolean,
  notes: string,
  created: string,
): Association => ({
  userName,
  serialNumber,
  isActive,
  isPrimary,
  notes,
  created,
});

const BEFORE: Association[] = [
  row('tw-user1', OTHERS, true, true, 'Enrolled', T0),
  row('tw-user2', OWN, true, true, 'Enrolled', T0),
  row('tw-user3', OTHERS_SEOS, true, true, 'Enrolled', T0),
];

/** The directory after a successful re-enrollment of ACTOR to each target. */
const AFTER: Record<string, Association[]> = {
  [OWN]: BEFORE,
  [UNHELD]: [
    row('tw-user1', OTHERS, true, true, 'Enrolled', T0),
    row('tw-user2', OWN, false, true, 'Enrolled', T0),
    row('tw-user2', UNHELD, true, false, 'Self-service re-enrollment', T2),
    row('tw-user3', OTHERS_SEOS, true, true, 'Enrolled', T0),
  ],
  [OTHERS]: [
    row('tw-user2', OWN, false, true, 'Enrolled', T0),
    row('tw-user2', OTHERS, true, false, 'Self-service re-enrollment (previously assigned to tw-user1)', T2),
    row('tw-user3', OTHERS_SEOS, true, true, 'Enrolled', T0),
  ],
};

const sorted = (rows: readonly Association[]) =>
  [...rows].sort((a, b) => a.userName.localeCompare(b.userName) || a.serialNumber.localeCompare(b.serialNumber));

const allowed = (kind: string, previousHolder?: string): ReEnrollmentDecision =>
  previousHolder ? { allowed: true, kind: kind as never, previousHolder } : { allowed: true, kind: kind as never };
const refused = (code: string, reason: string) => ({ allowed: false, code, reason });

type Expectation = ReturnType<typeof allowed> | ReturnType<typeof refused>;

// [own, any] -> target -> expected decision
const MATRIX: Array<{ own: boolean; any: boolean; expect: Record<string, Expectation> }> = [
  {
    own: false,
    any: false,
    expect: {
      [OWN]: refused('SELF_SERVICE_DISABLED', REFUSAL_SELF_SERVICE_DISABLED),
      [UNHELD]: refused('SELF_SERVICE_DISABLED', REFUSAL_SELF_SERVICE_DISABLED),
      [OTHERS]: refused('OTHER_USERS_BAND_NOT_ALLOWED', REFUSAL_BAND_OF_OTHER_USER),
      [OTHERS_SEOS]: refused('SEOS_BAND_OF_OTHER_USER', REFUSAL_BAND_OF_OTHER_USER),
    },
  },
  {
    own: true,
    any: false,
    expect: {
      [OWN]: allowed('own-band'),
      [UNHELD]: allowed('unheld-band'),
      [OTHERS]: refused('OTHER_USERS_BAND_NOT_ALLOWED', REFUSAL_BAND_OF_OTHER_USER),
      [OTHERS_SEOS]: refused('SEOS_BAND_OF_OTHER_USER', REFUSAL_BAND_OF_OTHER_USER),
    },
  },
  {
    own: false,
    any: true,
    expect: {
      [OWN]: allowed('own-band'),
      [UNHELD]: allowed('unheld-band'),
      [OTHERS]: allowed('other-users-band', 'tw-user1'),
      [OTHERS_SEOS]: refused('SEOS_BAND_OF_OTHER_USER', REFUSAL_BAND_OF_OTHER_USER),
    },
  },
  {
    own: true,
    any: true,
    expect: {
      [OWN]: allowed('own-band'),
      [UNHELD]: allowed('unheld-band'),
      [OTHERS]: allowed('other-users-band', 'tw-user1'),
      [OTHERS_SEOS]: refused('SEOS_BAND_OF_OTHER_USER', REFUSAL_BAND_OF_OTHER_USER),
    },
  },
];

describe('self-service policy matrix (own × any × target)', () => {
  for (const { own, any, expect: byTarget } of MATRIX) {
    for (const target of [OWN, UNHELD, OTHERS, OTHERS_SEOS]) {
      const expected = byTarget[target];
      it(`own=${own} any=${any} -> ${target}: ${expected.allowed ? 'allowed' : (expected as { code: string }).code}`, async () => {
        const directory = await setup({ own, any });
        const before = await directory.snapshot();
        expect(sorted(before.associations)).toEqual(BEFORE);

        const decision = decideReEnrollment(before, ACTOR, target);
        expect(decision).toMatchObject(expected);
        // The same on a detached copy (searched row by row, not through the directory's indexes) and on the
        // decision's basis alone (the rows a decision reads).
        expect(decideReEnrollment(copyDirectoryState(before), ACTOR, target)).toEqual(decision);
        expect(decideReEnrollment(decisionBasis(before, ACTOR, target), ACTOR, target)).toEqual(decision);
        if (!decision.allowed) expect(decision.reason).toBe((expected as { reason: string }).reason);

        const band = { serialNumber: target, deviceId: deviceIdOf[target], seosEnabled: target === OTHERS_SEOS };
        const attempt = directory.update((d) => applyReEnrollment(d, { userName: ACTOR, band }));
        if (decision.allowed) {
          const outcome = await attempt;
          expect(outcome.decision).toEqual(decision);
          const after = await directory.snapshot();
          expect(sorted(after.associations)).toEqual(AFTER[target]);
          expect(after.bands).toEqual(before.bands);
        } else {
          const error = await attempt.then(
            () => expect.fail('a refused re-enrollment must throw'),
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(ReEnrollmentRefusedError);
          expect((error as ReEnrollmentRefusedError).code).toBe('REFUSED');
          expect((error as ReEnrollmentRefusedError).decision).toEqual(decision);
          expect((error as Error).message.startsWith(decision.reason)).toBe(true);
          expect(await directory.snapshot()).toEqual(before);
        }
      });
    }
  }

  it('uses the vendor sentence verbatim for bands of other users', () => {
    expect(REFUSAL_BAND_OF_OTHER_USER).toBe(
      'Cannot perform re-enrollment because the NES policy settings do not allow re-enrollment of a Nymi Band that is assigned to another user.',
    );
  });
});

describe('decisions around the matrix', () => {
  it('a first enrollment is not gated by the self-service settings, and registers an unknown band', async () => {
    const directory = await setup({ own: false, any: false });
    const decision = decideReEnrollment(await directory.snapshot(), 'tw-user4', 'ABCD-00001');
    expect(decision).toEqual({ allowed: true, kind: 'first-enrollment' });
    await directory.update((d) =>
      applyReEnrollment(d, {
        userName: 'tw-user4',
        band: { serialNumber: 'ABCD-00001', deviceId: '00000000000000000000000000FFEE01', seosEnabled: true },
      }),
    );
    const after = await directory.snapshot();
    expect(after.associations.find((a) => a.userName === 'tw-user4')).toEqual(
      row('tw-user4', 'ABCD-00001', true, true, 'Self-service enrollment', T2),
    );
    expect(after.bands.find((b) => b.serialNumber === 'ABCD-00001')).toEqual({
      serialNumber: 'ABCD-00001',
      deviceId: '00000000000000000000000000ffee01',
      seosEnabled: true,
      created: T2,
    });
  });

  it("a user without a band still may not take another user's band by default", async () => {
    const directory = await setup({ own: false, any: false });
    expect(decideReEnrollment(await directory.snapshot(), 'tw-user4', OTHERS)).toMatchObject({
      allowed: false,
      code: 'OTHER_USERS_BAND_NOT_ALLOWED',
      reason: REFUSAL_BAND_OF_OTHER_USER,
    });
  });

  it('an unregistered band counts as unheld', async () => {
    const directory = await setup({ own: false, any: false });
    expect(decideReEnrollment(await directory.snapshot(), ACTOR, 'ZZZZ-99999')).toMatchObject({
      code: 'SELF_SERVICE_DISABLED',
    });
    await directory.update((d) => setPolicy(d, { allowReEnrollOwnBand: true }));
    expect(decideReEnrollment(await directory.snapshot(), ACTOR, 'ZZZZ-99999')).toEqual({
      allowed: true,
      kind: 'unheld-band',
    });
  });

  it("an inactive association still makes the band another user's", async () => {
    const directory = await setup({ own: true, any: false });
    // tw-user1 moves to the unheld band; OTHERS stays with tw-user1 as inactive primary.
    await directory.update((d) =>
      applyReEnrollment(d, {
        userName: 'tw-user1',
        band: { serialNumber: UNHELD, deviceId: deviceIdOf[UNHELD], seosEnabled: false },
      }),
    );
    expect(decideReEnrollment(await directory.snapshot(), ACTOR, OTHERS)).toMatchObject({
      code: 'OTHER_USERS_BAND_NOT_ALLOWED',
    });
  });

  it("re-enrolling one's own inactive band makes it active again and deactivates the current one", async () => {
    const directory = await setup({ own: true, any: false });
    const band = (s: string) => ({ serialNumber: s, deviceId: deviceIdOf[s], seosEnabled: false });
    await directory.update((d) => applyReEnrollment(d, { userName: ACTOR, band: band(UNHELD) }));
    const outcome = await directory.update((d) => applyReEnrollment(d, { userName: ACTOR, band: band(OWN) }));
    expect(outcome).toMatchObject({ decision: { kind: 'own-band' }, deactivated: UNHELD });
    const mine = sorted((await directory.snapshot()).associations.filter((a) => a.userName === ACTOR));
    expect(mine.map((a) => [a.serialNumber, a.isActive, a.isPrimary])).toEqual([
      [OWN, true, true],
      [UNHELD, false, false],
    ]);
  });

  it('the own SEOS band may be re-enrolled by its holder', async () => {
    const directory = await setup({ own: true, any: false });
    expect(decideReEnrollment(await directory.snapshot(), 'tw-user3', OTHERS_SEOS)).toEqual({
      allowed: true,
      kind: 'own-band',
    });
  });

  it('re-decides inside the transaction: a decision that went stale is refused and nothing is written', async () => {
    const directory = await setup({ own: true, any: true });
    const expected = decideReEnrollment(await directory.snapshot(), ACTOR, UNHELD);
    if (!expected.allowed) throw new Error('setup');
    // Meanwhile tw-user4 enrolls to the same band.
    await directory.update((d) =>
      applyReEnrollment(d, {
        userName: 'tw-user4',
        band: { serialNumber: UNHELD, deviceId: deviceIdOf[UNHELD], seosEnabled: false },
      }),
    );
    const before = await directory.snapshot();
    await expect(
      directory.update((d) =>
        applyReEnrollment(d, {
          userName: ACTOR,
          band: { serialNumber: UNHELD, deviceId: deviceIdOf[UNHELD], seosEnabled: false },
          expected,
        }),
      ),
    ).rejects.toMatchObject({ code: 'STALE_DECISION' });
    expect(await directory.snapshot()).toEqual(before);
  });

  it('refuses a band whose device ID does not match its registration', async () => {
    const directory = await setup({ own: true, any: false });
    await expect(
      directory.update((d) =>
        applyReEnrollment(d, {
          userName: ACTOR,
          band: { serialNumber: UNHELD, deviceId: '000000000000000000000000deadbeef', seosEnabled: false },
        }),
      ),
    ).rejects.toMatchObject({ code: 'DEVICE_ID_MISMATCH' });
  });

  it('rejects malformed serials and unknown users as caller errors', async () => {
    const snapshot = await (await setup({ own: true, any: true })).snapshot();
    for (const bad of ['aaah-00125', 'AAAH00125', 'AAAH-0012', 'AAAH-001250', ' AAAH-00125', 'AAA1-00125']) {
      expect(() => decideReEnrollment(snapshot, ACTOR, bad)).toThrow(DirectoryError);
      try {
        decideReEnrollment(snapshot, ACTOR, bad);
      } catch (e) {
        expect((e as DirectoryError).code).toBe('INVALID_SERIAL');
      }
    }
    expect(() => decideReEnrollment(snapshot, 'nobody', OWN)).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_USER' }),
    );
  });
});
