import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FileDirectory,
  FileProgressStore,
  ReEnrollment,
  ReEnrollmentError,
  SimulatedUser,
  WebAuthnRelyingParty,
  authenticate,
  DirectoryAdmin,
  type Policy,
  type UserInteraction,
} from '../../host/index.js';
import { decodeDirectoryFile } from '../../host/directory/index.js';
import { withTempDir } from '../directory/fixtures.js';
import { BANDCTL_BIN, bandctlProcess } from '../support/bandctl.js';
import { band, clock, seeded, type TestBand } from './world.js';

const open: TestBand[] = [];
afterEach(async () => {
  for (const b of open.splice(0)) await b.close();
});

/**
 * alice self-service re-enrolls a band against a directory FILE; while she is told to wipe the band (the run waits
 * for her), an administrator runs `bandctl directory ARGS` in another process.
 */
async function reenrollWhileAdminActs(
  dir: string,
  options: { policy: Partial<Policy>; target: 'own' | 'bobs'; admin: string[] },
) {
  const file = join(dir, 'directory.json');
  const now = clock();
  const directory = new FileDirectory(file, { clock: now });
  const progress = new FileProgressStore(`${file}.progress.json`);
  const rp = new WebAuthnRelyingParty({
    id: 'login.example.com',
    origin: 'https://login.example.com',
    randomBytes: seeded('rp'),
    clock: now,
  });
  // Generous call timeouts: the administrator's process starts while these wait, on a machine that may be busy.
  const own = await band('AAAH-00125', { preset: { kind: 'enrolled', userName: 'alice' }, timeoutMs: 30_000 });
  const bobs = await band('ACAK-00056', { preset: { kind: 'enrolled', userName: 'bob' }, timeoutMs: 30_000 });
  open.push(own, bobs);
  await directory.update((d) => {
    DirectoryAdmin.registerUser(d, 'alice');
    DirectoryAdmin.registerUser(d, 'bob');
    for (const b of [own, bobs]) {
      DirectoryAdmin.registerBand(d, {
        serialNumber: b.serial,
        deviceId: Buffer.from(b.client.bandInfo!.deviceId).toString('hex'),
        seosEnabled: false,
      });
    }
    DirectoryAdmin.enrollBand(d, 'alice', own.serial);
    DirectoryAdmin.enrollBand(d, 'bob', bobs.serial);
    DirectoryAdmin.setPolicy(d, options.policy);
  });
  // alice's key on her own band, which the re-enrollment re-creates.
  const person = own.person('alice/right-index');
  await authenticate(own.client, person);
  const registration = await rp.startRegistration('alice', { bandSerial: own.serial });
  const oldKey = await rp.finishRegistration(
    'alice',
    await own.webauthn.create(registration, rp.origin, {
      onUserPresenceNeeded: () => void person.instruct({ kind: 'confirm-presence' }),
    }),
  );

  const target = options.target === 'own' ? own : bobs;
  const real = new SimulatedUser(target.client.debug, 'alice/right-index');
  let adminRun: Awaited<ReturnType<typeof bandctlProcess>> | undefined;
  const alice: UserInteraction = {
    async instruct(instruction, signal) {
      if (instruction.kind === 'delete-user-data' && !adminRun) {
        adminRun = await bandctlProcess(['directory', ...options.admin, '--directory', file, '--json'], { cwd: dir });
      }
      await real.instruct(instruction, signal);
    },
    readSetupCode: (signal) => real.readSetupCode(signal),
  };
  const orchestrator = new ReEnrollment({ directory, relyingParties: [rp], progress, clock: now });
  const outcome = await orchestrator
    .run({
      userName: 'alice',
      bandSerial: target.serial,
      band: target.client,
      authenticator: target.webauthn,
      user: alice,
      userTimeoutMs: 30_000,
    })
    .then(
      (result) => ({ result, error: undefined }),
      (error: unknown) => ({ result: undefined, error }),
    );
  expect(adminRun?.code, adminRun?.stderr).toBe(0);
  const saved = decodeDirectoryFile(await readFile(file, 'utf8'), file);
  return { ...outcome, saved, progress, rp, oldKey: oldKey.id };
}

describe("an administrator's change made while a re-enrollment waits for the person", () => {
  it(
    "suspending the band: the commit refuses naming the suspend, which stands; the run's new key is retired",
    { timeout: 60_000 },
    async () => {
      if (!existsSync(BANDCTL_BIN))
        throw new Error(`${BANDCTL_BIN} is missing: build first (npx tsc -p tsconfig.json)`);
      await withTempDir(async (dir) => {
        const run = await reenrollWhileAdminActs(dir, {
          policy: { allowReEnrollOwnBand: true },
          target: 'own',
          admin: ['suspend', '--user', 'alice', '--band', 'AAAH-00125'],
        });
        expect(run.error).toBeInstanceOf(ReEnrollmentError);
        const error = run.error as ReEnrollmentError;
        expect(error).toMatchObject({ code: 'DIRECTORY_CHANGED', step: 'directory' });
        expect(error.changes).toEqual([
          {
            kind: 'association-changed',
            userName: 'alice',
            serialNumber: 'AAAH-00125',
            before: expect.objectContaining({ isActive: true }),
            after: expect.objectContaining({ isActive: false }),
          },
        ]);
        expect(error.message).toContain('Band AAAH-00125 of alice: no longer Active.');
        expect(error.message).toContain('Nothing was written');
        // The administrator's suspend was not undone.
        expect(run.saved.associations.find((a) => a.serialNumber === 'AAAH-00125')).toMatchObject({
          userName: 'alice',
          isActive: false,
        });
        // The key made on the band during the run is retired; alice's old key still works; no resume point is left.
        const keys = await run.rp.credentials('alice');
        expect(keys.filter((k) => !k.retired).map((k) => k.id)).toEqual([run.oldKey]);
        expect(keys).toHaveLength(2);
        expect(await run.progress.get('alice')).toBeUndefined();
      });
    },
  );

  it(
    "disconnecting another user's lost band: the commit refuses naming the disconnect",
    { timeout: 60_000 },
    async () => {
      await withTempDir(async (dir) => {
        const run = await reenrollWhileAdminActs(dir, {
          policy: { allowReEnrollOwnBand: true, allowReEnrollAnyActiveBand: true },
          target: 'bobs',
          admin: ['disconnect', '--user', 'bob', '--band', 'ACAK-00056'],
        });
        expect(run.error).toMatchObject({ code: 'DIRECTORY_CHANGED' });
        expect((run.error as ReEnrollmentError).changes).toEqual([
          { kind: 'association-removed', userName: 'bob', serialNumber: 'ACAK-00056' },
        ]);
        expect((run.error as Error).message).toContain('Removed band ACAK-00056 from bob');
        // Nobody holds ACAK-00056, as the administrator left it; alice still has her own band.
        expect(run.saved.associations.map((a) => [a.userName, a.serialNumber, a.isActive])).toEqual([
          ['alice', 'AAAH-00125', true],
        ]);
      });
    },
  );

  it('turning the policy off: the commit refuses naming the setting', { timeout: 60_000 }, async () => {
    await withTempDir(async (dir) => {
      const run = await reenrollWhileAdminActs(dir, {
        policy: { allowReEnrollOwnBand: true },
        target: 'own',
        admin: ['policy', '--own-band', 'off'],
      });
      expect(run.error).toMatchObject({ code: 'DIRECTORY_CHANGED' });
      expect((run.error as ReEnrollmentError).changes).toEqual([
        { kind: 'policy-changed', setting: 'allowReEnrollOwnBand', from: true, to: false },
      ]);
      expect((run.error as Error).message).toContain(
        'Policy "Allow a user to re-enroll / re-register their Nymi Band": on -> off.',
      );
      expect(run.saved.policy.allowReEnrollOwnBand).toBe(false);
    });
  });

  it(
    'an unrelated change (a new user) is kept, and the re-enrollment commits on top of it',
    { timeout: 60_000 },
    async () => {
      await withTempDir(async (dir) => {
        const run = await reenrollWhileAdminActs(dir, {
          policy: { allowReEnrollOwnBand: true, allowReEnrollAnyActiveBand: true },
          target: 'bobs',
          admin: ['add-user', 'carol'],
        });
        expect(run.error).toBeUndefined();
        expect(run.result?.decision).toEqual({ allowed: true, kind: 'other-users-band', previousHolder: 'bob' });
        expect(run.saved.users.map((u) => u.name)).toEqual(['alice', 'bob', 'carol']);
        expect(run.saved.associations.map((a) => [a.userName, a.serialNumber, a.isActive, a.isPrimary])).toEqual([
          ['alice', 'AAAH-00125', false, true],
          ['alice', 'ACAK-00056', true, false],
        ]);
      });
    },
  );
});
