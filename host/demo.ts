#!/usr/bin/env node
// Composition root for the main job (`npm start`): emulated bands over the loopback, the embedded directory
// and relying party, and the orchestrator, replaying the product document end to end. One of the two host/
// modules allowed to import firmware-sim (test/architecture.test.ts).
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BandEmulator, serveBand, testWorld, type Preset } from '../firmware-sim/index.js';
import { loopbackPair } from '../transport/index.js';
import { BandClient } from './band-client.js';
import { BandWebAuthn } from './band-webauthn.js';
import {
  FileDirectory,
  disconnect,
  enrollBand,
  registerBand,
  registerUser,
  renderUserPropertiesTable,
  setPolicy,
  userProperties,
} from './directory/index.js';
import { describeInstruction } from './user-interaction.js';
import { ReEnrollment, ReEnrollmentError, type ReEnrollmentProgress } from './re-enrollment/index.js';
import { RelyingPartyError, WebAuthnRelyingParty } from './relying-party/index.js';
import { registerKey } from './register-key.js';
import { SimulatedUser } from './simulated-user.js';

const say = (line = '') => process.stdout.write(`${line}\n`);

/** A deterministic clock for Created columns: the same output every run. */
function steppingClock(startIso: string, stepMs: number): () => Date {
  let t = Date.parse(startIso);
  return () => new Date((t += stepMs));
}

/** A deterministic byte source for challenges and user handles. */
function seededBytes(seed: string): (n: number) => Uint8Array {
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

interface EmulatedBand {
  serial: string;
  client: BandClient;
  /** For the assertions the demo checks after the re-enrollment. */
  authenticator: BandWebAuthn;
  close(): Promise<void>;
}

/** A band on the desk: its own world (manual clock, seeded randomness, memory flash), reached over the loopback. */
async function emulatedBand(serial: string, options: { seos?: boolean; preset?: Preset } = {}): Promise<EmulatedBand> {
  const emulator = new BandEmulator({
    world: testWorld({ seed: `demo/${serial}` }),
    serialNumber: serial,
    seos: options.seos,
    debugLink: true,
    preset: options.preset,
  });
  const [host, band] = loopbackPair({ names: [`loopback:${serial}`, `band:${serial}`] });
  const serving = serveBand(emulator, band);
  const client = await BandClient.connect(host);
  return {
    serial,
    client,
    authenticator: new BandWebAuthn(client.fido2),
    async close() {
      client.close();
      serving.stop();
      await host.close();
    },
  };
}

function progressPrinter(indent = '   ') {
  return (p: ReEnrollmentProgress) => {
    if (p.status === 'progress') {
      const e = p.enroll;
      if (e.step === 'capture')
        say(`${indent}  · fingerprint ${e.goodTouches}/${e.touchesRequired}${e.rejected ? ' (touch rejected)' : ''}`);
      else if (e.step === 'setup-code-verified') say(`${indent}  · setup code accepted, band shows ADD USER`);
      return;
    }
    if (p.status === 'started') return;
    const mark = p.status === 'skipped' ? '–' : '✓';
    say(`${indent}${mark} ${p.step}${p.detail ? `: ${p.detail}` : ''}`);
  };
}

const DEMO_USAGE = `npm start — the product document replayed end to end on emulated bands (the same output every run)

usage: npm start [-- --directory FILE]

  --directory FILE   keep the enterprise directory in FILE afterwards (FILE must not exist yet; default: a
                     temporary file, removed at the end); inspect it with 'bandctl directory users --directory FILE'
  -h, --help         this text`;

async function main(): Promise<void> {
  let values: { directory?: string };
  try {
    const parsed = parseArgs({
      options: { directory: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    });
    if (parsed.values.help) {
      process.stdout.write(`${DEMO_USAGE}\n`);
      return;
    }
    values = parsed.values;
  } catch (error) {
    process.stderr.write(`npm start: ${(error as Error).message}; see 'npm start -- --help'\n`);
    process.exitCode = 2;
    return;
  }
  if (values.directory && existsSync(values.directory)) {
    process.stderr.write(
      `npm start: ${values.directory} already exists; the demo tells its story from an empty directory. Pass a new file, or inspect this one with: bandctl directory users --directory ${values.directory}\n`,
    );
    process.exitCode = 2;
    return;
  }
  const scratch = values.directory ? undefined : mkdtempSync(join(tmpdir(), 'band-demo-'));
  const directoryPath = values.directory ?? join(scratch!, 'band-directory.json');
  const clock = steppingClock('2026-01-05T09:00:00.000Z', 60_000);
  const directory = new FileDirectory(directoryPath, { clock });
  const rp = new WebAuthnRelyingParty({
    id: 'login.example.com',
    origin: 'https://login.example.com',
    name: 'Example Corp sign-in',
    randomBytes: seededBytes('demo/rp'),
    clock,
  });
  const orchestrator = new ReEnrollment({ directory, relyingParties: [rp], clock });
  const bands: EmulatedBand[] = [];

  try {
    say('Self-service re-enrollment — the product document replayed on emulated bands');
    say(`Enterprise directory: ${values.directory ?? 'a temporary file (keep one with --directory FILE)'}`);
    say(`Relying party: ${rp.name} (${rp.id}), WebAuthn via @simplewebauthn/server`);
    say();

    // The enterprise as the story finds it.
    const aaah = await emulatedBand('AAAH-00125');
    const acak = await emulatedBand('ACAK-00056', { preset: { kind: 'enrolled', userName: 'tw-user5' } });
    const seos = await emulatedBand('ACAK-00099', { seos: true, preset: { kind: 'enrolled', userName: 'tw-user7' } });
    bands.push(aaah, acak, seos);
    await directory.update((d) => {
      for (const name of ['tw-user2', 'tw-user5', 'tw-user7']) registerUser(d, name);
      for (const band of [acak, seos]) {
        const info = band.client.bandInfo!;
        registerBand(d, {
          serialNumber: info.serialNumber,
          deviceId: Buffer.from(info.deviceId).toString('hex'),
          seosEnabled: info.capabilities.includes('CAPABILITY_SEOS'),
        });
      }
      enrollBand(d, 'tw-user5', 'ACAK-00056');
      enrollBand(d, 'tw-user7', 'ACAK-00099');
      setPolicy(d, { allowReEnrollOwnBand: true, allowReEnrollAnyActiveBand: true });
    });
    say('Policy: "re-enroll their own band" on · "re-enroll any active band" on');
    say('ACAK-00056 is assigned to tw-user5; ACAK-00099 (SEOS-enabled) to tw-user7.');
    say();

    const user2 = new SimulatedUser(aaah.client.debug, 'tw-user2/right-index');
    say('1. tw-user2 enrolls AAAH-00125 and registers a FIDO2 security key with login.example.com');
    await orchestrator.run({
      userName: 'tw-user2',
      bandSerial: 'AAAH-00125',
      band: aaah.client,
      user: user2,
      onProgress: progressPrinter(),
    });
    say('   tw-user2 registers a FIDO2 security key on AAAH-00125');
    const oldKey = await register(rp, 'tw-user2', aaah, user2);
    say(`   ✓ ${rp.id} verified the packed attestation; key ${oldKey.slice(0, 16)}… lives on AAAH-00125`);
    await authenticate(rp, 'tw-user2', aaah, user2, '   ✓ signs in with it');
    say();

    say('2. tw-user2 self-service re-enrolls to ACAK-00056, a band tw-user5 holds');
    const onAcak = new SimulatedUser(acak.client.debug, 'tw-user2/right-index');
    let instructed = 0;
    await orchestrator.run({
      userName: 'tw-user2',
      bandSerial: 'ACAK-00056',
      band: acak.client,
      user: {
        instruct: async (instruction, signal) => {
          if (
            instruction.kind === 'delete-user-data' ||
            (instruction.kind === 'confirm-presence' && instructed++ === 0)
          ) {
            say(`   » ${describeInstruction(instruction)}`);
          }
          await onAcak.instruct(instruction, signal);
        },
        readSetupCode: async (signal) => {
          const code = await onAcak.readSetupCode(signal);
          say(`   » The band shows setup code ${code}; tw-user2 types it into the Band Application.`);
          return code;
        },
      },
      onProgress: progressPrinter(),
    });
    say();

    say('3. the new key authenticates; the old one, still on AAAH-00125, is refused (retired)');
    await authenticate(rp, 'tw-user2', acak, onAcak, '   ✓ the new key on ACAK-00056 authenticates');
    try {
      // AAAH-00125 was not wiped, so it still holds the old key and signs with it; the relying party must say no.
      const options = await rp.startAuthentication('tw-user2');
      const response = await aaah.authenticator.get(
        { ...options, allowCredentials: [{ id: oldKey, type: 'public-key' }] },
        rp.origin,
        {
          onUserPresenceNeeded: () => void user2.instruct({ kind: 'confirm-presence' }).catch(() => undefined),
        },
      );
      await rp.finishAuthentication('tw-user2', response);
      throw new Error('the old key on AAAH-00125 still authenticated after re-enrollment: retirement failed');
    } catch (error) {
      if (!(error instanceof RelyingPartyError)) throw error;
      say(`   ✓ the old key, still on AAAH-00125, signs but the relying party refuses it: ${error.code}`);
    }
    say();

    say('4. tw-user5 tries an SEOS band of tw-user7 (ACAK-00099)');
    const user5 = new SimulatedUser(seos.client.debug, 'tw-user5/right-index');
    const run5 = () =>
      orchestrator.run({
        userName: 'tw-user5',
        bandSerial: 'ACAK-00099',
        band: seos.client,
        user: user5,
        onProgress: progressPrinter(),
      });
    try {
      await run5();
      throw new Error('the SEOS band of another user was re-enrolled: the policy exception was not applied');
    } catch (error) {
      if (!(error instanceof ReEnrollmentError) || error.code !== 'REFUSED_BY_POLICY') throw error;
      say(`   ✗ refused: "${error.message}"`);
      const state = await seos.client.getState();
      say(`   the band was not touched: still enrolled to ${state.userName}`);
    }
    say('   The administrator disconnects ACAK-00099 from tw-user7.');
    await directory.update((d) => disconnect(d, 'tw-user7', 'ACAK-00099'));
    say('   tw-user5 tries again:');
    await run5();
    say();

    const snapshot = await directory.snapshot();
    say('5. the User Properties of tw-user5 and tw-user2');
    say();
    say('User Properties — tw-user5');
    say(indent(renderUserPropertiesTable(userProperties(snapshot, 'tw-user5'))));
    say();
    say('User Properties — tw-user2');
    say(indent(renderUserPropertiesTable(userProperties(snapshot, 'tw-user2'))));
  } finally {
    for (const band of bands) await band.close();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}

const indent = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');

async function register(
  rp: WebAuthnRelyingParty,
  userName: string,
  band: EmulatedBand,
  user: SimulatedUser,
): Promise<string> {
  return (await registerKey({ band: band.client, relyingParty: rp, userName, user })).id;
}

async function authenticate(
  rp: WebAuthnRelyingParty,
  userName: string,
  band: EmulatedBand,
  user: SimulatedUser,
  line: string,
) {
  const options = await rp.startAuthentication(userName, { bandSerial: band.serial });
  const response = await band.authenticator.get(options, rp.origin, {
    onUserPresenceNeeded: () => void user.instruct({ kind: 'confirm-presence', rpId: rp.id }).catch(() => undefined),
  });
  const credential = await rp.finishAuthentication(userName, response);
  if (line) say(`${line} (signature counter ${credential.counter})`);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
