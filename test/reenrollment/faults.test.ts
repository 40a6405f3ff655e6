import { afterEach, describe, expect, it } from 'vitest';
import { serveBand } from '../../firmware-sim/index.js';
import {
  BandClient,
  BandClientError,
  BandWebAuthn,
  ReEnrollmentError,
  RelyingPartyError,
  SimulatedUser,
  userProperties,
  type Instruction,
  type RelyingParty,
  type UserInteraction,
} from '../../host/index.js';
import { findViolations } from '../../host/directory/index.js';
import { loopbackPair } from '../../transport/index.js';
import { enterprise, type TestBand } from './world.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

/** alice holds AAAH-00125 with a FIDO2 key; she self-service re-enrolls to ACAK-00056, which bob holds. */
async function scenario(relyingParties?: (rp: RelyingParty) => RelyingParty[]) {
  const world = await enterprise({ allowReEnrollOwnBand: true, allowReEnrollAnyActiveBand: true }, relyingParties);
  open.push(world);
  const own = await world.band('AAAH-00125', { holder: 'alice' });
  const oldKey = await world.registerKey('alice', own);
  const target = await world.band('ACAK-00056', { holder: 'bob' });
  const before = structuredClone(await world.directory.snapshot());
  return { world, own, target, oldKey, before };
}

function expectFinalDirectory(
  snapshot: Awaited<ReturnType<Awaited<ReturnType<typeof enterprise>>['directory']['snapshot']>>,
) {
  expect(findViolations(snapshot)).toEqual([]);
  expect(userProperties(snapshot, 'alice').map((r) => [r.serialNumber, r.isActive, r.isPrimary])).toEqual([
    ['AAAH-00125', '', 'Primary'],
    ['ACAK-00056', 'Active', ''],
  ]);
  expect(userProperties(snapshot, 'bob')).toEqual([]);
}

/** A person who does what they are told, except that `sabotage` may act instead. */
function person(band: TestBand, sabotage: (i: Instruction, n: number) => Promise<boolean>): UserInteraction {
  const real = new SimulatedUser(band.client.debug, 'alice/right-index');
  let n = 0;
  return {
    async instruct(instruction, signal) {
      if (await sabotage(instruction, n++)) return;
      await real.instruct(instruction, signal);
    },
    readSetupCode: (signal) => real.readSetupCode(signal),
  };
}

describe('re-enrollment faults: the directory is never half updated and the same call resumes', () => {
  it('the band is taken off the wrist during fingerprint capture', async () => {
    const { world, target, before } = await scenario();
    const error = await world
      .run('alice', target, {
        userTimeoutMs: 1_000,
        user: person(target, async (i) => {
          if (i.kind === 'touch-sensor' && i.goodTouches === 3) {
            await target.client.debug.setWrist(false);
            return true;
          }
          return false;
        }),
      })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ReEnrollmentError);
    expect(error).toMatchObject({ code: 'STEP_FAILED', step: 'enroll' });
    // Why is the cause's to say, kept as data: the wrapping message names it and does not repeat its text.
    expect(error.cause).toBeInstanceOf(BandClientError);
    expect(error.cause).toMatchObject({ code: 'ABORTED', message: /taken off the wrist/ });
    expect(error.message).toMatch(/stopped at enroll \(BandClientError ABORTED; error\.cause says what happened\)/);
    expect(await world.directory.snapshot()).toEqual(before);
    expect((await target.client.getState()).enrolled).toBe(false);

    const result = await world.run('alice', target);
    expect(result.resumed).toBe(false);
    expectFinalDirectory(await world.directory.snapshot());
  });

  it('the link to the band dies mid-enrollment; a new link resumes', async () => {
    const { world, target, before } = await scenario();
    const error = await world
      .run('alice', target, {
        userTimeoutMs: 1_000,
        user: person(target, async (i) => {
          if (i.kind === 'touch-sensor' && i.goodTouches === 2) {
            await target.host.close();
            return true;
          }
          return false;
        }),
      })
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'STEP_FAILED', step: 'enroll' });
    expect(error.cause).toMatchObject({ code: 'DISCONNECTED' });
    expect(await world.directory.snapshot()).toEqual(before);

    // Plug back in: the same band, a new link.
    const [host, side] = loopbackPair();
    const serving = serveBand(target.emulator, side);
    const client = await BandClient.connect(host);
    open.push({ close: async () => (client.close(), serving.stop(), host.close()) });
    const result = await world.orchestrator.run({
      userName: 'alice',
      bandSerial: 'ACAK-00056',
      band: client,
      authenticator: new BandWebAuthn(client.fido2),
      user: new SimulatedUser(client.debug, 'alice/right-index'),
    });
    expect(result.recreated['login.example.com']).toBeDefined();
    expectFinalDirectory(await world.directory.snapshot());
  });

  it('the relying party rejects the new key once: the retry skips the wipe and the enrollment', async () => {
    let failNext = true;
    const { world, target, before, oldKey } = await scenario((rp) => [
      new Proxy(rp, {
        get(obj, key, receiver) {
          if (key === 'finishRegistration') {
            return async (...args: Parameters<RelyingParty['finishRegistration']>) => {
              if (failNext) {
                failNext = false;
                throw new RelyingPartyError('VERIFICATION_FAILED', 'relying party unavailable (test)');
              }
              return obj.finishRegistration(...args);
            };
          }
          const value = Reflect.get(obj, key, receiver);
          return typeof value === 'function' ? value.bind(obj) : value;
        },
      }),
    ]);
    const first = await world.run('alice', target).catch((e) => e);
    expect(first).toMatchObject({ code: 'STEP_FAILED', step: 'fido2' });
    expect(await world.directory.snapshot()).toEqual(before);
    expect((await world.rp.credentials('alice')).filter((c) => !c.retired).map((c) => c.id)).toContain(oldKey);

    const told: Instruction[] = [];
    const resumed = await world.run('alice', target, {
      user: person(target, async (i) => (told.push(i), false)),
    });
    expect(resumed.resumed).toBe(true);
    expect(told.map((i) => i.kind)).toEqual(['confirm-presence']);
    expect(resumed.retired).toContain(`login.example.com:${oldKey}`);
    expectFinalDirectory(await world.directory.snapshot());
  });

  it('cancelling through the AbortSignal stops the run and changes nothing', async () => {
    const { world, target, before } = await scenario();
    const controller = new AbortController();
    const error = await world
      .run('alice', target, {
        signal: controller.signal,
        user: person(target, async (i) => {
          if (i.kind === 'touch-sensor') controller.abort();
          return i.kind === 'touch-sensor';
        }),
      })
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'CANCELLED' });
    expect(await world.directory.snapshot()).toEqual(before);
  });

  it('the wrong band is connected', async () => {
    const { world, own, before } = await scenario();
    const error = await world.orchestrator
      .run({
        userName: 'alice',
        bandSerial: 'ACAK-00056',
        band: own.client,
        authenticator: own.webauthn,
        user: own.person('alice/right-index'),
      })
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'BAND_MISMATCH' });
    expect(await world.directory.snapshot()).toEqual(before);
  });
});

describe('re-enrollment under power cuts', () => {
  it('a power cut at every storage write of the run: afterwards the directory is before or after, and a rerun completes', async () => {
    // Count the band's storage writes in one clean run on a twin.
    const twin = await scenario();
    const start = (await twin.target.client.debug.readScreen()).storageWrites;
    await twin.world.run('alice', twin.target);
    const total = (await twin.target.client.debug.readScreen()).storageWrites - start;
    // The wipe, the enrollment and the FIDO2 key (sign counter and credential) each write; cover them all.
    expect(total).toBeGreaterThanOrEqual(3);

    for (let n = 1; n <= total; n++) {
      const { world, target, before } = await scenario();
      await target.client.debug.cutPower(n);
      const error = await world.run('alice', target, { userTimeoutMs: 300 }).catch((e) => e);
      expect(error, `power cut at write ${n} of ${total}`).toBeInstanceOf(ReEnrollmentError);
      const after = await world.directory.snapshot();
      expect(findViolations(after)).toEqual([]);
      expect(after, `directory after a cut at write ${n}`).toEqual(before);

      await target.client.debug.reboot();
      const state = await target.client.getState();
      // The band kept either bob's data (cut before the wipe landed) or nothing / alice's (after).
      expect(['bob', '', 'alice']).toContain(state.userName);
      const result = await world.run('alice', target);
      expect(result.recreated['login.example.com'], `rerun after a cut at write ${n}`).toBeDefined();
      expectFinalDirectory(await world.directory.snapshot());
      await world.close();
    }
  }, 120_000);
});

describe('re-enrollment refusals that must come before the wipe', () => {
  it('a band whose device ID differs from its registration is refused before anything is touched', async () => {
    const world = await enterprise({ allowReEnrollOwnBand: true, allowReEnrollAnyActiveBand: true });
    open.push(world);
    const target = await world.band('ACAK-00056', { holder: 'bob' });
    // The directory knows ACAK-00056 by another device ID (a swapped band, or a typo by an administrator).
    await world.directory.update((d) => {
      d.bands.find((b) => b.serialNumber === 'ACAK-00056')!.deviceId = 'ff'.repeat(16);
    });
    const before = structuredClone(await world.directory.snapshot());
    const error = await world.run('alice', target).catch((e) => e);
    expect(error).toMatchObject({ code: 'BAND_MISMATCH', step: 'policy' });
    expect(error.message).toMatch(/registered with device ID f{32}/);
    expect(await world.directory.snapshot()).toEqual(before);
    expect(await target.client.getState()).toMatchObject({ enrolled: true, userName: 'bob' });
  });
});
