import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bandctl, killAll, requireBuilt, startBandsim } from './processes.js';

beforeAll(requireBuilt);
afterEach(killAll);

describe('bandctl debug against a bandsim without --debug-link', () => {
  it('fails up front naming the fix, not with CTAPHID INVALID_CMD', async () => {
    const band = await startBandsim(['--tcp', '127.0.0.1:0', '--preset', 'authenticated', '--user', 'tw-user2']);
    const run = await bandctl(['--transport', `tcp:${band.endpoints.tcp}`, 'debug', 'press', 'top', '--json']);
    expect(run.code).toBe(1);
    expect(run.json().error).toEqual({
      code: 'NO_DEBUG_LINK',
      message: 'debug press: this band does not offer the debug link; start bandsim with --debug-link',
    });
    const human = await bandctl(['--transport', `tcp:${band.endpoints.tcp}`, 'debug', 'screen']);
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(/start bandsim with --debug-link/);
    expect(human.stderr).not.toMatch(/INVALID_CMD/);
    await band.stop();
  });
});
