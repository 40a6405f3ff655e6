import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON_FIDO2, systemTool } from '../support/system-deps.js';

/**
 * python-fido2 (Debian's python3-fido2, an independent CTAP2 client) drives bandsim over UDP-HID: CTAPHID INIT and
 * PING, getInfo, makeCredential (rk and non-rk) with packed self attestation checked by python-fido2, getAssertion
 * with the signature verified against the attested public key, ClientPin (both PIN/UV protocols), and reset.
 * The driver is test/interop/python_fido2_driver.py; it prints one JSON object of what it saw.
 */
const root = new URL('../..', import.meta.url).pathname;
const here = join(root, 'test/interop');
const bandsim = join(root, 'dist/firmware-sim/bandsim.js');
const PYTHON = '/usr/bin/python3';
const python = systemTool(PYTHON_FIDO2);

interface RunningBand {
  port: number;
  child: ChildProcess;
  output: () => string;
}

const bands: RunningBand[] = [];

/** Starts `bandsim --udp-hid 127.0.0.1:0 ...`, waits for "ready", and reads the port from its "listening" line. */
function startBand(): Promise<RunningBand> {
  const child = spawn(
    process.execPath,
    [bandsim, '--udp-hid', '127.0.0.1:0', '--preset', 'authenticated', '--user', 'tw-user2', '--auto-presence', '--debug-link'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => (out += chunk));
  return new Promise<RunningBand>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`bandsim printed no "ready" within 15 s; it said:\n${out}`)), 15_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGTERM');
      reject(error);
    };
    child.once('exit', (code) => fail(new Error(`bandsim exited (${code}) before "ready"; it said:\n${out}`)));
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      if (!/^ready$/m.test(out)) return;
      const port = /^listening udp-hid 127\.0\.0\.1:(\d+)$/m.exec(out);
      if (!port) return fail(new Error(`bandsim said "ready" without a "listening udp-hid" line:\n${out}`));
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const band = { port: Number(port[1]), child, output: () => out };
      bands.push(band);
      resolve(band);
    });
  });
}

/** Runs the python driver against a band; resolves with its JSON report. */
function drive(band: RunningBand, scenario: 'main' | 'reset'): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      [join(here, 'python_fido2_driver.py'), '127.0.0.1', String(band.port), scenario],
      { cwd: here, timeout: 60_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`python_fido2_driver.py ${scenario} failed: ${error.message}\n${stdout}${stderr}\nbandsim said:\n${band.output()}`));
        try {
          const report = JSON.parse(stdout);
          if (report.fatal) return reject(new Error(`python-fido2 ${scenario}: ${report.fatal}\n${report.trace}\nso far: ${stdout}`));
          resolve(report);
        } catch {
          reject(new Error(`python_fido2_driver.py printed no JSON:\n${stdout}${stderr}`));
        }
      },
    );
  });
}

function newestSource(path: string): number {
  return readdirSync(path, { withFileTypes: true }).reduce((newest, entry) => {
    const full = join(path, entry.name);
    if (entry.isDirectory()) return Math.max(newest, newestSource(full));
    return entry.name.endsWith('.ts') ? Math.max(newest, statSync(full).mtimeMs) : newest;
  }, 0);
}

/** A step the driver reports as {error}: show python's message rather than a bare mismatch. */
function ok(step: Record<string, any> | undefined): Record<string, any> {
  expect(step, 'the driver did not reach this step').toBeDefined();
  if (step && 'error' in step) throw new Error(`python-fido2: ${step.error}\n${step.trace ?? ''}`);
  return step!;
}

const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

describe.skipIf(!python.ok)('python-fido2 0.9 against bandsim over UDP-HID', () => {
  let main: Record<string, any>;

  beforeAll(async () => {
    if (!existsSync(bandsim)) {
      throw new Error(`${bandsim} is missing: build first with \`npx tsc -p tsconfig.json\` (npm test does it)`);
    }
    const sources = Math.max(...['proto', 'transport', 'firmware-sim'].map((layer) => newestSource(join(root, layer))));
    if (statSync(bandsim).mtimeMs < sources) {
      console.warn(`WARNING: ${bandsim} is older than the sources; this test runs the built band (npx tsc -p tsconfig.json)`);
    }
    main = await drive(await startBand(), 'main');
  }, 60_000);

  afterAll(async () => {
    await Promise.all(
      bands.map(
        ({ child }) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
            console.log('killing', child.pid, child.exitCode, child.signalCode);
            child.once('exit', () => {
              clearTimeout(force);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  });

  it('INIT allocates a channel and reports CTAPHID 2 with WINK|CBOR|NMSG; a 1 KiB PING echoes', () => {
    expect(main.init).toEqual({ ctaphidVersion: 2, deviceVersion: expect.any(Array), capabilities: 0x01 | 0x04 | 0x08 });
    expect(ok(main.ping)).toEqual({ echoed: true });
  });

  it('authenticatorGetInfo parses (canonical CBOR checked by python-fido2)', () => {
    expect(main.getInfo).toMatchObject({
      versions: ['FIDO_2_0', 'FIDO_2_1'],
      extensions: ['credProtect', 'hmac-secret'],
      aaguid: 'bbaf4d27b2d0d7369e34164abb7a9d65',
      options: { rk: true, up: true, uv: true, credMgmt: true, clientPin: false, pinUvAuthToken: true, makeCredUvNotRqd: true },
      pinUvProtocols: [2, 1],
      maxCredentialIdLength: 63,
      algorithms: [{ alg: -7, type: 'public-key' }],
    });
  });

  it('makeCredential (non-rk and rk) gives packed self attestation that python-fido2 verifies', () => {
    const common = { fmt: 'packed', attestationType: 'SELF', rpIdHashOk: true, credentialIdLength: 63, alg: -7, aaguid: main.getInfo.aaguid };
    expect(ok(main.makeCredentialNonRk)).toMatchObject({ ...common, flags: UP | AT });
    expect(ok(main.makeCredentialRk)).toMatchObject({ ...common, flags: UP | UV | AT });
    expect(main.makeCredentialRk.counter).toBeGreaterThan(main.makeCredentialNonRk.counter);
    // CTAP 2.0's PIN_REQUIRED is CTAP 2.1's PUAT_REQUIRED (0x36).
    expect(ok(main.makeCredentialRkWithoutUv)).toEqual({ status: 'PIN_REQUIRED' });
  });

  it('getAssertion signatures verify with the attested public key', () => {
    expect(ok(main.getAssertionAllowList)).toMatchObject({ verified: true, credentialIdMatches: true, flags: UP, user: {} });
    // Without UV the band returns only the user id (CTAP 2.1 §6.2.2 step 12).
    expect(ok(main.getAssertionDiscoverable)).toMatchObject({ verified: true, credentialIdMatches: true, flags: UP, user: { id: 'python-user-2' } });
    expect(main.getAssertionDiscoverable.counter).toBeGreaterThan(main.getAssertionAllowList.counter);
    expect(ok(main.getAssertionUnknownRp)).toEqual({ status: 'NO_CREDENTIALS' });
  });

  it('ClientPin: set PIN, wrong PIN costs a retry, pinUvAuthToken (protocols 2 and 1) authorises makeCredential and getAssertion, change PIN', () => {
    const pin = ok(main.clientPin);
    expect(pin).toMatchObject({ protocol: 2, clientPinAfterSet: true, retries: 8, wrongPin: 'PIN_INVALID', retriesAfterWrong: 7 });
    for (const v of ['v2', 'v1']) {
      expect(pin[`makeCredential_${v}`]).toMatchObject({ fmt: 'packed', attestationType: 'SELF', flags: UP | UV | AT });
      expect(pin[`getAssertion_${v}`]).toEqual({ verified: true, flags: UP | UV });
    }
    expect(pin.badPinUvAuthParam).toBe('PIN_AUTH_INVALID');
    expect(pin.changedPinWorks).toBe(true);
  });

  it('authenticatorReset within 10 s of power-up clears the PIN and every credential', async () => {
    // A fresh band: reset is allowed only in the first 10 s after power-up.
    const report = await drive(await startBand(), 'reset');
    expect(report).toMatchObject({
      before: { fmt: 'packed', flags: UP | UV | AT },
      clientPinBefore: true,
      reset: 'ok',
      clientPinAfter: false,
      discoverableAfter: 'NO_CREDENTIALS',
      allowListAfter: 'NO_CREDENTIALS',
    });
  });
});
