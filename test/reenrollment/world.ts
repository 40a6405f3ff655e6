import { createHash } from 'node:crypto';
import { BandEmulator, serveBand, testWorld, type Preset } from '../../firmware-sim/index.js';
import {
  BandClient,
  BandWebAuthn,
  MemoryDirectory,
  ReEnrollment,
  SimulatedUser,
  WebAuthnRelyingParty,
  authenticate,
  DirectoryAdmin,
  type Policy,
  type RelyingParty,
  type UserInteraction,
} from '../../host/index.js';
import { loopbackPair, type LoopbackTransport } from '../../transport/index.js';

export function seeded(seed: string): (n: number) => Uint8Array {
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

export function clock(): () => Date {
  let t = Date.parse('2026-03-01T08:00:00Z');
  return () => new Date((t += 1000));
}

export interface TestBand {
  serial: string;
  emulator: BandEmulator;
  client: BandClient;
  host: LoopbackTransport;
  webauthn: BandWebAuthn;
  person(finger: string): SimulatedUser;
  close(): Promise<void>;
}

export async function band(
  serial: string,
  options: { seos?: boolean; preset?: Preset; timeoutMs?: number } = {},
): Promise<TestBand> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const emulator = new BandEmulator({
    world: testWorld({ seed: `t/${serial}` }),
    serialNumber: serial,
    seos: options.seos,
    debugLink: true,
    preset: options.preset,
  });
  const [host, side] = loopbackPair();
  const serving = serveBand(emulator, side);
  const client = await BandClient.connect(host, { timeoutMs });
  return {
    serial,
    emulator,
    client,
    host,
    webauthn: new BandWebAuthn(client.fido2, { ceremonyTimeoutMs: timeoutMs }),
    person: (finger) => new SimulatedUser(client.debug, finger),
    async close() {
      client.close();
      serving.stop();
      await host.close().catch(() => undefined);
      emulator.close();
    },
  };
}

/** An enterprise: users, bands, associations and the policy; the relying party; the orchestrator. */
export async function enterprise(policy: Partial<Policy>, wrap: (rp: RelyingParty) => RelyingParty[] = (rp) => [rp]) {
  const now = clock();
  const directory = new MemoryDirectory({ clock: now });
  const rp = new WebAuthnRelyingParty({
    id: 'login.example.com',
    origin: 'https://login.example.com',
    randomBytes: seeded('rp'),
    clock: now,
  });
  await directory.update((d) => {
    for (const u of ['alice', 'bob']) DirectoryAdmin.registerUser(d, u);
    DirectoryAdmin.setPolicy(d, policy);
  });
  const orchestrator = new ReEnrollment({ directory, relyingParties: wrap(rp), clock: now });
  const bands: TestBand[] = [];
  return {
    directory,
    rp,
    orchestrator,
    async band(serial: string, options: { seos?: boolean; holder?: string } = {}) {
      const b = await band(serial, {
        seos: options.seos,
        preset: options.holder ? { kind: 'enrolled', userName: options.holder } : undefined,
      });
      bands.push(b);
      await directory.update((d) => {
        const info = b.client.bandInfo!;
        DirectoryAdmin.registerBand(d, {
          serialNumber: serial,
          deviceId: Buffer.from(info.deviceId).toString('hex'),
          seosEnabled: !!options.seos,
        });
        if (options.holder) DirectoryAdmin.enrollBand(d, options.holder, serial);
      });
      return b;
    },
    run(
      userName: string,
      b: TestBand,
      extra: { userTimeoutMs?: number; signal?: AbortSignal; user?: UserInteraction } = {},
    ) {
      return orchestrator.run({
        userName,
        bandSerial: b.serial,
        band: b.client,
        authenticator: b.webauthn,
        user: extra.user ?? b.person(`${userName}/right-index`),
        userTimeoutMs: extra.userTimeoutMs ?? 2_000,
        signal: extra.signal,
      });
    },
    /** Registers a FIDO2 key for `userName` on `b` directly (what the user did before re-enrolling). */
    async registerKey(userName: string, b: TestBand) {
      const options = await rp.startRegistration(userName, { bandSerial: b.serial });
      const person = b.person(`${userName}/right-index`);
      await authenticate(b.client, person);
      const response = await b.webauthn.create(options, rp.origin, {
        onUserPresenceNeeded: () => void person.instruct({ kind: 'confirm-presence' }),
      });
      return (await rp.finishRegistration(userName, response)).id;
    },
    async signIn(userName: string, b: TestBand, credentialId?: string) {
      const options = await rp.startAuthentication(userName);
      const person = b.person(`${userName}/right-index`);
      const response = await b.webauthn.get(
        credentialId ? { ...options, allowCredentials: [{ id: credentialId, type: 'public-key' }] } : options,
        rp.origin,
        { onUserPresenceNeeded: () => void person.instruct({ kind: 'confirm-presence' }) },
      );
      return rp.finishAuthentication(userName, response);
    },
    async close() {
      for (const b of bands) await b.close();
    },
  };
}
