import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE, runConformance, type ConformanceReport } from '../../host/conformance/index.js';
import { modelAttestationRoot } from '../../firmware-sim/ctap2/index.js';
import { bandAttestationRoot } from '../../firmware-sim/fido2.js';
import { freshLoopbackBands, sharedLoopbackBand, udpHidBand } from './bands.js';

/** "FAIL ID: detail" lines, so a failing run shows which requirement broke and why. */
function failures(report: ConformanceReport): string[] {
  return report.results.filter((r) => r.status === 'fail').map((r) => `${r.id}: ${r.detail}`);
}

const ids = (report: ConformanceReport, status: string) =>
  report.results.filter((r) => r.status === status).map((r) => r.id);
const group = (prefix: string) => CATALOGUE.filter((r) => r.id.startsWith(prefix)).map((r) => r.id);

describe('the conformance suite against the emulator', () => {
  it('passes completely over loopback (a fresh band per link, debug link on); only the HID requirements skip', async () => {
    const report = await runConformance(freshLoopbackBands());
    expect(failures(report)).toEqual([]);
    expect(ids(report, 'skip')).toEqual(group('HID-'));
    for (const r of report.results.filter((x) => x.status === 'skip'))
      expect(r.detail).toMatch(/^needs hid: the link is not CTAPHID reports/);
    expect(report.passed).toBe(CATALOGUE.length - group('HID-').length);
    expect(report.target).toMatchObject({
      link: 'framed',
      serialNumber: 'AAAH-00125',
      capabilities: expect.arrayContaining(['CAPABILITY_DEBUG_LINK', 'CAPABILITY_FIDO2']),
    });
  }, 120_000);

  it("checks the attestation chain against the band model's root when given it: passes with it, fails with another", async () => {
    const withRoot = await runConformance(freshLoopbackBands(), {
      only: ['FIDO2-014', 'FIDO2-015'],
      attestationRoots: [bandAttestationRoot()],
    });
    expect(failures(withRoot)).toEqual([]);
    expect(ids(withRoot, 'pass')).toEqual(['FIDO2-014', 'FIDO2-015']);
    const other = modelAttestationRoot({ aaguid: new Uint8Array(16), model: 'another model' }).certificate;
    const withOther = await runConformance(freshLoopbackBands(), {
      only: ['FIDO2-014', 'FIDO2-015'],
      attestationRoots: [other],
    });
    expect(failures(withOther)).toEqual([
      'FIDO2-014: expected the chain to end at a given attestation root, got issuer C=US, O=band-stack, CN=bandsim attestation root CA',
      'FIDO2-015: expected the chain to end at a given attestation root, got issuer C=US, O=band-stack, CN=bandsim attestation root CA',
    ]);
  }, 120_000);

  it('passes against one band whose state carries over from link to link, as a real band on a rig', async () => {
    const band = sharedLoopbackBand();
    try {
      const report = await runConformance(band.open);
      expect(failures(report)).toEqual([]);
      expect(report.failed).toBe(0);
    } finally {
      band.close();
    }
  }, 120_000);

  describe('over UDP CTAPHID (CtapHidDevice + listenUdpHid, host connectUdpHid)', () => {
    let band: Awaited<ReturnType<typeof udpHidBand>>;
    beforeAll(async () => {
      band = await udpHidBand();
    });
    afterAll(() => band.close());

    it('runs the HID requirements and passes them all; only the raw-frame ones skip', async () => {
      const report = await runConformance(band.open);
      expect(failures(report)).toEqual([]);
      expect(ids(report, 'pass')).toEqual(expect.arrayContaining(group('HID-')));
      expect(ids(report, 'skip')).toEqual(['FRAME-007', 'FRAME-008', 'FRAME-009']);
      expect(report.target.link).toBe('hid');
    }, 120_000);
  });

  it('a band without the debug link: everything needing it is skipped with the reason, the rest passes', async () => {
    const report = await runConformance(freshLoopbackBands({ debugLink: false }), {
      only: ['FRAME', 'PROTO', 'ENROLL-001', 'FIDO2'],
    });
    expect(failures(report)).toEqual([]);
    const needing = CATALOGUE.filter((r) => r.needs.includes('debug-link')).map((r) => r.id);
    for (const r of report.results) {
      if (needing.includes(r.id))
        expect(r).toMatchObject({
          status: 'skip',
          detail: expect.stringMatching(/^needs debug-link: the band does not advertise CAPABILITY_DEBUG_LINK/),
        });
    }
    expect(ids(report, 'pass')).toEqual(expect.arrayContaining(['FRAME-006', 'FIDO2-001', 'PROTO-011']));
  }, 120_000);

  it('a band built without FIDO2: FIDO2 requirements skip; INIT no longer advertises CBOR (FRAME-002)', async () => {
    const report = await runConformance(freshLoopbackBands({ fido2: false }), {
      only: ['FRAME', 'PROTO-012', 'FIDO2', 'WIPE-004'],
    });
    expect(failures(report)).toEqual([]);
    expect(ids(report, 'skip')).toEqual(['FRAME-010', 'WIPE-004', ...group('FIDO2-')]);
    expect(ids(report, 'pass')).toEqual(expect.arrayContaining(['FRAME-002', 'PROTO-012']));
  }, 60_000);

  it('an unreachable band: the run stops with the transport error', async () => {
    await expect(runConformance(() => Promise.reject(new Error('no such port')))).rejects.toThrow(/no such port/);
  });

  it('--only style prefixes select requirements; a hung requirement fails on its deadline and the next still runs', async () => {
    const hung = {
      id: 'X-001',
      title: 'hangs',
      source: 'test',
      needs: [],
      run: () => new Promise<void>(() => undefined),
    };
    const fine = { id: 'X-002', title: 'passes', source: 'test', needs: [], run: async () => undefined };
    const report = await runConformance(freshLoopbackBands(), {
      requirements: [hung, fine],
      requirementTimeoutMs: 200,
    });
    expect(report.results.map((r) => [r.id, r.status])).toEqual([
      ['X-001', 'fail'],
      ['X-002', 'pass'],
    ]);
    expect(report.results[0].detail).toMatch(/did not finish within 200 ms/);
  });
});
