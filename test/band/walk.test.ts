import { afterEach, describe, expect, it } from 'vitest';
import { DirectRig } from './harness.js';
import { LoopbackRig } from './loopback-rig.js';
import { ACCEPTS } from '../../firmware-sim/index.js';
import { refusalFor } from '../../firmware-sim/request-rules.js';
import type { RequestName } from './harness.js';
import { ALL_TRANSITIONS, EXPECTED_REFUSALS, walkEveryTransition } from './walk.js';

const open: LoopbackRig[] = [];
afterEach(async () => {
  for (const rig of open.splice(0)) await rig.close();
});

it("the firmware's request table refuses exactly what the protocol documents", () => {
  for (const [state, refusals] of Object.entries(EXPECTED_REFUSALS)) {
    for (const name of Object.keys(ACCEPTS) as RequestName[]) {
      expect(refusalFor(name, state as keyof typeof EXPECTED_REFUSALS), `${name} in ${state}`).toBe(refusals[name]);
    }
  }
});

describe('every documented transition, with the refusals of every state', () => {
  it('in process, through BandDevice.handle', async () => {
    const rig = new DirectRig({ seed: 'walk' });
    const { covered, refusalsChecked } = await walkEveryTransition(rig);
    expect([...ALL_TRANSITIONS].filter((t) => !covered.has(t))).toEqual([]);
    expect(refusalsChecked).toBeGreaterThan(50);
    expect(rig.band.watchdogResets).toBe(0);
  });

  it('over a loopback wire, through BandClient and serveBand', async () => {
    const rig = new LoopbackRig({ seed: 'walk' });
    open.push(rig);
    const { covered } = await walkEveryTransition(rig);
    expect([...ALL_TRANSITIONS].filter((t) => !covered.has(t))).toEqual([]);
    expect(rig.client.droppedUnits).toBe(0);
    expect(rig.device.band.watchdogResets).toBe(0);
  });
});
