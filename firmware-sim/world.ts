import { Body } from './body.js';
import { ManualClock, SystemClock, type Clock } from './clock.js';
import { DirectoryMedium } from './directory-medium.js';
import { FlashChip } from './flash-chip.js';
import { MemoryMedium, type FlashMedium } from './flash-medium.js';
import { DeterministicRandom, SystemRandom, type RandomSource } from './random.js';

/**
 * Everything outside the band's firmware: time, chance, the flash chip and the body wearing it. A test
 * passes fixed ones and gets the same bytes every run; bandsim passes real ones.
 */
export interface World {
  clock: Clock;
  random: RandomSource;
  storage: FlashChip;
  body: Body;
}

export interface TestWorld extends World {
  clock: ManualClock;
}

/** A manual clock, a seeded DRBG, flash in memory (or on `medium`), a body off the wrist. */
export function testWorld(
  options: { seed?: Uint8Array | string; medium?: FlashMedium; pageSize?: number; startMs?: number } = {},
): TestWorld {
  const clock = new ManualClock(options.startMs ?? 0);
  return {
    clock,
    random: new DeterministicRandom(options.seed ?? 'band-stack test world'),
    storage: new FlashChip(options.medium ?? new MemoryMedium(), { pageSize: options.pageSize }),
    body: new Body(clock),
  };
}

/** Wall-clock time, the OS random source unless `seed` is given, flash in `stateDir` or in memory. */
export function systemWorld(options: { stateDir?: string; seed?: Uint8Array | string } = {}): World {
  const clock = new SystemClock();
  return {
    clock,
    random: options.seed === undefined ? new SystemRandom() : new DeterministicRandom(options.seed),
    storage: new FlashChip(options.stateDir === undefined ? new MemoryMedium() : new DirectoryMedium(options.stateDir)),
    body: new Body(clock),
  };
}
