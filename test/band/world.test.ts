import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BandEmulator,
  Body,
  DeterministicRandom,
  ManualClock,
  SystemClock,
  SystemRandom,
  systemWorld,
} from '../../firmware-sim/index.js';
import { randomIndex } from '../../firmware-sim/random.js';

describe('ManualClock', () => {
  it('fires due timers in due order, ties in the order set, including timers set while firing', () => {
    const clock = new ManualClock(1_000);
    const fired: string[] = [];
    clock.setTimer(50, () => fired.push(`b@${clock.now()}`));
    clock.setTimer(10, () => {
      fired.push(`a@${clock.now()}`);
      clock.setTimer(5, () => fired.push(`a2@${clock.now()}`));
      clock.setTimer(500, () => fired.push('late'));
    });
    clock.setTimer(50, () => fired.push(`c@${clock.now()}`));
    const cancelled = clock.setTimer(20, () => fired.push('cancelled'));
    cancelled.cancel();
    clock.advance(100);
    expect(fired).toEqual(['a@1010', 'a2@1015', 'b@1050', 'c@1050']);
    expect(clock.now()).toBe(1_100);
    expect(clock.pendingTimers).toBe(1);
  });

  it('refuses negative times and re-entrant advances', () => {
    const clock = new ManualClock();
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.setTimer(-5, () => undefined)).toThrow(RangeError);
    clock.setTimer(1, () => clock.advance(1));
    expect(() => clock.advance(5)).toThrow(/already advancing/);
  });
});

describe('random sources', () => {
  it('the DRBG is one stream: the same seed gives the same bytes however they are sliced', () => {
    const a = new DeterministicRandom('seed');
    const b = new DeterministicRandom('seed');
    const whole = a.bytes(100);
    const parts = Buffer.concat([b.bytes(3), b.bytes(40), b.bytes(57)]);
    expect(Buffer.from(whole)).toEqual(parts);
    expect(new DeterministicRandom('other').bytes(100)).not.toEqual(whole);
    a.reseed('seed');
    expect(a.bytes(100)).toEqual(whole);
  });

  it('the system source differs between draws', () => {
    const r = new SystemRandom();
    expect(r.bytes(32)).not.toEqual(r.bytes(32));
    expect(() => r.bytes(-1)).toThrow(RangeError);
    // Across refills of the shared pool, from two sources, and larger than the pool: never the same bytes twice,
    // each draw its own array of the length asked for.
    const other = new SystemRandom();
    const draws = Array.from({ length: 600 }, (_, i) => (i % 2 ? r : other).bytes(i % 3 === 0 ? 33 : 16));
    draws.push(r.bytes(10_000), other.bytes(10_000), r.bytes(0));
    expect(draws.map((d) => d.length)).toEqual([
      ...draws.slice(0, 600).map((_, i) => (i % 3 === 0 ? 33 : 16)),
      10_000,
      10_000,
      0,
    ]);
    const seen = new Set(draws.filter((d) => d.length > 0).map((d) => Buffer.from(d.subarray(0, 16)).toString('hex')));
    expect(seen.size).toBe(draws.length - 1);
    draws[0].fill(0);
    expect(draws[1].every((b) => b === 0)).toBe(false);
  });

  it('indexes are uniform (rejection sampling, no modulo bias)', () => {
    const r = new DeterministicRandom('uniform');
    const counts = new Array(20).fill(0);
    for (let i = 0; i < 20_000; i++) counts[randomIndex(r, 20)]++;
    for (const c of counts) expect(Math.abs(c - 1_000)).toBeLessThan(150);
  });
});

describe('Body', () => {
  it('reports changes, not repeats; a new touch lifts the old one first; hold advances the clock', () => {
    const clock = new ManualClock();
    const body = new Body(clock);
    const seen: string[] = [];
    body.onChange((c) =>
      seen.push(
        c.kind === 'finger'
          ? `finger:${c.touch?.finger ?? '-'}`
          : c.kind === 'button'
            ? `${c.button}:${c.down}`
            : `${c.kind}:${'onWrist' in c ? c.onWrist : c.onCharger}`,
      ),
    );
    body.setWrist(true);
    body.setWrist(true);
    body.fingerOn('a');
    body.fingerOn('b', { poorQuality: true });
    expect(body.touch).toEqual({ finger: 'b', poorQuality: true, liveness: true });
    body.fingerOff();
    body.hold('bottom', 250);
    body.setCharger(true);
    expect(seen).toEqual([
      'wrist:true',
      'finger:a',
      'finger:-',
      'finger:b',
      'finger:-',
      'bottom:true',
      'bottom:false',
      'charger:true',
    ]);
    expect(clock.now()).toBe(250);
    expect(() => body.fingerOn('x'.repeat(65))).toThrow(/1\.\.64 bytes/);
  });
});

describe('SystemClock and systemWorld', () => {
  it('advance skips ahead of wall time and fires what falls due, in order', () => {
    const clock = new SystemClock();
    const start = clock.now();
    const fired: number[] = [];
    clock.setTimer(10_000, () => fired.push(2));
    clock.setTimer(5_000, () => fired.push(1));
    clock.advance(10_000);
    expect(fired).toEqual([1, 2]);
    expect(clock.now() - start).toBeGreaterThanOrEqual(10_000);
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps a timer due later than Node can time (about 24.8 days) waiting, without firing it or warning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const clock = new SystemClock();
      const fired: number[] = [];
      const far = clock.setTimer(30 * 24 * 3600 * 1000, () => fired.push(1));
      await new Promise((r) => setTimeout(r, 50));
      expect(fired).toEqual([]);
      expect(clock.pendingTimers).toBe(1);
      expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
      far.cancel();
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('fires on wall time a timer set after a sooner one was cancelled, and one that advance brought near', async () => {
    const clock = new SystemClock();
    clock.setTimer(5, () => undefined).cancel();
    const later = new Promise<number>((resolve) => clock.setTimer(20, () => resolve(clock.now())));
    const setAt = clock.now();
    expect(await later).toBeGreaterThanOrEqual(setAt + 20);
    // Set a minute out behind one half a minute out, then brought to 10 ms away: it must not wait for the wall
    // time of either.
    const fired: string[] = [];
    clock.setTimer(30_000, () => fired.push('half a minute'));
    const near = new Promise<number>((resolve) => clock.setTimer(60_000, () => resolve(clock.now())));
    const before = clock.now();
    clock.advance(59_990);
    expect(fired).toEqual(['half a minute']);
    expect(await near).toBeGreaterThanOrEqual(before + 60_000);
    expect(clock.pendingTimers).toBe(0);
  });

  it('never goes backwards when a timer callback takes wall time (a slow flash commit inside advance)', () => {
    const clock = new SystemClock();
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    let setInside = -1;
    clock.setTimer(1_000, () => {
      busy(15);
      // What the band does after the wipe commit: a 2 s screen timer, from a `now` that wall time moved on.
      setInside = clock.now();
      clock.setTimer(2_000, () => undefined);
    });
    clock.advance(1_000);
    expect(clock.now()).toBeGreaterThanOrEqual(setInside);
    clock.advance(2_000);
    expect(clock.pendingTimers).toBe(0);
  });

  it('a band on a system world with a state directory keeps its identity across restarts', () => {
    const stateDir = join(mkdtempSync(join(tmpdir(), 'band-world-')), 'state');
    try {
      const first = new BandEmulator({
        world: systemWorld({ stateDir }),
        serialNumber: 'ACAK-00056',
        preset: { kind: 'enrolled', userName: 'u1' },
      });
      const id = first.band.deviceId;
      first.close();
      const second = new BandEmulator({ world: systemWorld({ stateDir }), serialNumber: 'ACAK-00056' });
      expect(second.band.deviceId).toEqual(id);
      expect(second.band.getState()).toMatchObject({
        enrolled: true,
        userName: 'u1',
        state: 'BAND_STATE_AUTHENTICATION_REQUIRED',
      });
      second.close();
    } finally {
      rmSync(join(stateDir, '..'), { recursive: true, force: true });
    }
  });
});
