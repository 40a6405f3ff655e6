import { describe, expect, it } from 'vitest';
import type { CutKind } from '../../firmware-sim/index.js';
import { DirectRig, FINGER, USER, enroll, wipeOnBand } from './harness.js';

/**
 * For each operation: count its physical writes on an undisturbed band, then for every one of them (torn
 * and lost) build the same band, cut the power at that write, reboot, and check the band is exactly as
 * before or exactly as after — and still answers and still works.
 */
interface Operation {
  name: string;
  setup(rig: DirectRig): Promise<void>;
  run(rig: DirectRig): Promise<unknown>;
  /** What "before" and "after" look like, from the outside. */
  look(rig: DirectRig): Promise<unknown>;
}

const FIDO_KEYS = { 'fido2/master': new Uint8Array(32).fill(1), 'fido2/rk/aa/01': new Uint8Array(300).fill(2) };

async function look(rig: DirectRig) {
  const s = await rig.call('getState', {});
  return {
    enrolled: s.enrolled,
    userName: s.userName,
    label: s.label,
    failedMatches: s.failedMatches,
    keys: rig.band.store.keys(),
  };
}

const operations: Operation[] = [
  {
    name: 'delete user data',
    async setup(rig) {
      await enroll(rig, { label: 'WARD 7' });
      rig.band.store.commit({ put: FIDO_KEYS });
      await rig.wrist(false);
      await rig.touch(FINGER);
    },
    run: (rig) => wipeOnBand(rig),
    look,
  },
  {
    name: 'a whole enrollment',
    async setup(rig) {
      await rig.wrist(true);
    },
    run: (rig) => enroll(rig, { label: 'NIGHT SHIFT' }),
    look,
  },
  {
    name: 'a band-label change',
    async setup(rig) {
      await enroll(rig);
    },
    run: (rig) => rig.call('setLabel', { label: 'night shift' }),
    look,
  },
];

const flashConfigs = [
  { name: 'journal, 64-byte pages', flash: {}, pageSize: undefined },
  // Word writes: a cut lands inside every field of a record (length, checksum, body, hash).
  { name: 'journal, 4-byte words', flash: {}, pageSize: 4 },
  // Every commit a snapshot rewrite: temporary file pages, then the rename.
  { name: 'always compacting, 16-byte pages', flash: { compactAtBytes: 1 }, pageSize: 16 },
];

describe.each(flashConfigs)('power cut at every storage write ($name)', ({ flash, pageSize }) => {
  for (const op of operations) {
    it(`of ${op.name}`, async () => {
      const make = async () => {
        const rig = new DirectRig({ seed: 'cut', flash, pageSize });
        await op.setup(rig);
        return rig;
      };
      const clean = await make();
      const before = await look(clean);
      const start = clean.world.storage.totalWrites;
      await op.run(clean);
      const writes = clean.world.storage.totalWrites - start;
      const after = await look(clean);
      expect(after).not.toEqual(before);
      expect(writes).toBeGreaterThan(0);

      const seen = new Set<string>();
      for (let n = 1; n <= writes; n++) {
        for (const how of ['torn', 'lost'] as CutKind[]) {
          const rig = await make();
          if (how === 'torn') await rig.cutPower(n);
          else rig.world.storage.cutPowerAt(n, how);
          await op.run(rig).catch(() => undefined);
          const dead = await rig.readScreen();
          expect(dead.powered, `write ${n} (${how})`).toBe(false);
          expect(dead.screen).toBe('SCREEN_BLANK');
          await rig.reboot();
          const now = await look(rig);
          expect([before, after], `write ${n} (${how})`).toContainEqual(now);
          seen.add(JSON.stringify(now) === JSON.stringify(before) ? 'before' : 'after');
          expect((await rig.call('getInfo', {})).serialNumber).toBe('AAAH-00125');
          expect(rig.band.storageFault).toBeUndefined();
          expect(rig.band.watchdogResets).toBe(0);
        }
      }
      // The last write is the commit point: a cut there can still land either way, earlier ones only "before".
      expect(seen.has('before')).toBe(true);

      // A cut armed past the operation's last write does not fire.
      const rig = await make();
      await rig.cutPower(writes + 1);
      await op.run(rig);
      expect(await look(rig)).toEqual(after);
      expect((await rig.readScreen()).powered).toBe(true);
    });
  }
});

describe('a band that lost power mid-request', () => {
  it('answers nothing of its own until rebooted, and then works normally', async () => {
    const rig = new DirectRig();
    await rig.wrist(true);
    await rig.call('startEnrollment', {});
    await rig.call('verifySetupCode', { setupCode: (await rig.readScreen()).setupCode });
    await rig.call('startCapture', {});
    for (let i = 0; i < 6; i++) await rig.touch(FINGER);
    await rig.cutPower(1);
    const died = await rig.call('completeEnrollment', { userName: USER, hapticFeedback: true }).catch((e: Error) => e);
    expect(died instanceof Error ? died.message : JSON.stringify(died)).toMatch(/got command 0x3f \[127\]/);
    expect(await rig.send({ command: 0x41, payload: new Uint8Array([8, 9, 0x5a, 0x00]) })).toEqual({
      command: 0x3f,
      payload: Uint8Array.of(0x7f),
    });
    expect(await rig.send({ command: 0x01, payload: Uint8Array.of(1, 2) })).toEqual({
      command: 0x3f,
      payload: Uint8Array.of(0x7f),
    });
    const events = rig.events.length;
    await rig.wrist(false);
    expect(rig.events.length).toBe(events);
    await rig.reboot();
    expect(await rig.state()).toBe('BAND_STATE_UNENROLLED');
    await enroll(rig);
    expect((await rig.call('getState', {})).userName).toBe(USER);
  });
});
