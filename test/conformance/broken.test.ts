import { describe, expect, it } from 'vitest';
import { runConformance } from '../../host/conformance/index.js';
import { freshLoopbackBands, udpHidBand } from './bands.js';
import {
  FAULTS,
  largeBlobGetIgnoresOffset,
  MORE_FAULTS,
  pingDropsLastByte,
  setupCodeInScreenChanged,
  truncatedRequestId,
} from './broken-bands.js';

/**
 * The suite is only worth running if its checks can fail. Each fault below is a plausible firmware bug; the
 * whole catalogue runs against a band that has it and must fail exactly the requirements the fault breaks.
 */
describe('the conformance suite against deliberately broken bands', () => {
  for (const fault of [...FAULTS, ...MORE_FAULTS]) {
    it(`${fault.name}: fails ${fault.breaks.join(', ')} and nothing else`, async () => {
      const report = await runConformance(freshLoopbackBands({ wrap: fault.wrap }));
      const failed = report.results.filter((r) => r.status === 'fail');
      expect(failed.map((r) => r.id)).toEqual(fault.breaks);
      expect(report.failed).toBe(fault.breaks.length);
    }, 120_000);
  }

  it('the details say what was expected and what came', async () => {
    const run = async (fault: (typeof FAULTS)[number], id: string) =>
      (await runConformance(freshLoopbackBands({ wrap: fault.wrap }), { only: id })).results[0];
    expect(await run(truncatedRequestId, 'PROTO-004')).toMatchObject({
      status: 'fail',
      detail: 'expected request_id 65536 on the get_state reply, got request_id 0 (getState reply (request_id 0))',
    });
    expect((await run(pingDropsLastByte, 'FRAME-001')).detail).toBe(
      'expected the 7609-byte PING payload echoed unchanged, got 7608 bytes',
    );
    expect((await run(largeBlobGetIgnoresOffset, 'FIDO2-012')).detail).toMatch(
      /^expected the \d+-byte array read back in 100-byte fragments, got \d+ bytes: /,
    );
    expect((await run(setupCodeInScreenChanged, 'ENROLL-002')).detail).toMatch(
      /^expected no band message carrying the setup code [0-9A-Z]{6}, got a \d+-byte BandMessage containing it/,
    );
  }, 60_000);

  it('the attestation faults fail for the reason they are built on', async () => {
    const detail = async (id: string) => {
      const fault = MORE_FAULTS.find((f) => f.breaks[0] === id)!;
      return (await runConformance(freshLoopbackBands({ wrap: fault.wrap }), { only: id })).results[0].detail;
    };
    expect(await detail('FIDO2-014')).toMatch(
      /^expected a non-critical id-fido-gen-ce-aaguid extension equal to authData's AAGUID bbaf4d27b2d0d7369e34164abb7a9d65, got (42){16}$/,
    );
    expect(await detail('FIDO2-015')).toMatch(
      /^expected an enterprise attestation certificate whose subject serialNumber names device [0-9a-f]{32}, got a certificate naming no device$/,
    );
  }, 60_000);

  it('the same fault is caught over UDP CTAPHID', async () => {
    const band = await udpHidBand({ wrap: pingDropsLastByte.wrap });
    try {
      const report = await runConformance(band.open, { only: ['FRAME-001', 'HID'] });
      expect(report.results.filter((r) => r.status === 'fail').map((r) => r.id)).toEqual(['FRAME-001']);
    } finally {
      await band.close();
    }
  }, 60_000);
});
