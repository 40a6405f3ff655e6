import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BandEmulator, CtapHidDevice, Rules, SystemClock, serveBand, testWorld } from '../../firmware-sim/index.js';
import {
  BandClient,
  BandClientError,
  BandError,
  BandWebAuthn,
  CtapError,
  DirectoryError,
  Fido2ProtocolError,
  MemoryDirectory,
  ReEnrollment,
  ReEnrollmentError,
  RelyingPartyError,
  SimulatedUser,
  WebAuthnRelyingParty,
  authenticate,
  DirectoryAdmin,
  userProperties,
} from '../../host/index.js';
import { findViolations } from '../../host/directory/index.js';
import {
  TransportError,
  connectTcp,
  connectUdpHid,
  listenTcp,
  listenUdpHid,
  loopbackPair,
  openSerial,
  type Transport,
} from '../../transport/index.js';
import { faulty, type Faults } from '../support/faulty-transport.js';
import { SOCAT, systemTool } from '../support/system-deps.js';
import { socatPair } from '../transport/socat-pair.js';
import { clock, seeded } from './world.js';

/**
 * Issue 11 item 6: the real host flows — the re-enrollment orchestrator and a WebAuthn registration through
 * Fido2Client — over a wire that drops, corrupts, duplicates, delays and splits (test/support/faulty-transport.ts),
 * on each wire kind. Every run completes or fails with a typed error; the directory is the old one or the new
 * one, never in between; the band's flash stays sound; and the same run on a clean wire then completes.
 */

const FAULTS: Faults = { drop: 0.04, corrupt: 0.04, duplicate: 0.04, delay: 0.1, split: 0.2, maxDelayMs: 30 };
const SEEDS = ['a', 'b'];
/** Short on the faulty wire, so a dropped unit fails fast; generous on the clean retry, which must complete however
 * busy the machine is. */
const TIMEOUT_MS = 800;
const CLEAN_TIMEOUT_MS = 15_000;

type Wire = 'loopback' | 'tcp' | 'udp-hid' | 'serial';
const socat = systemTool(SOCAT);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const pairs: Awaited<ReturnType<typeof socatPair>>[] = [];
afterAll(async () => {
  await Promise.all(pairs.map((p) => p.kill()));
});

/** One emulated band behind `wire`; open() gives a fresh host-side link to it each time. */
async function behind(wire: Wire, emulator: BandEmulator): Promise<() => Promise<Transport>> {
  switch (wire) {
    case 'loopback':
      return async () => {
        const [host, side] = loopbackPair();
        const serving = serveBand(emulator, side);
        host.onClose(() => serving.stop());
        return host;
      };
    case 'tcp': {
      const server = await listenTcp('127.0.0.1', 0, (t) => {
        const serving = serveBand(emulator, t);
        t.onClose(() => serving.stop());
      });
      cleanups.push(() => server.close());
      return () => connectTcp('127.0.0.1', server.address.port);
    }
    case 'udp-hid': {
      const hid = new CtapHidDevice(emulator, {
        random: (n) => emulator.world.random.bytes(n),
        clock: new SystemClock(),
      });
      const server = await listenUdpHid('127.0.0.1', 0, (report, reply) => hid.receive(report, reply));
      cleanups.push(async () => {
        hid.close();
        await server.close();
      });
      return () => connectUdpHid('127.0.0.1', server.address.port);
    }
    case 'serial': {
      const pair = await socatPair();
      pairs.push(pair);
      const bandEnd = await openSerial(pair.paths[0]);
      const serving = serveBand(emulator, bandEnd);
      cleanups.push(async () => {
        serving.stop();
        await bandEnd.close();
      });
      return () => openSerial(pair.paths[1]);
    }
  }
}

/**
 * The retry comes later, as a person's would: a request the faulty run left waiting on the band (a duplicated
 * makeCredential waiting for a tap, on a serial line or a UDP channel that outlives the faulty host) has timed
 * out by then, as on any band; the band's clock is manual here, so the test moves it.
 */
function later(band: BandEmulator): void {
  band.world.clock.advance(Rules.PRESENCE_TIMEOUT_MS + 1_000);
}

/** What a host library promises: every failure is one of its typed errors. */
function expectTyped(error: unknown): void {
  const typed = [
    ReEnrollmentError,
    BandClientError,
    BandError,
    TransportError,
    CtapError,
    Fido2ProtocolError,
    RelyingPartyError,
    DirectoryError,
  ].some((type) => error instanceof type);
  expect(typed, `an untyped failure: ${String(error)}\n${(error as Error)?.stack ?? ''}`).toBe(true);
}

async function connect(transport: Transport, timeoutMs = TIMEOUT_MS): Promise<BandClient> {
  try {
    return await BandClient.connect(transport, { timeoutMs });
  } catch (error) {
    await transport.close().catch(() => undefined);
    throw error;
  }
}

/** alice re-enrolls to ACAK-00056, which bob holds (the product document's step 2), with an older key to re-create. */
async function enterprise(wire: Wire, seed: string) {
  const now = clock();
  const directory = new MemoryDirectory({ clock: now });
  const rp = new WebAuthnRelyingParty({
    id: 'login.example.com',
    origin: 'https://login.example.com',
    randomBytes: seeded(`rp/${seed}`),
    clock: now,
  });
  const own = new BandEmulator({
    world: testWorld({ seed: `own/${wire}/${seed}` }),
    serialNumber: 'AAAH-00125',
    debugLink: true,
    preset: { kind: 'authenticated', userName: 'alice' },
  });
  const target = new BandEmulator({
    world: testWorld({ seed: `target/${wire}/${seed}` }),
    serialNumber: 'ACAK-00056',
    debugLink: true,
    preset: { kind: 'enrolled', userName: 'bob' },
  });
  cleanups.push(() => {
    own.close();
    target.close();
  });
  await directory.update((d) => {
    for (const u of ['alice', 'bob']) DirectoryAdmin.registerUser(d, u);
    DirectoryAdmin.setPolicy(d, { allowReEnrollOwnBand: true, allowReEnrollAnyActiveBand: true });
    for (const [band, serialNumber, holder] of [
      [own, 'AAAH-00125', 'alice'],
      [target, 'ACAK-00056', 'bob'],
    ] as const) {
      DirectoryAdmin.registerBand(d, {
        serialNumber,
        deviceId: Buffer.from(band.band.deviceId).toString('hex'),
        seosEnabled: false,
      });
      DirectoryAdmin.enrollBand(d, holder, serialNumber);
    }
  });
  // alice's existing key, registered on her own band over a clean loopback.
  const [host, side] = loopbackPair();
  const serving = serveBand(own, side);
  const ownClient = await BandClient.connect(host, { timeoutMs: 2_000 });
  const options = await rp.startRegistration('alice', { bandSerial: 'AAAH-00125' });
  const person = new SimulatedUser(ownClient.debug, 'alice/right-index');
  await authenticate(ownClient, person);
  await rp.finishRegistration(
    'alice',
    await new BandWebAuthn(ownClient.fido2, { ceremonyTimeoutMs: 2_000 }).create(options, rp.origin, {
      onUserPresenceNeeded: () => void person.instruct({ kind: 'confirm-presence' }),
    }),
  );
  ownClient.close();
  serving.stop();
  await host.close();
  const orchestrator = new ReEnrollment({ directory, relyingParties: [rp], clock: now });
  return { directory, rp, orchestrator, target, open: await behind(wire, target) };
}

async function reenroll(world: Awaited<ReturnType<typeof enterprise>>, transport: Transport, timeoutMs = TIMEOUT_MS) {
  const band = await connect(transport, timeoutMs);
  try {
    return await world.orchestrator.run({
      userName: 'alice',
      bandSerial: 'ACAK-00056',
      band,
      authenticator: new BandWebAuthn(band.fido2, { ceremonyTimeoutMs: timeoutMs * 2 }),
      user: new SimulatedUser(band.debug, 'alice/right-index'),
      userTimeoutMs: 3_000,
    });
  } finally {
    band.close();
    await transport.close().catch(() => undefined);
  }
}

function finalDirectory(snapshot: Awaited<ReturnType<MemoryDirectory['snapshot']>>): boolean {
  const rows = userProperties(snapshot, 'alice').map((r) => [r.serialNumber, r.isActive, r.isPrimary]);
  return (
    JSON.stringify(rows) ===
      JSON.stringify([
        ['AAAH-00125', '', 'Primary'],
        ['ACAK-00056', 'Active', ''],
      ]) && userProperties(snapshot, 'bob').length === 0
  );
}

const wires: Wire[] = ['loopback', 'tcp', 'udp-hid', 'serial'];

describe.each(wires)('faulty %s wire', (wire) => {
  const skip = wire === 'serial' && !socat.ok;

  it.skipIf(skip).each(SEEDS)(
    're-enrollment (seed %s): completes or fails typed, the directory is old or new, and a clean retry completes',
    async (seed) => {
      const world = await enterprise(wire, seed);
      const before = structuredClone(await world.directory.snapshot());
      const bad = faulty(await world.open(), FAULTS, `reenroll/${wire}/${seed}`);
      const outcome = await reenroll(world, bad).then(
        () => 'completed',
        (error: unknown) => {
          expectTyped(error);
          return `failed: ${(error as Error).message}`;
        },
      );
      console.log(
        `${wire} seed ${seed} re-enrollment on a faulty wire ${outcome.slice(0, 160)}; injected ${JSON.stringify(bad.injected)}`,
      );
      const after = await world.directory.snapshot();
      expect(findViolations(after)).toEqual([]);
      if (outcome === 'completed') expect(finalDirectory(after)).toBe(true);
      else
        expect(after === before || finalDirectory(after) || JSON.stringify(after) === JSON.stringify(before)).toBe(
          true,
        );
      expect(world.target.band.storageFault).toBeUndefined();

      // The same run on a clean wire completes (resuming what the faulty one got done).
      later(world.target);
      await reenroll(world, await world.open(), CLEAN_TIMEOUT_MS);
      const done = await world.directory.snapshot();
      expect(findViolations(done)).toEqual([]);
      expect(finalDirectory(done)).toBe(true);
      expect(world.target.band.getState()).toMatchObject({ enrolled: true, userName: 'alice' });
    },
    60_000,
  );

  it.skipIf(skip).each(SEEDS)(
    'WebAuthn registration through Fido2Client (seed %s): completes or fails typed, and a clean retry registers a key that signs in',
    async (seed) => {
      const world = await enterprise(wire, seed);
      // bob registers a key on his own band (ACAK-00056) with the relying party.
      const register = async (transport: Transport, timeoutMs = TIMEOUT_MS) => {
        const band = await connect(transport, timeoutMs);
        try {
          const person = new SimulatedUser(band.debug, 'bob/right-index');
          await authenticate(band, person, { stepTimeoutMs: 3_000 });
          const webauthn = new BandWebAuthn(band.fido2, { ceremonyTimeoutMs: timeoutMs * 2 });
          // Resumes as an application would: a key the relying party already stored is not registered twice (the
          // band would refuse it, CREDENTIAL_EXCLUDED); only signing in remains.
          let [credential] = await world.rp.credentials('bob');
          if (!credential) {
            const options = await world.rp.startRegistration('bob', { bandSerial: 'ACAK-00056' });
            const response = await webauthn.create(options, world.rp.origin, {
              onUserPresenceNeeded: () => void person.instruct({ kind: 'confirm-presence' }).catch(() => undefined),
            });
            credential = await world.rp.finishRegistration('bob', response);
          }
          // It signs in.
          const request = await world.rp.startAuthentication('bob');
          const assertion = await webauthn.get(
            { ...request, allowCredentials: [{ id: credential.id, type: 'public-key' }] },
            world.rp.origin,
            { onUserPresenceNeeded: () => void person.instruct({ kind: 'confirm-presence' }).catch(() => undefined) },
          );
          await world.rp.finishAuthentication('bob', assertion);
          return credential.id;
        } finally {
          band.close();
          await transport.close().catch(() => undefined);
        }
      };
      const bad = faulty(await world.open(), FAULTS, `register/${wire}/${seed}`);
      const outcome = await register(bad).then(
        () => 'completed',
        (error: unknown) => {
          expectTyped(error);
          return `failed: ${(error as Error).message}`;
        },
      );
      console.log(
        `${wire} seed ${seed} registration on a faulty wire ${outcome.slice(0, 160)}; injected ${JSON.stringify(bad.injected)}`,
      );
      expect(world.target.band.storageFault).toBeUndefined();
      later(world.target);
      const id = await register(await world.open(), CLEAN_TIMEOUT_MS);
      expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
      // Never half: the relying party holds exactly the one key, whatever the faulty run got done.
      expect((await world.rp.credentials('bob')).map((c) => c.id)).toEqual([id]);
    },
    60_000,
  );
});
