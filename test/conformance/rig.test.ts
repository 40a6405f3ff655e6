import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../host/conformance/index.js';
import { bandctl, killAll, requireBuilt, ROOT, startBandsim, tempDir, type Bandsim } from '../process/processes.js';
import { systemTool, XMLLINT } from '../support/system-deps.js';

/**
 * bandctl conformance as a rig runs it: processes (bandsim on TCP, bandctl), a band that holds a person's user
 * data, and a JUnit file a CI server reads.
 */
beforeAll(requireBuilt);
afterAll(killAll);

// Over TCP the requirements that also need raw CTAPHID reports are skipped for that first.
const erasing = CATALOGUE.filter((r) => r.needs.includes('erase') && !r.needs.includes('hid')).map((r) => r.id);
const xmllint = systemTool(XMLLINT);
const SCHEMA = join(ROOT, 'test/fixtures/junit/junit.xsd');

describe('bandctl conformance on a band that holds user data (bandsim --preset authenticated --user tw-user2)', () => {
  let band: Bandsim;
  let transport = '';
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir('rig');
    band = await startBandsim([
      '--tcp',
      '127.0.0.1:0',
      '--debug-link',
      '--seed',
      'rig',
      '--preset',
      'authenticated',
      '--user',
      'tw-user2',
    ]);
    await band.waitForLine(/^ready$/);
    transport = `tcp:${band.endpoints.tcp}`;
  });
  afterAll(async () => {
    await band?.stop();
    await dir?.remove();
  });
  afterEach(() => undefined);

  const userOnBand = async () => (await bandctl(['--transport', transport, 'state', '--json'])).json();

  it('without --destructive: says first that the erasing requirements are skipped, skips them, keeps the user', async () => {
    const run = await bandctl(['--transport', transport, 'conformance', '--only', 'PROTO,WIPE-001'], {
      timeoutMs: 60_000,
    });
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(
      "AAAH-00125 holds tw-user2's user data: the 2 requirement(s) that delete it are skipped; run with --destructive to include them",
    );
    expect(run.stdout).toMatch(/^SKIP PROTO-008 .* {2}\(needs erase\)$/m);
    expect(run.stdout).toMatch(/^SKIP WIPE-001 .* {2}\(needs erase\)$/m);
    expect(run.stdout).toMatch(
      /^skipped 2: needs erase: it deletes the band's user data \(tw-user2\); run with --destructive on a band whose data may be lost$/m,
    );
    expect(await userOnBand()).toMatchObject({ enrolled: true, userName: 'tw-user2' });
  }, 90_000);

  it('every requirement that is not marked erase leaves the user data alone (the whole catalogue)', async () => {
    const run = await bandctl(['--transport', transport, 'conformance', '--json'], { timeoutMs: 120_000 });
    const report = run.json();
    expect(report.failed, JSON.stringify(report.results.filter((r: { status: string }) => r.status === 'fail'))).toBe(
      0,
    );
    expect(report.erased).toBe(false);
    expect(report.target.userName).toBe('tw-user2');
    const skippedForErase = report.results
      .filter((r: { status: string; detail: string }) => r.status === 'skip' && r.detail.startsWith('needs erase'))
      .map((r: { id: string }) => r.id);
    expect(skippedForErase).toEqual(erasing);
    expect(await userOnBand()).toMatchObject({
      enrolled: true,
      userName: 'tw-user2',
      state: 'BAND_STATE_AUTHENTICATED',
    });
  }, 150_000);

  it.skipIf(!xmllint.ok)(
    '--junit FILE: one testcase per requirement id, skipped ones marked, valid against the JUnit schema',
    async () => {
      const file = join(dir.path, 'conformance.xml');
      const run = await bandctl(
        ['--transport', transport, 'conformance', '--only', 'FRAME-001,PROTO-008,HID-001', '--junit', file],
        { timeoutMs: 60_000 },
      );
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^JUnit XML written to ${file}$`, 'm'));
      const xml = readFileSync(file, 'utf8');
      const validation = execFileSync('xmllint', ['--noout', '--schema', SCHEMA, file], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(validation).toBe('');
      const cases = [...xml.matchAll(/<testcase name="([A-Z0-9]+-\d{3}) [^"]*" classname="conformance\.(\w+)"/g)];
      expect(cases.map((m) => [m[1], m[2]])).toEqual([
        ['FRAME-001', 'FRAME'],
        ['HID-001', 'HID'],
        ['PROTO-008', 'PROTO'],
      ]);
      expect(xml).toMatch(
        /<testsuite name="conformance of AAAH-00125 over tcp:[^"]+" tests="3" failures="0" errors="0" skipped="2"/,
      );
      expect(xml).toMatch(
        /PROTO-008[^>]*>\n\s*<skipped message="needs erase: it deletes the band&apos;s user data|PROTO-008[^>]*>\n\s*<skipped message="needs erase: it deletes the band's user data/,
      );
    },
    60_000,
  );

  it('--destructive: says first that it will delete the user data, runs the erasing requirement', async () => {
    const run = await bandctl(['--transport', transport, 'conformance', '--only', 'WIPE-001', '--destructive'], {
      timeoutMs: 60_000,
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe(
      "--destructive: 1 requirement(s) will delete tw-user2's user data on AAAH-00125 and leave a test user enrolled",
    );
    expect(run.stdout).toMatch(/^PASS WIPE-001 /m);
    expect(await userOnBand()).toMatchObject({ userName: 'conformance.user' });
  }, 60_000);

  it("a band holding only the suite's own test user runs the erasing requirements without --destructive, silently", async () => {
    const run = await bandctl(['--transport', transport, 'conformance', '--only', 'PROTO-008'], { timeoutMs: 60_000 });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout.split('\n')[0]).toMatch(/^PASS PROTO-008 /);
  }, 60_000);
});

describe('bandctl conformance --junit checks the path before touching a band', () => {
  it('an unwritable --junit path: exit 2, one line', async () => {
    const run = await bandctl(['--transport', 'tcp:127.0.0.1:1', 'conformance', '--junit', '/nonexistent-dir/x.xml']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'bandctl: conformance: cannot write --junit /nonexistent-dir/x.xml: its directory does not exist; give a writable file path\n',
    );
  });
});
