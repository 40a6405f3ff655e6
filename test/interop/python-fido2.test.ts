import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openBand, type BandClient } from '../../host/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BANDSIM, requireBuiltBandsim, startBandsim, type RunningBand } from '../support/bandsim.js';
import { bandctlProcess } from '../support/bandctl.js';
import { busyRetried } from '../support/busy-retry.js';
import { PYTHON_FIDO2, systemTool } from '../support/system-deps.js';

/**
 * python-fido2 (Debian's python3-fido2, an independent CTAP2 client) drives bandsim over UDP-HID: CTAPHID INIT and
 * PING, getInfo, makeCredential (rk and non-rk) with packed batch (x5c) and self attestation checked by python-fido2, getAssertion
 * with the signature verified against the attested public key, ClientPin (both PIN/UV protocols), reset, and
 * CTAPHID_CANCEL during a KEEPALIVE(UPNEEDED) wait, enterprise attestation.
 * The driver is test/interop/python_fido2_driver.py; it prints one JSON object of what it saw.
 */
const here = new URL('.', import.meta.url).pathname;
const PYTHON = '/usr/bin/python3';
const python = systemTool(PYTHON_FIDO2);

const bands: RunningBand[] = [];

async function startBand(
  presence: 'auto' | 'button' = 'auto',
  args: string[] = [],
  blank = false,
): Promise<RunningBand> {
  const band = await startBandsim({ autoPresence: presence === 'auto', args, blank });
  bands.push(band);
  return band;
}

/** Runs the python driver against a band; resolves with its JSON report. */
function drive(
  band: RunningBand,
  scenario:
    | 'main'
    | 'reset'
    | 'cancel'
    | 'extensions'
    | 'u2f'
    | 'config'
    | 'bio'
    | 'largeblobs'
    | 'largeblobs-read'
    | 'enterprise',
  extra: string[] = [],
): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      [join(here, 'python_fido2_driver.py'), '127.0.0.1', String(band.port), scenario, ...extra],
      // No __pycache__ left in the source tree.
      { cwd: here, timeout: 60_000, encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } },
      (error, stdout, stderr) => {
        if (error)
          return reject(
            new Error(
              `python_fido2_driver.py ${scenario} failed: ${error.message}\n${stdout}${stderr}\nbandsim said:\n${band.output()}`,
            ),
          );
        try {
          const report = JSON.parse(stdout);
          if (report.fatal)
            return reject(new Error(`python-fido2 ${scenario}: ${report.fatal}\n${report.trace}\nso far: ${stdout}`));
          resolve(report);
        } catch {
          reject(new Error(`python_fido2_driver.py printed no JSON:\n${stdout}${stderr}`));
        }
      },
    );
  });
}

/** What the driver asks the simulated wearer to do (its "ACT" and "ASK" lines). */
type PersonRequest = { touch?: 'good' | 'poor' } & { authenticate?: 'enrolled-finger' | 'other-finger' };

/**
 * Runs an interactive scenario: the driver prints ACT/ASK lines for the wearer, `person` does it (through the
 * band's debug link), and an ASK is answered on the driver's stdin once done. Resolves with the final JSON report.
 */
function driveWithPerson(
  band: RunningBand,
  scenario: 'bio-enroll',
  person: (request: PersonRequest) => Promise<void>,
): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [join(here, 'python_fido2_driver.py'), '127.0.0.1', String(band.port), scenario], {
      cwd: here,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
    let report = '';
    let stderr = '';
    let personFailed: Error | undefined;
    let acting: Promise<void> = Promise.resolve();
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^(ACT|ASK) (.*)$/.exec(line);
      if (!m) return void (report += line);
      // One action at a time, in the driver's order (a touch's lift may still be on its way when the next comes).
      acting = acting.then(() => person(JSON.parse(m[2]) as PersonRequest));
      acting.then(
        () => m[1] === 'ASK' && child.stdin.write('done\n'),
        (error: Error) => {
          personFailed = error;
          child.kill('SIGKILL');
        },
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (personFailed) return reject(personFailed);
      try {
        const parsed = JSON.parse(report);
        if (parsed.fatal) return reject(new Error(`python-fido2 ${scenario}: ${parsed.fatal}\n${parsed.trace}`));
        resolve(parsed);
      } catch {
        reject(
          new Error(
            `python_fido2_driver.py ${scenario} exited ${code} without a JSON report:\n${report}${stderr}\nbandsim said:\n${band.output()}`,
          ),
        );
      }
    });
  });
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
    requireBuiltBandsim();
    main = await drive(await startBand(), 'main');
  }, 180_000);

  afterAll(async () => {
    await Promise.all(bands.map((band) => band.stop()));
  });

  it('INIT allocates a channel and reports CTAPHID 2 with WINK|CBOR and MSG (NMSG clear); a 1 KiB PING echoes', () => {
    expect(main.init).toEqual({
      ctaphidVersion: 2,
      deviceVersion: expect.any(Array),
      capabilities: 0x01 | 0x04,
    });
    expect(ok(main.ping)).toEqual({ echoed: true });
  });

  it('authenticatorGetInfo parses (canonical CBOR checked by python-fido2)', () => {
    expect(main.getInfo).toMatchObject({
      versions: ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1'],
      extensions: ['credProtect', 'hmac-secret', 'credBlob', 'minPinLength', 'largeBlobKey'],
      aaguid: 'bbaf4d27b2d0d7369e34164abb7a9d65',
      options: {
        rk: true,
        up: true,
        uv: true,
        credMgmt: true,
        clientPin: false,
        pinUvAuthToken: true,
        makeCredUvNotRqd: true,
      },
      pinUvProtocols: [2, 1],
      maxCredentialIdLength: 63,
      algorithms: [{ alg: -7, type: 'public-key' }],
    });
  });

  it('makeCredential (non-rk and rk) gives packed batch attestation (x5c) that python-fido2 verifies as BASIC', () => {
    const common = {
      fmt: 'packed',
      attestationType: 'BASIC',
      trustPathLength: 1,
      certificateIssuer: 'CN=bandsim attestation root CA,O=band-stack,C=US',
      rpIdHashOk: true,
      credentialIdLength: 63,
      alg: -7,
      aaguid: main.getInfo.aaguid,
    };
    expect(ok(main.makeCredentialNonRk)).toMatchObject({ ...common, flags: UP | AT });
    expect(ok(main.makeCredentialRk)).toMatchObject({ ...common, flags: UP | UV | AT });
    expect(main.makeCredentialRk.counter).toBeGreaterThan(main.makeCredentialNonRk.counter);
    expect(ok(main.makeCredentialRkWithoutUv)).toEqual({ status: 'PUAT_REQUIRED' });
  });

  it('getAssertion signatures verify with the attested public key', () => {
    expect(ok(main.getAssertionAllowList)).toMatchObject({
      verified: true,
      credentialIdMatches: true,
      flags: UP,
      user: {},
    });
    // Without UV the band returns only the user id (CTAP 2.1 §6.2.2 step 12).
    expect(ok(main.getAssertionDiscoverable)).toMatchObject({
      verified: true,
      credentialIdMatches: true,
      flags: UP,
      user: { id: 'python-user-2' },
    });
    expect(main.getAssertionDiscoverable.counter).toBeGreaterThan(main.getAssertionAllowList.counter);
    expect(ok(main.getAssertionUnknownRp)).toEqual({ status: 'NO_CREDENTIALS' });
  });

  it('ClientPin: set PIN, wrong PIN costs a retry, pinUvAuthToken (protocols 2 and 1) authorises makeCredential and getAssertion, change PIN', () => {
    const pin = ok(main.clientPin);
    expect(pin).toMatchObject({
      protocol: 2,
      clientPinAfterSet: true,
      retries: 8,
      wrongPin: 'PIN_INVALID',
      retriesAfterWrong: 7,
    });
    for (const v of ['v2', 'v1']) {
      expect(pin[`makeCredential_${v}`]).toMatchObject({
        fmt: 'packed',
        attestationType: 'BASIC',
        flags: UP | UV | AT,
      });
      expect(pin[`getAssertion_${v}`]).toEqual({ verified: true, flags: UP | UV });
    }
    expect(pin.badPinUvAuthParam).toBe('PIN_AUTH_INVALID');
    expect(pin.changedPinWorks).toBe(true);
  });

  it('authenticatorReset within 10 s of power-up clears the PIN and every credential', async () => {
    // A fresh band: reset is allowed only in the first 10 s after power-up.
    // This band is started with --attestation self: python-fido2 sees SELF attestation, no certificate.
    const report = await drive(await startBand('auto', ['--attestation', 'self']), 'reset');
    expect(report).toMatchObject({
      before: { fmt: 'packed', attestationType: 'SELF', trustPathLength: 0, flags: UP | UV | AT },
      clientPinBefore: true,
      reset: 'ok',
      clientPinAfter: false,
      discoverableAfter: 'NO_CREDENTIALS',
      allowListAfter: 'NO_CREDENTIALS',
    });
  });

  it('CTAPHID_CANCEL while the band waits for its top button answers KEEPALIVE_CANCEL; the channel stays usable', async () => {
    const report = await drive(await startBand('button'), 'cancel');
    expect(report).toEqual({
      makeCredential: 'KEEPALIVE_CANCEL',
      keepalives: [2],
      afterwards: ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1'],
    });
  });

  it("credBlob, minPinLength and hmac-secret through python-fido2 0.9.1's own extension classes", async () => {
    const report = await drive(await startBand(), 'extensions');
    expect(report.getInfo).toEqual({
      extensions: ['credProtect', 'hmac-secret', 'credBlob', 'minPinLength', 'largeBlobKey'],
      maxCredBlobLength: 32,
      minPinLength: 4,
      supported: { credBlob: true, minPinLength: true, 'hmac-secret': true },
    });
    const blob = report.blob as string;
    // A discoverable credential keeps the blob; minPinLength is asked for but no RP is on the (empty) list yet.
    expect(ok(report.makeCredentialRk)).toEqual({
      sent: ['credBlob', 'hmac-secret', 'minPinLength'],
      outputs: { credBlob: true, 'hmac-secret': true },
      hmacCreateSecret: { hmacCreateSecret: true },
      extensionDataFlag: true,
    });
    // This band keeps blobs for discoverable credentials only (CTAP 2.1 §12.2 makes the rest optional).
    expect(ok(report.makeCredentialNonRk).outputs).toEqual({ credBlob: false, 'hmac-secret': true });
    expect(ok(report.getAssertionRk)).toEqual({
      sent: ['credBlob', 'hmac-secret'],
      credBlob: blob,
      hmacOutputLengths: [32, 32],
      signatureVerified: true,
    });
    expect(ok(report.getAssertionNonRk)).toMatchObject({ credBlob: '', hmacOutputLengths: [32, 32] });
  }, 180_000);
  it('CTAP1/U2F through python-fido2 Ctap1: register and authenticate verified, check-only, counter shared with CTAP2', async () => {
    const report = await drive(await startBand(), 'u2f');
    expect(ok(report.version)).toEqual({ version: 'U2F_V2' });
    const registered = ok(report.register);
    expect(registered).toMatchObject({
      keyHandleLength: 63,
      publicKeyLength: 65,
      certificateSubject: 'CN=bandsim batch attestation,OU=Authenticator Attestation,O=band-stack,C=US',
    });
    // The band asks for the touch and answers CONDITIONS_NOT_SATISFIED; auto-presence gives it before the retry.
    expect(registered.tries).toBeLessThanOrEqual(2);
    const authenticated = ok(report.authenticate);
    expect(authenticated.userPresence).toBe(1);
    expect(authenticated.nextCounter).toBe(authenticated.counter + 1);
    expect(ok(report.checkOnly)).toEqual({
      ours: 'USE_NOT_SATISFIED',
      foreign: 'WRONG_DATA',
      otherApp: 'WRONG_DATA',
    });
    expect(ok(report.ctap2AssertionOfU2fCredential).counter).toBe(authenticated.nextCounter + 1);
  });

  it('authenticatorConfig through python-fido2 Config: setMinPINLength with an RP list feeds minPinLength, forces the PIN change; toggleAlwaysUv', async () => {
    const report = await drive(await startBand(), 'config');
    expect(report.getInfo).toEqual({
      // ep present and false: enterprise attestation capable, not enabled (CTAP 2.1 §7.1).
      options: { authnrCfg: true, alwaysUv: false, setMinPINLength: true, makeCredUvNotRqd: true, ep: false },
      minPinLength: 4,
      forcePinChange: false,
    });
    expect(ok(report.withoutToken)).toEqual({ status: 'PUAT_REQUIRED' });
    expect(ok(report.cmToken)).toEqual({ status: 'PIN_AUTH_INVALID' });
    // The 4-digit PIN is now too short: the band forces a change before issuing tokens.
    expect(ok(report.setMinPinLength)).toEqual({
      minPinLength: 6,
      forcePinChange: true,
      extensionForListedRp: 6,
      extensionForOtherRp: null,
      tokenBeforeChange: 'PIN_POLICY_VIOLATION',
      shortNewPin: 'PIN_POLICY_VIOLATION',
    });
    expect(ok(report.changePin)).toEqual({ forcePinChange: false, lowerMinimum: 'PIN_POLICY_VIOLATION' });
    const alwaysUv = ok(report.toggleAlwaysUv);
    expect(alwaysUv).toMatchObject({ alwaysUv: true, makeCredUvNotRqd: false });
    // A plain non-discoverable makeCredential now carries UV (the wrist), as alwaysUv demands.
    expect(alwaysUv.makeCredentialFlags & (UP | UV)).toBe(UP | UV);
  }, 180_000);

  it("FPBioEnrollment lists and renames the wearer's fingerprint, keeps one template; built-in UV signs", async () => {
    const report = await drive(await startBand(), 'bio');
    expect(report.fatal).toBeUndefined();
    expect(report.getInfo).toEqual({ bioEnroll: true, uvBioEnroll: true, uvModality: 0x02 });
    // modality fingerprint, kind touch, 6 samples (the band's touch count), 12-byte names (the band's label).
    expect(ok(report.sensorInfo)).toEqual({ '1': 1, '2': 1, '3': 6, '8': 12 });
    const listed = Object.entries(ok(report.enumerate));
    expect(listed).toHaveLength(1);
    const [templateId] = listed[0];
    expect(templateId).toMatch(/^[0-9a-f]{32}$/);
    expect(ok(report.rename)).toEqual({ [templateId]: 'RIGHT INDEX' });
    expect(report.enrollBegin).toBe('FP_DATABASE_FULL');
    expect(report.remove).toBe('OPERATION_DENIED');
    expect(ok(report.makeCredentialUv).flags & (UP | UV | AT)).toBe(UP | UV | AT);
    expect(ok(report.getAssertionUv)).toMatchObject({ verified: true, credentialIdMatches: true });
    expect(ok(report.getAssertionUv).flags & (UP | UV)).toBe(UP | UV);
  }, 180_000);

  it("FPBioEnrollment enrolls the wearer over CTAP (poor sample, cancel, timeout and CTAPHID cancel first); the band's matcher then gives built-in UV", async () => {
    const band = await startBand('auto', [], true);
    const client: BandClient = await openBand(`udp-hid:127.0.0.1:${band.port}`);
    const FINGER = 'tw-user3/right-index';
    try {
      await client.debug.setWrist(true);
      const report = await driveWithPerson(band, 'bio-enroll', async (request) => {
        // Each debug request on its own, retried if it meets python's request mid-reassembly (busyRetried).
        const d = client.debug;
        if (request.touch) {
          await busyRetried(() => d.fingerOn(FINGER, { poorQuality: request.touch === 'poor' }));
          await busyRetried(() => d.fingerOff());
        }
        if (request.authenticate) {
          // SimulatedUser's 'authenticate': the finger stays on through the match and the ECG (3 s, band clock).
          const finger = request.authenticate === 'enrolled-finger' ? FINGER : 'tw-user9/left-thumb';
          await busyRetried(() => d.fingerOn(finger));
          await busyRetried(() => d.advanceClock(3_000));
          await busyRetried(() => d.fingerOff());
        }
      });
      // present but false: the sensor is there, no finger is enrolled; built-in UV comes only with one.
      expect(report.getInfoBefore).toEqual({ bioEnroll: false, uv: false, uvBioEnroll: true, uvModality: 0x02 });
      expect(report.enumerateBefore).toEqual({});
      expect(ok(report.poorThenCancel)).toEqual({
        first: { status: 'FP_POOR_QUALITY', remaining: 6, done: null, askedForFinger: true },
        templateIdLength: 16,
        captureAfterCancel: 'INVALID_OPTION',
      });
      expect(report.timeout).toBe('USER_ACTION_TIMEOUT');
      // CTAPHID_CANCEL while the band waits for a sample ends the enrollment too.
      expect(ok(report.ctaphidCancel)).toEqual({ status: 'KEEPALIVE_CANCEL', captureAfter: 'INVALID_OPTION' });
      const enrolled = ok(report.enroll);
      expect(enrolled.samples.map((s: { remaining: number }) => s.remaining)).toEqual([5, 4, 3, 2, 1, 0]);
      expect(enrolled.samples.every((s: { status: string }) => s.status === 'FP_GOOD')).toBe(true);
      expect(enrolled.templateId).toMatch(/^[0-9a-f]{32}$/);
      expect(report.getInfoAfter).toEqual({ bioEnroll: true, uv: true, uvBioEnroll: true, uvModality: 0x02 });
      // The local user's default name, then renamed (the band's label, upper-case).
      expect(ok(report.enumerate)).toEqual({
        [enrolled.templateId]: `LOCAL-${enrolled.templateId.slice(0, 6).toUpperCase()}`,
      });
      expect(ok(report.rename)).toEqual({ [enrolled.templateId]: 'INDEX' });
      expect(report.enrollBeginWhenEnrolled).toBe('FP_DATABASE_FULL');
      // Built-in UV is the match on the band: not before, not with another finger, then yes.
      expect(report.makeCredentialBeforeMatch).toBe('PUAT_REQUIRED');
      expect(report.makeCredentialAfterOtherFinger).toBe('PUAT_REQUIRED');
      expect(ok(report.makeCredentialUv).flags & (UP | UV | AT)).toBe(UP | UV | AT);
      const assertion = ok(report.getAssertionUv);
      expect(assertion).toMatchObject({ verified: true, credentialIdMatches: true });
      expect(assertion.flags & (UP | UV)).toBe(UP | UV);
      // removeEnrollment takes the local template; the credential stays (GetState counts it) but the band uses
      // none without an enrolled wearer, with or without the PIN.
      expect(ok(report.remove)).toEqual({ enumerate: {} });
      expect(report.getInfoRemoved).toEqual({ bioEnroll: false, uv: false, uvBioEnroll: true, uvModality: 0x02 });
      expect(report.getAssertionWithPinAfterRemove).toBe('OPERATION_DENIED');
      expect(report.getAssertionUvAfterRemove).toBe('OPERATION_DENIED');
      const state = await client.getState();
      expect(state).toMatchObject({ enrolled: false, localUser: false, fidoCredentialCount: 1 });
    } finally {
      client.close();
      await client.closed();
    }
  }, 120_000);

  it('largeBlobs through python-fido2 LargeBlobs and LargeBlobKeyExtension; blobs cross-read with bandctl both ways', async () => {
    const band = await startBand();
    const report = await drive(band, 'largeblobs');
    expect(report.getInfo).toEqual({ largeBlobs: true, maxLargeBlob: 4096, largeBlobKeySupported: true });
    const made = ok(report.makeCredential);
    expect(made.distinctKeys).toBe(true);
    for (const n of ['50', '51', '52']) expect(made[n].keyLength).toBe(32);
    expect(ok(report.getAssertion)).toEqual({ sameKey: true, withoutInput: null });
    expect(ok(report.initial)).toEqual({ array: [] });
    expect(ok(report.withoutToken)).toEqual({ status: 'PUAT_REQUIRED' });
    expect(ok(report.cmToken)).toEqual({ status: 'PIN_AUTH_INVALID' });
    expect(ok(report.array)).toEqual({ same: true, emptyAgain: [] });
    const pythonBlob = 'written by python-fido2 '.repeat(8);
    expect(ok(report.putBlob)).toEqual({ got: pythonBlob, otherKey: null, entries: 1 });

    // bandctl, as a user runs it, reads the blob python-fido2 wrote (a zlib stream) ...
    const transport = ['--transport', `udp-hid:127.0.0.1:${band.port}`, 'fido2', 'large-blob'];
    const credential = (n: string) => ['--rp', 'interop.example', '--credential', made[n].credentialId];
    const got = await bandctlProcess([...transport, 'get', ...credential('50'), '--pin', '4321', '--json']);
    expect(got.code, got.stderr).toBe(0);
    expect(got.json()).toMatchObject({ ok: true, found: true, text: pythonBlob, bytes: pythonBlob.length });
    // ... and writes two: the spec's raw DEFLATE, and with --zlib the stream python-fido2 0.9 inflates.
    for (const [n, extra] of [
      ['51', []],
      ['52', ['--zlib']],
    ] as const) {
      const set = await bandctlProcess([
        ...transport,
        'set',
        ...credential(n),
        '--data',
        `written by bandctl for ${n}`,
        '--pin',
        '4321',
        ...extra,
        '--json',
      ]);
      expect(set.code, set.stderr).toBe(0);
    }
    const read = await drive(band, 'largeblobs-read');
    expect(read.entries).toBe(3);
    // python-fido2's get_blob inflates zlib streams only; the raw DEFLATE entry is read with python-fido2's own
    // decryption (_lb_unpack: AES-256-GCM, AD "blob" ‖ uint64LE(origSize)) and Python's raw inflate.
    expect(read.blobs).toEqual({
      'python-user-50': { getBlob: pythonBlob, rawDeflate: null },
      'python-user-51': { getBlob: null, rawDeflate: 'written by bandctl for 51' },
      'python-user-52': { getBlob: 'written by bandctl for 52', rawDeflate: null },
    });
  }, 180_000);

  it('enterprise attestation: ep, enableEnterpriseAttestation, makeCredential 1 and 2 with epAtt; python-fido2 verifies the certificate naming the device ID and its chain to the root', async () => {
    const band = await startBand('auto', ['--enterprise-rp', 'interop.example']);
    const dir = await mkdtemp(join(tmpdir(), 'band-root-'));
    const client: BandClient = await openBand(`udp-hid:127.0.0.1:${band.port}`);
    try {
      const rootPem = join(dir, 'root.pem');
      await promisify(execFile)(process.execPath, [BANDSIM, '--attestation-root-out', rootPem], { timeout: 30_000 });
      const deviceId = Buffer.from((await client.getInfo()).deviceId).toString('hex');
      const report = await drive(band, 'enterprise', [rootPem]);
      // What python-fido2 0.9.1 has: the sub-command's number and epAtt parsing, not the two conveniences.
      expect(report.library).toEqual({
        configEnableEnterpriseAttestation: false,
        makeCredentialEnterpriseAttestation: false,
      });
      expect(report.epBefore).toBe(false);
      expect(ok(report.beforeEnable)).toEqual({ status: 'INVALID_PARAMETER' });
      expect(ok(report.enable)).toEqual({ ep: true });
      const enterprise = {
        epAtt: true,
        attestationType: 'BASIC',
        chainsToRoot: true,
        // cryptography writes X.520 serialNumber (2.5.4.5) by its OID.
        subject: `2.5.4.5=${deviceId},CN=bandsim enterprise attestation,OU=Authenticator Attestation,O=band-stack,C=US`,
        deviceId,
      };
      expect(ok(report.vendorFacilitatedListedRp)).toEqual(enterprise);
      expect(ok(report.platformManaged)).toEqual(enterprise);
      // Vendor-facilitated for an RP ID the band was not provisioned with: the batch certificate, no device.
      expect(ok(report.vendorFacilitatedOtherRp)).toEqual({
        epAtt: null,
        attestationType: 'BASIC',
        chainsToRoot: true,
        subject: 'CN=bandsim batch attestation,OU=Authenticator Attestation,O=band-stack,C=US',
        deviceId: null,
      });
      expect(ok(report.valueThree)).toEqual({ status: 'INVALID_OPTION' });
    } finally {
      client.close();
      await client.closed();
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
