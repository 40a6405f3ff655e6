import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bandctl, killAll, requireBuilt, startBandsim, tempDir } from './processes.js';

/**
 * The large-blob array is replaced in one flash commit (CTAP 2.1 §6.10.2 step 5.10), so a power cut anywhere in it
 * leaves the old array. Shown as a rig sees it: bandsim with a file-backed --state, bandctl writing a 3 KiB blob while
 * `bandctl debug cut-power N` kills the band at its N-th flash write, then a new bandsim process on the same state.
 */
beforeAll(requireBuilt);
afterEach(killAll);

let work: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  work = await tempDir('large-blob-power-cut');
});
afterAll(async () => {
  await work.remove();
});

const RP = ['--rp', 'blob.example'];

async function band(state: string, first: boolean) {
  const args = ['--udp-hid', '127.0.0.1:0', '--state', state, '--debug-link', '--auto-presence'];
  const sim = await startBandsim(first ? [...args, '--preset', 'authenticated', '--user', 'tw-user2'] : args);
  const run = (...command: string[]) => bandctl(['--transport', `udp-hid:${sim.endpoints['udp-hid']}`, ...command]);
  return { sim, run };
}

describe('a power cut while the band commits a new large-blob array', () => {
  it(
    'keeps the old array at any cut; without a cut the new one survives the restart',
    { timeout: 180_000 },
    async () => {
      const bigBlob = join(work.path, 'new-blob.bin');
      // Random bytes: DEFLATE cannot shrink them, so the array's record really is 3 KiB.
      await writeFile(bigBlob, randomBytes(3000));
      // The write's flash writes: the sign-in's counter (one page), then the array's record (3 KiB, dozens of pages);
      // 10 000 is beyond them all.
      for (const cutAt of [2, 30, 10_000]) {
        const state = join(work.path, `state-${cutAt}`);
        const first = await band(state, true);
        const made = await first.run('fido2', 'make-credential', ...RP, '--rk', '--large-blob-key', '--json');
        expect(made.code, made.stderr).toBe(0);
        const old = await first.run('fido2', 'large-blob', 'set', ...RP, '--data', 'the old blob', '--json');
        expect(old.code, old.stderr).toBe(0);
        const armed = await first.run('debug', 'cut-power', String(cutAt));
        expect(armed.code, armed.stderr).toBe(0);
        const write = await first.run('fido2', 'large-blob', 'set', ...RP, '--file', bigBlob, '--timeout', '5000');
        await first.sim.stop();

        const second = await band(state, false);
        const got = await second.run('fido2', 'large-blob', 'get', ...RP, '--json');
        expect(got.code, got.stderr).toBe(0);
        if (cutAt === 10_000) {
          expect(write.code, write.stderr).toBe(0);
          expect(got.json()).toMatchObject({ found: true, bytes: 3000 });
        } else {
          // The band died mid-write: bandctl reports a failure, and the array is the old one, whole.
          expect(write.code, `cut at write ${cutAt}: ${write.stdout}`).not.toBe(0);
          expect(got.json()).toMatchObject({ found: true, text: 'the old blob' });
          const listed = (await second.run('fido2', 'large-blob', 'list', '--json')).json();
          expect(listed).toMatchObject({ intact: true, entries: [{ origSize: 12 }] });
        }
        await second.sim.stop();
      }
    },
  );
});
