/**
 * The fleet run, in a process of its own so its peak RSS is its own: N emulated bands in one process, each over
 * its own loopback, one directory and one relying party for all of them. Every band, concurrently: its user
 * enrolls it (a first band), registers a FIDO2 key with the relying party, then self-service re-enrolls it
 * (delete user data, enrollment, key re-creation, one directory update). Prints one JSON line:
 * `{ bands, wallMs, peakRssBytes, perBandMs }`.
 *
 * A composition root like host/demo.ts: it builds bands from firmware-sim and drives them with host/.
 */
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  BAND_AAGUID,
  BandEmulator,
  SystemRandom,
  bandAttestationRoot,
  serveBand,
  testWorld,
} from '../../firmware-sim/index.js';
import {
  BandClient,
  BandWebAuthn,
  MemoryDirectory,
  ReEnrollment,
  SimulatedUser,
  WebAuthnRelyingParty,
  authenticate,
  DirectoryAdmin,
} from '../../host/index.js';
import { loopbackPair } from '../../transport/index.js';

/** Generous: 1,000 bands share two cores, and a step that waits its turn is not a failure. */
const TIMEOUT_MS = 120_000;

function seeded(seed: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let at = 0; at < n; at += 32)
      out.set(
        createHash('sha256')
          .update(`${seed}/${counter++}`)
          .digest()
          .subarray(0, Math.min(32, n - at)),
        at,
      );
    return out;
  };
}

/** One millisecond a reading: shared by all bands, so a ceremony must not expire while the others run. */
function steppingClock(): () => Date {
  let t = Date.parse('2026-03-01T08:00:00Z');
  return () => new Date((t += 1));
}

export interface FleetResult {
  bands: number;
  wallMs: number;
  peakRssBytes: number;
  perBandMs: number;
  /** CPU time (user + system) the fleet process used: what the run costs when the machine is shared. */
  cpuMs: number;
  /** Largest V8 heap in use and ArrayBuffer bytes seen while the fleet ran (sampled every 50 ms). */
  peakHeapUsedBytes: number;
  peakArrayBufferBytes: number;
}

export async function runFleet(count: number): Promise<FleetResult> {
  const started = process.hrtime.bigint();
  let peakHeapUsedBytes = 0;
  let peakArrayBufferBytes = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakHeapUsedBytes = Math.max(peakHeapUsedBytes, m.heapUsed);
    peakArrayBufferBytes = Math.max(peakArrayBufferBytes, m.arrayBuffers);
  }, 50);
  const clock = steppingClock();
  const directory = new MemoryDirectory({ clock });
  // An enterprise's relying party: it accepts only the band model (its AAGUID) under the model's root, as
  // `bandsim --attestation-root-out` hands it to a host, so every registration is verified down to the root.
  const rp = new WebAuthnRelyingParty({
    id: 'login.example.com',
    origin: 'https://login.example.com',
    randomBytes: seeded('fleet/rp'),
    clock,
    attestation: { aaguids: [Buffer.from(BAND_AAGUID).toString('hex')], trustedRoots: [bandAttestationRoot()] },
  });
  const orchestrator = new ReEnrollment({ directory, relyingParties: [rp], clock });
  await directory.update((d) => DirectoryAdmin.setPolicy(d, { allowReEnrollOwnBand: true }));

  const one = async (i: number) => {
    const serial = `FLTB-${String(i).padStart(5, '0')}`;
    const userName = `fleet-user${i}`;
    // A manual clock and memory flash as in tests, but the operating system's randomness, as real bands have:
    // such a band signs with node:crypto (a seeded one would sign with RFC 6979 nonces, ~10x the CPU).
    const world = { ...testWorld({ seed: `fleet/${serial}` }), random: new SystemRandom() };
    const emulator = new BandEmulator({ world, serialNumber: serial, debugLink: true });
    const [host, side] = loopbackPair();
    const serving = serveBand(emulator, side);
    const client = await BandClient.connect(host, { timeoutMs: TIMEOUT_MS });
    const webauthn = new BandWebAuthn(client.fido2, { ceremonyTimeoutMs: TIMEOUT_MS });
    const person = new SimulatedUser(client.debug, `${userName}/right-index`);
    try {
      await directory.update((d) => {
        DirectoryAdmin.registerUser(d, userName);
        DirectoryAdmin.registerBand(d, {
          serialNumber: serial,
          deviceId: Buffer.from(client.bandInfo!.deviceId).toString('hex'),
          seosEnabled: false,
        });
      });
      const run = () =>
        orchestrator.run({
          userName,
          bandSerial: serial,
          band: client,
          authenticator: webauthn,
          user: person,
          userTimeoutMs: TIMEOUT_MS,
        });
      await run();
      const options = await rp.startRegistration(userName, { bandSerial: serial });
      await authenticate(client, person);
      const response = await webauthn.create(options, rp.origin, {
        onUserPresenceNeeded: () => void person.instruct({ kind: 'confirm-presence' }),
      });
      await rp.finishRegistration(userName, response);
      await run();
    } finally {
      client.close();
      serving.stop();
      await host.close().catch(() => undefined);
      emulator.close();
    }
  };
  await Promise.all(Array.from({ length: count }, (_, i) => one(i)));
  clearInterval(sampler);

  const snapshot = await directory.snapshot();
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  // Every user ends with the one band, re-enrolled: a run that silently skipped work must not look fast.
  const active = snapshot.associations.filter((a) => a.isActive).length;
  if (active !== count) throw new Error(`fleet: expected ${count} active bands in the directory, found ${active}`);
  return {
    bands: count,
    wallMs,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    perBandMs: wallMs / count,
    cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
    peakHeapUsedBytes,
    peakArrayBufferBytes,
  };
}

const { values } = parseArgs({ options: { bands: { type: 'string' } } });
const count = Number(values.bands ?? 100);
if (!Number.isInteger(count) || count < 1) throw new Error(`--bands must be a positive integer, got ${values.bands}`);
const result = await runFleet(count);
process.stdout.write(`${JSON.stringify(result)}\n`);
// Timers of finished bands must not keep the process (and the parent waiting on it) alive.
process.exit(0);
