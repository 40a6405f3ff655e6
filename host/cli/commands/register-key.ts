import { authenticate } from '../../authenticate.js';
import { BandWebAuthn } from '../../band-webauthn.js';
import { parseCommand, parseInteger, requireString, type CliCommand } from '../command.js';
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

  --wait MS   how long the user has for each step: authenticating on the band, then the tap (default 60000)`,
  async run(ctx) {
    const { values } = parseCommand('register-key', ctx.argv, {
      user: { type: 'string' },
      wait: { type: 'string' },
      ...RELYING_PARTY_OPTIONS,
      ...SIMULATE_USER_OPTION,
    });
    const userName = requireString('register-key', values.user, '--user NAME');
    const waitMs = parseInteger('register-key', values.wait, '--wait', 60_000, 1);
    const { rp } = embeddedRelyingParty(ctx, values);
    await withBand(ctx, async (band) => {
      const person = personFor(ctx, band, values['simulate-user']);
      await authenticate(band, person, { stepTimeoutMs: waitMs });
      const options = await rp.startRegistration(userName, { bandSerial: band.bandInfo!.serialNumber });
      let told = false;
      const response = await new BandWebAuthn(band.fido2, waitMs).create(options, rp.origin, {
        onUserPresenceNeeded: () => {
          if (told) return;
          told = true;
          void person.instruct({ kind: 'confirm-presence', rpId: rp.id }).catch(() => undefined);
        },
      });
      const credential = await rp.finishRegistration(userName, response);
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
