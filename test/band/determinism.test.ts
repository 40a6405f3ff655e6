import { describe, expect, it } from 'vitest';
import { DirectRig, FINGER, authenticate, enroll, wipeOnBand } from './harness.js';

/** A script that touches every source of randomness and time: setup codes, salts, device ID, timers, a reseed. */
async function script(rig: DirectRig) {
  await rig.call('getInfo', {});
  await rig.wrist(true);
  await rig.call('startEnrollment', {});
  await rig.refusal('verifySetupCode', { setupCode: 'XXXXXX' });
  await rig.refusal('verifySetupCode', { setupCode: 'XXXXXX' });
  await rig.refusal('verifySetupCode', { setupCode: 'XXXXXX' });
  await rig.call('cancelEnrollment', {});
  await enroll(rig, { label: 'det' });
  await rig.wrist(false);
  await rig.wrist(true);
  await rig.touch('eve/thumb');
  await rig.advance(5_000);
  await authenticate(rig, FINGER);
  await rig.debug({ case: 'reseed', value: { seed: Uint8Array.of(1, 2, 3) } });
  await rig.call('getState', {});
  await wipeOnBand(rig);
  await rig.advance(2_000);
  await rig.charger(false);
  await enroll(rig, { userName: 'second' });
  await rig.call('getInfo', {});
}

const hex = (rig: DirectRig) =>
  rig.out.map((u) => `${u.command.toString(16)}:${Buffer.from(u.payload).toString('hex')}`);

describe('determinism', () => {
  it('two bands with the same seed and script send byte-identical units', async () => {
    const a = new DirectRig({ seed: 'same' });
    const b = new DirectRig({ seed: 'same' });
    await script(a);
    await script(b);
    expect(a.out.length).toBeGreaterThan(100);
    expect(hex(a)).toEqual(hex(b));
  });

  it('another seed gives another device ID and other setup codes', async () => {
    const a = new DirectRig({ seed: 'one' });
    const b = new DirectRig({ seed: 'two' });
    await script(a);
    await script(b);
    expect(a.band.deviceId).not.toEqual(b.band.deviceId);
    expect(hex(a)).not.toEqual(hex(b));
  });

  it('reseeding makes the rest of the run independent of what came before', async () => {
    const codes: string[] = [];
    for (const seed of ['x', 'y']) {
      const rig = new DirectRig({ seed });
      await rig.wrist(true);
      await rig.debug({ case: 'reseed', value: { seed: Uint8Array.of(9) } });
      await rig.call('startEnrollment', {});
      codes.push((await rig.readScreen()).setupCode);
    }
    expect(codes[0]).toBe(codes[1]);
  });
});
