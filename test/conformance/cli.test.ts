import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelAttestationRoot } from '../../firmware-sim/ctap2/index.js';
import { bandAttestationRoot } from '../../firmware-sim/fido2.js';
import { BandEmulator, serveBand, testWorld } from '../../firmware-sim/index.js';
import { CATALOGUE } from '../../host/conformance/index.js';
import { listenTcp, type TcpServer } from '../../transport/index.js';
import { truncatedRequestId } from './broken-bands.js';
import { bandctl as run } from '../support/bandctl.js';

const bandctl = (args: string[]) => run(args);

describe('bandctl conformance', () => {
  it('prints one PASS line per requirement and a summary; exit 0 (loopback: a fresh emulator per requirement)', async () => {
    const run = await bandctl(['conformance', '--only', 'FRAME,PROTO-00']);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    const ids = CATALOGUE.filter((r) => r.id.startsWith('FRAME') || r.id.startsWith('PROTO-00')).map((r) => r.id);
    expect(lines.slice(0, ids.length)).toEqual(ids.map((id) => expect.stringMatching(new RegExp(`^PASS ${id} \\S`))));
    expect(run.stdout).toContain(
      `${ids.length} passed, 0 failed, 0 skipped — AAAH-00125 (bandsim 0.1.0) over loopback`,
    );
  }, 60_000);

  it('a requirement the link cannot run is a SKIP line with what it needs, explained once in the summary', async () => {
    const run = await bandctl(['conformance', '--only', 'HID-00']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^SKIP HID-001 INIT on the broadcast channel .* {2}\(needs hid\)$/m);
    expect(run.stdout).toMatch(/^skipped 9: needs hid: the link is not CTAPHID reports/m);
  }, 30_000);

  it('--list prints the catalogue without a band; an --only matching nothing is a usage error', async () => {
    const list = await bandctl(['conformance', '--list', '--json']);
    expect(JSON.parse(list.stdout).requirements).toHaveLength(CATALOGUE.length);
    const none = await bandctl(['conformance', '--only', 'NOPE']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no requirement id starts with NOPE; groups: FRAME, HID, PROTO/);
  });

  it('--attestation-root FILE: the attestation requirements check the chain to it; a file that is not a certificate is a usage error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'conformance-root-'));
    try {
      const root = join(dir, 'root.pem');
      writeFileSync(root, new X509Certificate(bandAttestationRoot()).toString());
      const passed = await bandctl([
        'conformance',
        '--only',
        'FIDO2-014,FIDO2-015',
        '--attestation-root',
        root,
        '--json',
      ]);
      expect(passed.code).toBe(0);
      expect(JSON.parse(passed.stdout)).toMatchObject({ ok: true, passed: 2, failed: 0 });
      const other = join(dir, 'other.pem');
      writeFileSync(
        other,
        new X509Certificate(
          modelAttestationRoot({ aaguid: new Uint8Array(16), model: 'other' }).certificate,
        ).toString(),
      );
      const failed = await bandctl(['conformance', '--only', 'FIDO2-014', '--attestation-root', other]);
      expect(failed.code).toBe(1);
      expect(failed.stdout).toMatch(
        /^FAIL FIDO2-014 .* — expected the chain to end at a given attestation root, got issuer/m,
      );
      const notCert = join(dir, 'not.pem');
      writeFileSync(notCert, 'hello');
      const bad = await bandctl(['conformance', '--attestation-root', notCert]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--attestation-root .*not.pem is not an X.509 certificate \(PEM or DER\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('an unreachable band exits 3', async () => {
    const run = await bandctl(['--transport', 'tcp:127.0.0.1:1', 'conformance', '--json']);
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, error: { code: 'OPEN_FAILED' } });
  }, 30_000);

  describe('against a non-conformant band on TCP (request_id kept in 16 bits)', () => {
    let server: TcpServer;
    let band: BandEmulator;
    beforeAll(async () => {
      band = new BandEmulator({
        world: testWorld({ seed: 'cli-broken' }),
        serialNumber: 'BROK-00001',
        debugLink: true,
      });
      const device = truncatedRequestId.wrap(band);
      server = await listenTcp('127.0.0.1', 0, (transport) => {
        const serving = serveBand(device, transport);
        transport.onClose(() => serving.stop());
      });
    });
    afterAll(async () => {
      await server.close();
      band.close();
    });

    it('names the failed requirement with what was expected and what came; exit 1', async () => {
      const run = await bandctl([
        '--transport',
        `tcp:${server.address.host}:${server.address.port}`,
        'conformance',
        '--only',
        'PROTO',
      ]);
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(
        /^FAIL PROTO-004 every reply, refusals included, carries its request's request_id .* — expected request_id 65536 on the get_state reply, got request_id 0/m,
      );
      expect(run.stdout.match(/^FAIL /gm)).toHaveLength(1);
      expect(run.stdout).toMatch(/^11 passed, 1 failed, 0 skipped — BROK-00001/m);
      expect(run.stdout).toMatch(/^not conformant: PROTO-004$/m);
    }, 60_000);

    it('--json: exactly one document { ok: false, passed, failed, skipped, results }, exit 1', async () => {
      const run = await bandctl([
        '--transport',
        `tcp:${server.address.host}:${server.address.port}`,
        'conformance',
        '--only',
        'PROTO-004,FRAME-001',
        '--json',
      ]);
      expect(run.code).toBe(1);
      const document = JSON.parse(run.stdout);
      expect(document).toMatchObject({
        ok: false,
        passed: 1,
        failed: 1,
        skipped: 0,
        target: { link: 'framed', serialNumber: 'BROK-00001' },
      });
      expect(document.results.map((r: { id: string; status: string }) => [r.id, r.status])).toEqual([
        ['FRAME-001', 'pass'],
        ['PROTO-004', 'fail'],
      ]);
      expect(document.results[1]).toMatchObject({
        title: expect.any(String),
        source: expect.stringContaining('band.proto'),
        detail: expect.stringMatching(/^expected /),
        ms: expect.any(Number),
      });
    }, 60_000);
  });
});
