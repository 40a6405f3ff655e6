// A complete host application: open a band, register it in the enterprise directory, register the user's FIDO2
// key with a relying party, then run a self-service re-enrollment, showing progress and handling every error.
//
//   node host-app.js --band udp-hid:127.0.0.1:8111 --directory ./directory.json --user tw-user2 \
//        [--simulate-user tw-user2/right-index]
//
// Without --simulate-user the person at the terminal is asked to act (ConsoleUser); with it, a test band's debug
// link acts for them (SimulatedUser). docs/host-guide.md explains each step; test/host/host-guide.test.ts compiles
// this file with `tsc --strict` and runs it against a bandsim process.
import { parseArgs } from 'node:util';
import {
  AuthenticationFailedError,
  BandClientError,
  BandError,
  ConsoleUser,
  CtapError,
  DirectoryAdmin,
  DirectoryError,
  FileDirectory,
  FileProgressStore,
  Fido2ProtocolError,
  ReEnrollment,
  ReEnrollmentError,
  RelyingPartyError,
  SimulatedUser,
  TransportError,
  WebAuthnRelyingParty,
  openBand,
  registerKey,
  userProperties,
  type BandClient,
  type ReEnrollmentProgress,
  type UserInteraction,
} from 'band-stack';

const { values } = parseArgs({
  options: {
    band: { type: 'string' },
    directory: { type: 'string', default: './directory.json' },
    user: { type: 'string' },
    'simulate-user': { type: 'string' },
  },
});
if (!values.band || !values.user) {
  console.error('usage: host-app --band URI --user NAME [--directory FILE] [--simulate-user FINGER]');
  process.exit(2);
}
const userName = values.user;

async function main(uri: string): Promise<void> {
  // 1. Open the band by URI: the client checks it speaks our band protocol.
  const band = await openBand(uri, { timeoutMs: 5_000 });
  try {
    const info = await band.getInfo();
    console.log(`band ${info.serialNumber}, firmware ${info.firmwareVersion}`);
    const person = personFor(band);

    // 2. The enterprise directory (a file here; implement `Directory` against your server). An administrator
    //    registers the user and the band — the device ID exactly as getInfo() returned it — and the policy.
    const directory = new FileDirectory(values.directory);
    const known = await directory.snapshot();
    await directory.update((d) => {
      if (!known.users.some((u) => u.name === userName)) DirectoryAdmin.registerUser(d, userName);
      if (!known.bands.some((b) => b.serialNumber === info.serialNumber)) {
        DirectoryAdmin.registerBand(d, {
          serialNumber: info.serialNumber,
          deviceId: info.deviceId,
          seosEnabled: info.capabilities.includes('CAPABILITY_SEOS'),
        });
        DirectoryAdmin.enrollBand(d, userName, info.serialNumber);
      }
      DirectoryAdmin.setPolicy(d, { allowReEnrollOwnBand: true });
    });

    // 3. The user's FIDO2 security key, registered with a relying party (the built-in WebAuthn one here).
    const relyingParty = new WebAuthnRelyingParty({
      id: 'login.example.com',
      origin: 'https://login.example.com',
      statePath: `${values.directory}.rp.json`,
    });
    const key = await registerKey({ band, relyingParty, userName, user: person });
    console.log(`registered key ${key.id.slice(0, 16)}… with ${relyingParty.id}`);

    // 4. Self-service re-enrollment of the user's own band: wipe, enroll, re-create the key, one directory update.
    //    The journal beside the directory lets the same call resume after a failure.
    const reEnrollment = new ReEnrollment({
      directory,
      relyingParties: [relyingParty],
      progress: new FileProgressStore(`${values.directory}.journal.json`),
    });
    const result = await reEnrollment.run({
      userName,
      bandSerial: info.serialNumber,
      band,
      user: person,
      onProgress: showProgress,
    });
    console.log(
      `re-enrolled: ${Object.keys(result.recreated).length} key(s) re-created, ${result.retired.length} retired`,
    );

    // 5. What the server's User Properties window shows.
    for (const row of userProperties(await directory.snapshot(), userName)) {
      console.log(`${row.serialNumber}  ${row.isActive || '-'}  ${row.isPrimary || '-'}  ${row.notes}`);
    }
  } finally {
    band.close();
    await band.closed();
  }
}

function personFor(band: BandClient): UserInteraction {
  const finger = values['simulate-user'];
  if (finger) return new SimulatedUser(band.debug, finger);
  return new ConsoleUser(process.stdin, (line) => console.log(line));
}

function showProgress(progress: ReEnrollmentProgress): void {
  if (progress.status === 'progress') {
    const step = progress.enroll;
    if (step.step === 'capture') console.log(`  fingerprint ${step.goodTouches}/${step.touchesRequired}`);
    return;
  }
  console.log(`${progress.step}: ${progress.status}${progress.detail ? ` (${progress.detail})` : ''}`);
}

/** Every failure is a typed error: decide on its class and code, never on its message. */
function explain(error: unknown): string {
  if (error instanceof ReEnrollmentError) {
    if (error.code === 'REFUSED_BY_POLICY') return `not allowed: ${error.message}`;
    // A failed step keeps its cause as data: explain that, then say the same run resumes.
    if (error.code === 'STEP_FAILED' && error.cause !== undefined)
      return `re-enrollment stopped at ${error.step}: ${explain(error.cause)}; run it again to resume`;
    return `re-enrollment stopped at ${error.step} (${error.code}): ${error.message}`;
  }
  if (error instanceof AuthenticationFailedError) return `the band did not recognise the user (${error.reason})`;
  if (error instanceof BandError) return `the band refused (${error.code} in ${error.state}): ${error.message}`;
  if (error instanceof BandClientError) return `the band did not answer (${error.code}): ${error.message}`;
  if (error instanceof CtapError) return `the security key refused (${error.code}): ${error.message}`;
  if (error instanceof Fido2ProtocolError) return `the security key answered nonsense: ${error.message}`;
  if (error instanceof RelyingPartyError) return `the relying party rejected it (${error.code}): ${error.message}`;
  if (error instanceof DirectoryError) return `the directory refused (${error.code}): ${error.message}`;
  if (error instanceof TransportError) return `cannot reach the band (${error.code}): ${error.message}`;
  return `unexpected: ${String(error)}`;
}

main(values.band).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(explain(error));
    process.exit(1);
  },
);
