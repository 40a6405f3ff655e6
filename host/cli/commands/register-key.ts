import { associationOfBand, associationsOf, FileDirectory, findUser } from '../../directory/index.js';
import { CtapError } from '../../fido2/index.js';
import { userArgument } from '../arguments.js';
import { registerKey } from '../../register-key.js';
import { parseCommand, parseInteger, requireString, type CliCommand } from '../command.js';
import { CliRefusal } from '../refusal.js';
import { withBand } from '../connect.js';
import { embeddedRelyingParty, RELYING_PARTY_OPTIONS } from '../embedded-rp.js';
import { personFor, SIMULATE_USER_OPTION } from '../people.js';

export const registerKeyCommand: CliCommand = {
  name: 'register-key',
  summary: "register the user's FIDO2 security key on the band with the embedded relying party",
  usage: `usage: bandctl [--transport URI] register-key --user NAME [--directory FILE] [--rp-id ID --rp-origin URL]
                      [--simulate-user FINGER] [--wait MS] [--json]

A WebAuthn registration, as a browser would run it: the embedded relying party (default login.example.com,
its credentials in FILE.rp.json beside the directory) issues a challenge, the band makes a credential
(the user taps the band), and the relying party verifies the packed attestation and stores the key
against the user and the band's serial number. 'bandctl reenroll' later re-creates it on a new band.

Refused (exit 1) before anything is registered: a user the directory (FILE, see 'bandctl directory') does not
have, a band the directory does not assign to that user, and a band enrolled to anyone else.

  --wait MS   how long the user has for each step: authenticating on the band, then the tap (default 60000)`,
  async run(ctx) {
    const { values } = parseCommand('register-key', ctx.argv, {
      user: { type: 'string' },
      wait: { type: 'string' },
      ...RELYING_PARTY_OPTIONS,
      ...SIMULATE_USER_OPTION,
    });
    const userName = userArgument('register-key', '--user', requireString('register-key', values.user, '--user NAME'));
    const waitMs = parseInteger('register-key', values.wait, '--wait', 60_000, 1);
    const { path, rp } = embeddedRelyingParty(ctx, values);
    // The directory first: a user it lacks, or one it gives no band, is refused before the band is opened.
    const directory = await new FileDirectory(path).snapshot();
    if (!findUser(directory, userName)) {
      throw new CliRefusal(
        'NOT_IN_DIRECTORY',
        `register-key: ${userName} is not in the directory ${path}; add them with 'bandctl directory add-user ${userName}'`,
      );
    }
    const theirs = associationsOf(directory, userName).map((a) => a.serialNumber);
    if (theirs.length === 0) {
      throw new CliRefusal(
        'NO_BAND_ASSIGNED',
        `register-key: the directory assigns no band to ${userName}; assign one with 'bandctl directory assign --user ${userName} --band SERIAL'`,
      );
    }
    await withBand(ctx, async (band) => {
      const serial = band.bandInfo!.serialNumber;
      if (associationOfBand(directory, serial)?.userName !== userName) {
        throw new CliRefusal(
          'NOT_USERS_BAND',
          `register-key: the directory does not assign ${serial} to ${userName} (${userName}'s: ${theirs.join(', ')}); connect to ${userName}'s band with --transport`,
        );
      }
      const state = await band.getState();
      if (!state.enrolled) {
        throw new CliRefusal(
          'BAND_NOT_ENROLLED',
          `register-key: ${serial} holds no user; enroll it first with 'bandctl enroll --user ${userName}'`,
        );
      }
      if (state.userName !== userName) {
        throw new CliRefusal(
          'ENROLLED_TO_OTHER',
          `register-key: ${serial} is enrolled to ${state.userName}, not ${userName}; re-enroll it with 'bandctl reenroll --user ${userName} --band ${serial}'`,
        );
      }
      const person = personFor(ctx, band, values['simulate-user'], 'register-key');
      const credential = await registerKey({
        band,
        relyingParty: rp,
        userName,
        user: person,
        stepTimeoutMs: waitMs,
        onProgress: (p) => ctx.out.event('register-key', { type: 'progress', ...p }),
      }).catch((error: unknown) => {
        // The relying party listed the user's keys in excludeCredentials: the band holds one of them.
        if (error instanceof CtapError && error.code === 'CTAP2_ERR_CREDENTIAL_EXCLUDED') {
          throw new CliRefusal('KEY_EXISTS', `${userName} already has a key for ${rp.id} on this band`);
        }
        throw error;
      });
      ctx.out.result(
        {
          ok: true,
          user: userName,
          rpId: rp.id,
          credentialId: credential.id,
          bandSerial: credential.bandSerial,
          counter: credential.counter,
        },
        `${rp.id} registered key ${credential.id} for ${userName} on ${credential.bandSerial}.`,
      );
    });
  },
};
