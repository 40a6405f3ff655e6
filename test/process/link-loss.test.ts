import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SOCAT, systemTool } from '../support/system-deps.js';
import { socatPair } from '../transport/socat-pair.js';
import { bandctl, killAll, requireBuilt, startBandctl, startBandsim } from './processes.js';

/** The serial link dies while bandctl waits on the band: a typed error and exit 3, never a stack trace. */
beforeAll(requireBuilt);
afterEach(killAll);

const socat = systemTool(SOCAT);
const pairs: Awaited<ReturnType<typeof socatPair>>[] = [];
afterAll(async () => {
  await Promise.all(pairs.map((p) => p.kill()));
});

describe.skipIf(!socat.ok)('killing socat mid-call', () => {
  it('bandctl exits 3 with the link-closed message', async () => {
    const pair = await socatPair();
    pairs.push(pair);
    const [bandEnd, hostEnd] = pair.paths;
    const band = await startBandsim(['--serial', bandEnd, '--preset', 'enrolled', '--user', 'tw-user2']);
    // wipe asks the band, prints what the person must do, then waits for USER DATA DELETED: a call in flight.
    const ctl = startBandctl(['--transport', `serial:${hostEnd}`, 'wipe', '--wait', '20000']);
    await ctl.waitForStderr(/» Delete user data: take the band off your wrist/);
    await pair.kill();
    const run = await ctl.done;
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(3);
    // One line in bandctl's words (the library's message nests the link's own, each with its advice).
    expect(run.stderr).toMatch(
      /^bandctl: the link to the band at serial:\S+ closed; check the band is still running, then run the command again$/m,
    );
    expect(run.stderr).not.toMatch(/^\s+at /m);
    // The band notices too, and stops once its only endpoint is gone.
    expect(await band.exited).toEqual({ code: 1, signal: null });
    expect(band.output()).toMatch(/^stopping: every endpoint is gone$/m);
  });

  it('--json: exit 3 and {"ok": false, "error": {"code": "DISCONNECTED"}}', async () => {
    const pair = await socatPair();
    pairs.push(pair);
    const [bandEnd, hostEnd] = pair.paths;
    // A second endpoint to watch the band from: --json prints nothing until the end.
    const band = await startBandsim([
      '--serial',
      bandEnd,
      '--tcp',
      '127.0.0.1:0',
      '--preset',
      'enrolled',
      '--user',
      'tw-user2',
    ]);
    const ctl = startBandctl(['--transport', `serial:${hostEnd}`, 'wipe', '--wait', '20000', '--json']);
    // The band shows its delete prompt once it has answered DeleteUserData; bandctl then waits for the person.
    for (let attempt = 0; ; attempt++) {
      const state = await bandctl(['--transport', `tcp:${band.endpoints.tcp}`, 'state', '--json']);
      expect(state.code, state.stderr).toBe(0);
      if (state.json().state === 'BAND_STATE_DELETE_PROMPT') break;
      expect(attempt, 'the band never showed its delete prompt').toBeLessThan(40);
    }
    await pair.kill();
    const run = await ctl.done;
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(3);
    // With --json, stderr holds only the progress lines (README "Progress with --json"): here the one instruction.
    expect(
      run.stderr
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual([expect.objectContaining({ type: 'instruction', command: 'wipe', kind: 'delete-user-data' })]);
    const { error } = run.json();
    expect(error.code).toBe('DISCONNECTED');
    expect(error.message).toMatch(/^the link to the band at serial:\S+ closed; /);
    // The TCP endpoint keeps the band up; it notes the serial one going.
    await band.waitForLine(/^closed serial /);
    expect(await band.stop()).toEqual({ code: 0, signal: null });
  });
});
