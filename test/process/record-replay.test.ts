import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bandctl, killAll, requireBuilt, startBandsim, tempDir } from './processes.js';

/**
 * A full enrollment recorded against bandsim, then played back with no band at all.
 *
 * Setup codes, device ids and nonces come from the band, so the recording carries them and a replay reproduces
 * them; the host must only send the same bytes again. Nothing the host sends is random per run: request ids
 * count from 1, the simulated person acts through the debug link in a fixed order. (CTAPHID INIT's random nonce
 * on udp-hid is below the unit layer and never recorded, so udp-hid recordings replay too; the enrollment is
 * recorded over TCP as a rig would record a serial band.)
 */
beforeAll(requireBuilt);
afterEach(killAll);

let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  dir = await tempDir('record-replay');
});
afterAll(async () => {
  await dir.remove();
});

const enrollArgs = (user: string) => ['enroll', '--user', user, '--simulate-user', `${user}/right-index`];

describe('bandctl --record then --transport replay:', () => {
  it('replays a recorded enrollment, and names FILE:LINE where a different user diverges', async () => {
    const file = join(dir.path, 'enroll.rec');
    const band = await startBandsim(['--tcp', '127.0.0.1:0', '--debug-link', '--seed', 'record-replay']);
    const live = await bandctl([
      '--record',
      file,
      '--transport',
      `tcp:${band.endpoints.tcp}`,
      ...enrollArgs('tw-user2'),
      '--json',
    ]);
    expect(live.code, live.stderr).toBe(0);
    await band.stop();

    const recording = await readFile(file, 'utf8');
    expect(recording).toMatch(/^# band-stack transport recording v1/);
    expect(recording).toMatch(/^\d+ > DEBUG /m);

    // No band now: the recording answers.
    const replayed = await bandctl(['--transport', `replay:${file}`, ...enrollArgs('tw-user2'), '--json']);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.json()).toEqual(live.json());

    // Another user name changes the CompleteEnrollment request: the replay stops there and says where.
    const other = await bandctl([
      '--transport',
      `replay:${file}`,
      'enroll',
      '--user',
      'tw-user9',
      '--simulate-user',
      'tw-user2/right-index',
      '--json',
    ]);
    // The recorded band was reached; the session differs: a failure (exit 1), not an unreachable band (3).
    expect(other.code).toBe(1);
    const { error } = other.json();
    expect(error.code).toBe('REPLAY_MISMATCH');
    const at = new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+): expected > BAND `).exec(
      error.message,
    );
    expect(at, error.message).not.toBeNull();
    // That line is the recorded CompleteEnrollment, carrying the recorded user name.
    const line = recording.split('\n')[Number(at![1]) - 1];
    expect(line).toMatch(/^\d+ > BAND [0-9a-f]+$/);
    expect(Buffer.from(line.split(' ')[3], 'hex').toString('latin1')).toContain('tw-user2');

    // bandctl trace reads the same file (exercised in test/cli/trace.test.ts; here across a process boundary).
    const trace = await bandctl(['trace', file]);
    expect(trace.code, trace.stderr).toBe(0);
    expect(trace.stdout).toMatch(/> BAND +#\d+ completeEnrollment userName="tw-user2"/);
  });

  it('replays a udp-hid recording too: INIT is not part of it', async () => {
    const file = join(dir.path, 'info-udp.rec');
    const band = await startBandsim(['--udp-hid', '127.0.0.1:0', '--preset', 'authenticated', '--user', 'tw-user2']);
    const live = await bandctl([
      '--record',
      file,
      '--transport',
      `udp-hid:${band.endpoints['udp-hid']}`,
      'info',
      '--json',
    ]);
    expect(live.code, live.stderr).toBe(0);
    await band.stop();
    expect(await readFile(file, 'utf8')).not.toMatch(/^\d+ [<>] INIT/m);
    const replayed = await bandctl(['--transport', `replay:${file}`, 'info', '--json']);
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(replayed.json()).toEqual(live.json());
  });
});
