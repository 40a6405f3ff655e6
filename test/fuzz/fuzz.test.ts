import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runNode } from '../support/bandctl.js';

const FUZZ = new URL('../../dist/test/fuzz/fuzz.js', import.meta.url).pathname;

function requireBuilt(): void {
  if (!existsSync(FUZZ)) throw new Error(`${FUZZ} is missing: build first (npx tsc -p tsconfig.json)`);
}

// CI's short budget of `npm run fuzz`: every decoder gets a share of 6 s (plus its band's setup). The long runs
// (a million inputs per decoder) are run by hand: `npm run fuzz -- --runs 1000000 --decoder NAME`.
describe('npm run fuzz', () => {
  it('feeds every decoder of a live band for a short budget and finds nothing', { timeout: 120_000 }, async () => {
    requireBuilt();
    const run = await runNode([FUZZ, '--runs', '1000000', '--budget-ms', '6000', '--json']);
    expect(run.stderr).toBe('');
    const report = run.json();
    expect(report.failures).toEqual([]);
    expect(run.code).toBe(0);
    const decoders = report.reports.map((r: { decoder: string }) => r.decoder);
    for (const name of [
      'frame-stream',
      'ctaphid',
      'band-protobuf',
      'debug-protobuf',
      'ctap2-cbor',
      'ctap2-makeCredential',
      'flash-image',
      'directory-file',
    ]) {
      expect(decoders).toContain(name);
    }
    for (const r of report.reports) expect(r.inputs, r.decoder).toBeGreaterThan(0);
  });

  it(
    'fails on a planted bug, prints the reproducing input in hex, and the replay reproduces it',
    { timeout: 60_000 },
    async () => {
      requireBuilt();
      const run = await runNode([FUZZ, '--decoder', 'self-test', '--runs', '100000']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('FAILED self-test (exception)');
      expect(run.stderr).toContain('TypeError: planted bug');
      const input = /input \(\d+ bytes\): ([0-9a-f]+)/.exec(run.stderr)?.[1];
      expect(input).toMatch(/^de[a-f]/);
      const replay = await runNode([FUZZ, '--decoder', 'self-test', '--replay', input!]);
      expect(replay.code).toBe(1);
      expect(replay.stderr).toContain('planted bug');
      const clean = await runNode([FUZZ, '--decoder', 'self-test', '--replay', '0001']);
      expect(clean.code).toBe(0);
    },
  );

  it('names an unknown decoder and exits 2', async () => {
    requireBuilt();
    const run = await runNode([FUZZ, '--decoder', 'nope']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/unknown decoder\(s\) nope; expected one of frame-stream, /);
  });
});
