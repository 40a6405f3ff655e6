import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BandEmulator, serveBand, testWorld, type Serving } from '../../firmware-sim/index.js';
import { runConformance } from '../../host/conformance/index.js';
import { openSerial, openTransport, type Transport } from '../../transport/index.js';
import { SOCAT, systemTool } from '../support/system-deps.js';
import { socatPair } from '../transport/socat-pair.js';

const socat = systemTool(SOCAT);

/**
 * A band on one end of a real pty pair (socat), the suite on the other through `serial:` URIs, opening and
 * closing the port for every requirement as it would a band on /dev/ttyACM0.
 */
describe.skipIf(!socat.ok)('the conformance suite over a serial line (socat pty pair)', () => {
  let pair: Awaited<ReturnType<typeof socatPair>>;
  let band: BandEmulator;
  let bandSide: Transport;
  let serving: Serving;

  beforeAll(async () => {
    pair = await socatPair();
    band = new BandEmulator({
      world: testWorld({ seed: 'conformance-serial' }),
      serialNumber: 'SERL-00001',
      debugLink: true,
    });
    bandSide = await openSerial(pair.paths[0]);
    serving = serveBand(band, bandSide);
  });
  afterAll(async () => {
    serving?.stop();
    await bandSide?.close();
    band?.close();
    await pair?.kill();
  });

  it('passes every requirement a serial link can run (raw frames included; HID ones skip)', async () => {
    const report = await runConformance(() => openTransport(`serial:${pair.paths[1]}`));
    expect(report.results.filter((r) => r.status === 'fail').map((r) => `${r.id}: ${r.detail}`)).toEqual([]);
    expect(report.results.filter((r) => r.status === 'skip').map((r) => r.id.split('-')[0])).toEqual(
      Array(9).fill('HID'),
    );
    expect(report.target).toMatchObject({ link: 'framed', serialNumber: 'SERL-00001' });
  }, 240_000);
});
