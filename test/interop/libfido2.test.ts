import { execFile, execFileSync, spawn } from 'node:child_process';
import { createDecipheriv } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { inflateRawSync, inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBand, type BandClient } from '../../host/index.js';
import { FIDO_REPORT_DESCRIPTOR } from '../../transport/index.js';
import { bandctlProcess } from '../support/bandctl.js';
import { requireBuiltBandsim, startBandsim, type RunningBand } from '../support/bandsim.js';
import { busyRetried } from '../support/busy-retry.js';
import { CC, FIDO2_TOOLS, PYTHON_FIDO2, systemTool } from '../support/system-deps.js';

/**
 * libfido2 1.12 (Debian's fido2-tools: fido2-token, fido2-cred, fido2-assert) against a bandsim process: bio
 * enrollment (info, list, enroll with simulated finger touches, rename, the finger as fido2-assert's UV, remove) and
 * large blobs (set/get/list/delete by key and by relying party, cross-read with python-fido2 and bandctl). The tools
 * reach the band's UDP-HID port through hidraw-udp-shim.c, preloaded: it answers libfido2's hidraw calls for one path
 * with a UDP socket, and tells this test when the band sends KEEPALIVE(UPNEEDED), so the simulated wearer touches the
 * sensor when asked. What a tool prints is asserted as its user reads it.
 */
const here = new URL('.', import.meta.url).pathname;
const sourceDir = here.includes('/dist/') ? join(here, '../../../test/interop') : here;
const tools = systemTool(FIDO2_TOOLS);
const cc = tools.ok ? systemTool(CC) : tools;
const python = tools.ok ? systemTool(PYTHON_FIDO2) : tools;

/** Not a file: the shim answers for this path. */
const DEVICE = '/dev/hidraw-bandsim';
const PIN = '4321';
const FINGER = 'tw-user3/right-index';
/** authenticatorData flags (WebAuthn §6.1): user present, user verified. */
const UP = 0x01;
const UV = 0x04;

let work: string;
let shim: string;
const bands: RunningBand[] = [];
const clients: BandClient[] = [];

interface ToolRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a libfido2 tool against `band`, in a session of its own (no terminal, so it reads the PIN from stdin, as
 * the tools do without one). `onEvent` hears the shim's lines ("keepalive 2", "cbor 0"). The deadline only
 * catches a hang; the band answers in well under a second.
 */
function libfido2(
  tool: 'fido2-token' | 'fido2-cred' | 'fido2-assert',
  band: RunningBand,
  args: string[],
  options: { stdin?: string; onEvent?: (line: string) => void } = {},
): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, {
      cwd: work,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      env: {
        ...process.env,
        LD_PRELOAD: shim,
        BAND_HIDRAW_PATH: DEVICE,
        BAND_HIDRAW_UDP_PORT: String(band.port),
        BAND_HIDRAW_DESCRIPTOR: Buffer.from(FIDO_REPORT_DESCRIPTOR).toString('hex'),
        BAND_HIDRAW_EVENTS_FD: '3',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const events = child.stdio[3] as Readable;
    createInterface({ input: events }).on('line', (line) => options.onEvent?.(line));
    // A tool that needs no PIN exits without reading stdin: EPIPE then says nothing about the tool.
    child.stdin.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.stdin.end(options.stdin ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`${tool} ${args.join(' ')} hung (no exit in 90 s)\n${stdout}${stderr}\nbandsim:\n${band.output()}`),
      );
    }, 90_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A run that must succeed: its stdout, or an error with everything it said. */
async function ok(run: Promise<ToolRun>): Promise<string> {
  const { code, stdout, stderr } = await run;
  if (code !== 0) throw new Error(`exit ${code}\nstdout: ${stdout}\nstderr: ${stderr}`);
  return stdout;
}

async function startBand(options: { blank?: boolean; args?: string[] } = {}): Promise<RunningBand> {
  const band = await startBandsim({ autoPresence: true, ...options });
  bands.push(band);
  return band;
}

async function debugClient(band: RunningBand): Promise<BandClient> {
  const client = await openBand(`udp-hid:127.0.0.1:${band.port}`);
  clients.push(client);
  return client;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const fromB64url = (text: string) => Buffer.from(text, 'base64url');

/** `fido2-token -S`: sets the first PIN (asked twice). */
const setPin = (band: RunningBand) => ok(libfido2('fido2-token', band, ['-S', DEVICE], { stdin: `${PIN}\n${PIN}\n` }));

/** The options line of `fido2-token -I`, as a map of option -> set. */
function options(info: string): Record<string, boolean> {
  const line = /^options: (.*)$/m.exec(info)?.[1] ?? '';
  return Object.fromEntries(line.split(', ').map((o) => (o.startsWith('no') ? [o.slice(2), false] : [o, true])));
}

describe.skipIf(!tools.ok || !cc.ok)('libfido2 1.12 (fido2-tools) against bandsim', () => {
  beforeAll(() => {
    requireBuiltBandsim();
    work = mkdtempSync(join(tmpdir(), 'band-libfido2-'));
    shim = join(work, 'hidraw-udp-shim.so');
    execFileSync(
      'cc',
      [
        '-shared',
        '-fPIC',
        '-O2',
        '-Wall',
        '-Wextra',
        '-Werror',
        '-o',
        shim,
        join(sourceDir, 'hidraw-udp-shim.c'),
        '-ldl',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 },
    );
  }, 90_000);

  afterAll(async () => {
    for (const client of clients) {
      client.close();
      await client.closed();
    }
    await Promise.all(bands.map((band) => band.stop()));
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('bio enrollment: fido2-token -I shows the sensor, -S -e enrolls the wearer (a poor sample first), -L -e lists, -S -e -n renames, the finger then gives fido2-assert UV, -D -e removes', async () => {
    const band = await startBand({ blank: true });
    const client = await debugClient(band);

    const before = await ok(libfido2('fido2-token', band, ['-I', DEVICE]));
    expect(options(before)).toMatchObject({ bioEnroll: false, uvBioEnroll: true, clientPin: false });
    expect(before).toMatch(/^uv modality: 0x2 \(fingerprint check\)$/m);
    expect(before).toMatch(/^sensor type: 1 \(touch\)$/m);
    expect(before).toMatch(/^max samples: 6$/m);

    await setPin(band);
    expect(options(await ok(libfido2('fido2-token', band, ['-I', DEVICE])))).toMatchObject({ clientPin: true });
    // No template yet: enumerateEnrollments is CTAP2_ERR_INVALID_OPTION (CTAP 2.1 §6.7.6), which fido2-token reports.
    const none = await libfido2('fido2-token', band, ['-L', '-e', DEVICE], { stdin: `${PIN}\n` });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('fido_bio_dev_get_template_array: FIDO_ERR_INVALID_OPTION');
    // Only a worn band enrolls (docs/band.md, "Fingerprint management over CTAP").
    const offWrist = await libfido2('fido2-token', band, ['-S', '-e', DEVICE], { stdin: `${PIN}\n` });
    expect(offWrist.code).toBe(1);
    expect(offWrist.stderr).toContain('fido_bio_dev_enroll_begin: FIDO_ERR_OPERATION_DENIED');
    await client.debug.setWrist(true);

    // The wearer touches when the band asks (KEEPALIVE UPNEEDED), once per sample request: the first touch poor.
    const touches: ('poor' | 'good')[] = [];
    let armed = true;
    let acting: Promise<void> = Promise.resolve();
    let personFailed: unknown;
    const enroll = await libfido2('fido2-token', band, ['-S', '-e', DEVICE], {
      stdin: `${PIN}\n`,
      onEvent: (line) => {
        if (line.startsWith('cbor ')) armed = true;
        if (line !== 'keepalive 2' || !armed) return;
        armed = false;
        const how = touches.length === 0 ? 'poor' : 'good';
        touches.push(how);
        acting = acting
          .then(async () => {
            await busyRetried(() => client.debug.fingerOn(FINGER, { poorQuality: how === 'poor' }));
            await busyRetried(() => client.debug.fingerOff());
          })
          .catch((error: unknown) => void (personFailed ??= error));
      },
    });
    await acting;
    expect(personFailed).toBeUndefined();
    expect(enroll.stderr).not.toMatch(/fido_/);
    expect(enroll.code, enroll.stderr).toBe(0);
    expect(touches).toEqual(['poor', 'good', 'good', 'good', 'good', 'good', 'good']);
    expect(enroll.stdout.trim().split('\n')).toEqual([
      'Touch your security key.',
      'Poor quality sample.',
      'Touch your security key (6 samples left).',
      'Sample ok.',
      'Touch your security key (5 samples left).',
      'Sample ok.',
      'Touch your security key (4 samples left).',
      'Sample ok.',
      'Touch your security key (3 samples left).',
      'Sample ok.',
      'Touch your security key (2 samples left).',
      'Sample ok.',
      'Touch your security key (1 sample left).',
      'Sample ok.',
    ]);
    expect(options(await ok(libfido2('fido2-token', band, ['-I', DEVICE])))).toMatchObject({ bioEnroll: true });

    // The local user's template: its ID, and the band's default name from it.
    const listed = await ok(libfido2('fido2-token', band, ['-L', '-e', DEVICE], { stdin: `${PIN}\n` }));
    const [, id, name] = /^00: (\S+) (\S+)\n$/.exec(listed) ?? [];
    expect(Buffer.from(id, 'base64')).toHaveLength(16);
    expect(name).toBe(`LOCAL-${Buffer.from(id, 'base64').toString('hex').slice(0, 6).toUpperCase()}`);
    expect(await client.getState()).toMatchObject({ enrolled: true, localUser: true });

    await ok(libfido2('fido2-token', band, ['-S', '-e', '-i', id, '-n', 'index', DEVICE], { stdin: `${PIN}\n` }));
    expect(await ok(libfido2('fido2-token', band, ['-L', '-e', DEVICE], { stdin: `${PIN}\n` }))).toBe(
      `00: ${id} INDEX\n`,
    );

    // The enrolled finger is the band's built-in UV: once the wearer has authenticated with it (finger on through
    // the match and the ECG, 3 s of band time), fido2-assert -t uv=true gets a UV assertion with no PIN.
    const credIn = join(work, 'bio-cred.in');
    writeFileSync(
      credIn,
      [b64(Buffer.alloc(32, 1)), 'bio.example', 'wearer', b64(Buffer.from('wearer-id'))].join('\n') + '\n',
    );
    const cred = (await ok(libfido2('fido2-cred', band, ['-M', '-i', credIn, DEVICE], { stdin: `${PIN}\n` })))
      .trim()
      .split('\n');
    await busyRetried(() => client.debug.fingerOn(FINGER));
    await busyRetried(() => client.debug.advanceClock(3_000));
    await busyRetried(() => client.debug.fingerOff());
    const assertIn = join(work, 'bio-assert.in');
    writeFileSync(assertIn, [b64(Buffer.alloc(32, 2)), 'bio.example', cred[4]].join('\n') + '\n');
    const assertion = (await ok(libfido2('fido2-assert', band, ['-G', '-t', 'uv=true', '-i', assertIn, DEVICE])))
      .trim()
      .split('\n');
    // Line 3: the authenticator data as a CBOR byte string; its flags byte follows the 32-byte RP ID hash.
    const authData = Buffer.from(assertion[2], 'base64');
    const flags = authData[(authData[0] === 0x58 ? 2 : 1) + 32];
    expect(flags & (UP | UV)).toBe(UP | UV);

    await ok(libfido2('fido2-token', band, ['-D', '-e', '-i', id, DEVICE], { stdin: `${PIN}\n` }));
    expect(options(await ok(libfido2('fido2-token', band, ['-I', DEVICE])))).toMatchObject({ bioEnroll: false });
    expect(await client.getState()).toMatchObject({ enrolled: false, localUser: false });
  }, 300_000);

  it("bio enrollment of a directory user's band: -L -e lists the wearer; -S -e and -D -e are refused with the spec's errors", async () => {
    const band = await startBand();
    await setPin(band);
    const listed = await ok(libfido2('fido2-token', band, ['-L', '-e', DEVICE], { stdin: `${PIN}\n` }));
    const [, id] = /^00: (\S+) TW-USER2\n$/.exec(listed) ?? [];
    expect(id).toBeDefined();
    const enroll = await libfido2('fido2-token', band, ['-S', '-e', DEVICE], { stdin: `${PIN}\n` });
    expect(enroll.code).toBe(1);
    expect(enroll.stderr).toContain('fido_bio_dev_enroll_begin: FIDO_ERR_FP_DATABASE_FULL');
    const remove = await libfido2('fido2-token', band, ['-D', '-e', '-i', id, DEVICE], { stdin: `${PIN}\n` });
    expect(remove.code).toBe(1);
    expect(remove.stderr).toContain('fido_bio_dev_enroll_remove: FIDO_ERR_OPERATION_DENIED');
    expect(await ok(libfido2('fido2-token', band, ['-L', '-e', DEVICE], { stdin: `${PIN}\n` }))).toBe(listed);
  }, 300_000);

  it.skipIf(!python.ok)(
    'large blobs: fido2-cred -b makes a key; fido2-token -S/-G/-L/-D -b by key and by RP; raw DEFLATE; python-fido2 and bandctl blobs read back',
    async () => {
      const band = await startBand();
      // python-fido2 sets the PIN, makes three credentials with largeBlobKey on interop.example and writes a zlib
      // blob for the first (python_fido2_driver.py largeblobs).
      const report = await new Promise<Record<string, any>>((resolve, reject) =>
        execFile(
          '/usr/bin/python3',
          [join(sourceDir, 'python_fido2_driver.py'), '127.0.0.1', String(band.port), 'largeblobs'],
          { cwd: sourceDir, timeout: 120_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } },
          (error, stdout, stderr) =>
            error ? reject(new Error(`${error.message}\n${stdout}${stderr}`)) : resolve(JSON.parse(stdout)),
        ),
      );
      const pythonBlob = 'written by python-fido2 '.repeat(8);
      expect(report.putBlob).toEqual({ got: pythonBlob, otherKey: null, entries: 1 });
      const pythonCredential = (n: string) => b64(fromB64url(report.makeCredential[n].credentialId));

      // fido2-cred -M -r -b: a discoverable credential with its largeBlobKey (output line 8).
      const input = join(work, 'cred.in');
      writeFileSync(
        input,
        [b64(Buffer.alloc(32, 7)), 'libfido2.example', 'alice', b64(Buffer.from('alice-id'))].join('\n') + '\n',
      );
      const made = (
        await ok(libfido2('fido2-cred', band, ['-M', '-r', '-b', '-i', input, DEVICE], { stdin: `${PIN}\n` }))
      )
        .trim()
        .split('\n');
      expect(made[2]).toBe('packed');
      const credentialId = made[4];
      const key = Buffer.from(made[7], 'base64');
      expect(key).toHaveLength(32);
      const keyFile = join(work, 'key.b64');
      writeFileSync(keyFile, `${made[7]}\n`);

      // By key: set, then get.
      const blob = Buffer.from('a certificate written by libfido2\n'.repeat(20));
      writeFileSync(join(work, 'blob.bin'), blob);
      await ok(libfido2('fido2-token', band, ['-S', '-b', '-k', keyFile, 'blob.bin', DEVICE], { stdin: `${PIN}\n` }));
      await ok(libfido2('fido2-token', band, ['-G', '-b', '-k', keyFile, 'got.bin', DEVICE], { stdin: `${PIN}\n` }));
      expect(readFileSync(join(work, 'got.bin'))).toEqual(blob);

      // What libfido2 1.12 wrote: AES-256-GCM (AD "blob" || uint64LE(origSize)) over raw DEFLATE, as §6.10.3 says.
      const client = await debugClient(band);
      const array = await client.fido2.largeBlobs.read();
      const opened = array.entries.flatMap((entry) => {
        const fields = entry as Map<number, Uint8Array | number>;
        const [ciphertext, nonce, origSize] = [fields.get(1), fields.get(2), fields.get(3)] as [
          Uint8Array,
          Uint8Array,
          number,
        ];
        const decipher = createDecipheriv('aes-256-gcm', key, nonce);
        const ad = Buffer.alloc(12);
        ad.write('blob');
        ad.writeBigUInt64LE(BigInt(origSize), 4);
        decipher.setAAD(ad);
        decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
        try {
          return [Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()])];
        } catch {
          return [];
        }
      });
      expect(opened).toHaveLength(1);
      expect(inflateRawSync(opened[0])).toEqual(blob);
      expect(() => inflateSync(opened[0])).toThrow();

      // bandctl reads libfido2's blob, as a user runs it.
      const transport = ['--transport', `udp-hid:127.0.0.1:${band.port}`, 'fido2', 'large-blob'];
      const got = await bandctlProcess([
        ...transport,
        'get',
        '--rp',
        'libfido2.example',
        '--credential',
        Buffer.from(credentialId, 'base64').toString('base64url'),
        '--json',
      ]);
      expect(got.code, got.stderr).toBe(0);
      expect(got.json()).toMatchObject({ found: true, text: blob.toString() });

      // By relying party: libfido2 finds the credential and its key through credential management (§6.8.3).
      const byRp = (op: '-G' | '-S' | '-D', rp: string, credential: string, file?: string) =>
        libfido2('fido2-token', band, [op, '-b', '-n', rp, '-i', credential, ...(file ? [file] : []), DEVICE], {
          stdin: `${PIN}\n`,
        });
      await ok(byRp('-G', 'interop.example', pythonCredential('50'), 'python.bin'));
      expect(readFileSync(join(work, 'python.bin'), 'utf8')).toBe(pythonBlob);

      // bandctl writes two more: the spec's raw DEFLATE, and with --zlib what python-fido2 0.9 reads.
      for (const [n, extra] of [
        ['51', []],
        ['52', ['--zlib']],
      ] as const) {
        const set = await bandctlProcess([
          ...transport,
          'set',
          '--rp',
          'interop.example',
          '--credential',
          report.makeCredential[n].credentialId,
          '--data',
          `written by bandctl for ${n}`,
          '--pin',
          PIN,
          ...extra,
          '--json',
        ]);
        expect(set.code, set.stderr).toBe(0);
        await ok(byRp('-G', 'interop.example', pythonCredential(n), `bandctl-${n}.bin`));
        expect(readFileSync(join(work, `bandctl-${n}.bin`), 'utf8')).toBe(`written by bandctl for ${n}`);
      }

      // -L -b: the array's size, then each entry (ciphertext and blob sizes) with the credential whose key opens it.
      // libfido2 1.12's list inflates zlib streams only, so it names neither its own raw-DEFLATE entry nor bandctl's
      // (later libfido2 falls back to raw DEFLATE); get, set and delete read both.
      const listed = await client.fido2.largeBlobs.read();
      const list = (await ok(libfido2('fido2-token', band, ['-L', '-b', DEVICE], { stdin: `${PIN}\n` })))
        .trim()
        .split('\n');
      expect(list[0]).toBe(`total map size: ${listed.serialized.length - 16} bytes`);
      const owners: [string, string, number, boolean][] = [
        ['interop.example', pythonCredential('50'), pythonBlob.length, true],
        ['libfido2.example', credentialId, blob.length, false],
        ['interop.example', pythonCredential('51'), 'written by bandctl for 51'.length, false],
        ['interop.example', pythonCredential('52'), 'written by bandctl for 52'.length, true],
      ];
      expect(list.slice(1)).toHaveLength(owners.length);
      owners.forEach(([rp, id, size, zlib], i) => {
        const ciphertext = (listed.entries[i] as Map<number, Uint8Array>).get(1)!.length;
        const named = `${String(i).padStart(2, '0')}: ${String(ciphertext).padStart(4)} ${String(size).padStart(4)} ${id} ${rp}`;
        const unnamed = `${String(i).padStart(2, '0')}: ${String(ciphertext).padStart(4)} ${String(size).padStart(4)} <unknown> <unknown>`;
        expect(list[i + 1]).toBeOneOf(zlib ? [named] : [named, unnamed]);
      });

      // By RP: replace and delete libfido2's own; the others stay.
      writeFileSync(join(work, 'second.bin'), 'second version');
      await ok(byRp('-S', 'libfido2.example', credentialId, 'second.bin'));
      await ok(libfido2('fido2-token', band, ['-G', '-b', '-k', keyFile, 'got2.bin', DEVICE], { stdin: `${PIN}\n` }));
      expect(readFileSync(join(work, 'got2.bin'), 'utf8')).toBe('second version');
      await ok(byRp('-D', 'libfido2.example', credentialId));
      const gone = await libfido2('fido2-token', band, ['-G', '-b', '-k', keyFile, 'gone.bin', DEVICE], {
        stdin: `${PIN}\n`,
      });
      expect(gone.code).toBe(1);
      expect(gone.stderr).toContain('fido_dev_largeblob_get: FIDO_ERR_NOTFOUND');
      expect((await client.fido2.largeBlobs.read()).entries).toHaveLength(3);
      await ok(byRp('-G', 'interop.example', pythonCredential('50'), 'python-again.bin'));
      expect(readFileSync(join(work, 'python-again.bin'), 'utf8')).toBe(pythonBlob);
    },
    300_000,
  );
});
