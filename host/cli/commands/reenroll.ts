import {
  DEFAULT_DIRECTORY_PATH,
  FileDirectory,
  renderUserPropertiesTable,
  userProperties,
} from '../../directory/index.js';
import { FileProgressStore, ReEnrollment, type ReEnrollmentProgress } from '../../re-enrollment/index.js';
import { serialArgument, userArgument } from '../arguments.js';
import { parseCommand, parseInteger, requireString, type CliCommand } from '../command.js';
import { withBand } from '../connect.js';
import { embeddedRelyingParty, RELYING_PARTY_OPTIONS } from '../embedded-rp.js';
import { personFor, SIMULATE_USER_OPTION } from '../people.js';

export const reenrollCommand: CliCommand = {
  name: 'reenroll',
  summary: 'self-service re-enrollment: policy, wipe, enroll, FIDO2 key re-creation, directory',
  usage: `usage: bandctl [--transport URI] reenroll --user NAME --band SERIAL [--directory FILE] [--label TEXT]
                      [--rp-id ID --rp-origin URL] [--user-timeout MS] [--simulate-user FINGER] [--json]

Runs the whole self-service re-enrollment against the band on --transport, which must report SERIAL:
1. the enterprise policy decides (own band, a band nobody holds, another user's band, the SEOS exception);
   a refusal changes nothing and exits 5 with the text the user sees;
2. delete user data (the user's physical action on the band);
3. enrollment (setup code, fingerprint capture);
4. the user's FIDO2 key is re-created with the embedded relying party (--rp-id, default login.example.com;
   its credentials live in FILE.rp.json) if it knew one;
5. one atomic directory update (FILE, default ${DEFAULT_DIRECTORY_PATH}); old keys retired. If an administrator
   changed the policy, the user's bands or this band while the run waited for the person, nothing is written and
   the error (DIRECTORY_CHANGED, exit 1) names the change.
A failed run leaves a resume point in FILE.progress.json: run the same command again to continue.

  --user-timeout MS   how long the person has for each step: the delete-user-data hold, each touch, the tap
                      that re-creates a key (default 120000)`,
  async run(ctx) {
    const { values } = parseCommand('reenroll', ctx.argv, {
      user: { type: 'string' },
      band: { type: 'string' },
      label: { type: 'string' },
      ...RELYING_PARTY_OPTIONS,
      'user-timeout': { type: 'string' },
      ...SIMULATE_USER_OPTION,
    });
    const userName = userArgument('reenroll', '--user', requireString('reenroll', values.user, '--user NAME'));
    const bandSerial = serialArgument('reenroll', '--band', requireString('reenroll', values.band, '--band SERIAL'));
    const userTimeoutMs = parseInteger('reenroll', values['user-timeout'], '--user-timeout', 120_000, 1);
    const { path, rp } = embeddedRelyingParty(ctx, values);
    const directory = new FileDirectory(path);
    const orchestrator = new ReEnrollment({
      directory,
      relyingParties: [rp],
      progress: new FileProgressStore(`${path}.progress.json`),
    });

    await withBand(ctx, async (band) => {
      const steps: ReEnrollmentProgress[] = [];
      const result = await orchestrator.run({
        userName,
        bandSerial,
        band,
        user: personFor(ctx, band, values['simulate-user'], 'reenroll'),
        label: values.label,
        userTimeoutMs,
        onProgress: (p) => {
          steps.push(p);
          // One line per step: {step, status, detail?}, and the enrollment's own steps inside `enroll`.
          ctx.out.event('reenroll', { type: 'progress', ...p });
          if (p.status === 'progress') {
            if (p.enroll.step === 'capture')
              ctx.out.progress(`    fingerprint ${p.enroll.goodTouches}/${p.enroll.touchesRequired}`);
          } else if (p.status !== 'started') {
            ctx.out.progress(`  ${p.status === 'skipped' ? '–' : '✓'} ${p.step}${p.detail ? `: ${p.detail}` : ''}`);
          }
        },
      });
      const rows = userProperties(await directory.snapshot(), userName);
      ctx.out.result(
        {
          ok: true,
          user: userName,
          band: bandSerial,
          decision: result.decision,
          recreated: result.recreated,
          retired: result.retired,
          resumed: result.resumed,
          userProperties: rows,
        },
        [`Re-enrolled ${bandSerial} to ${userName}.`, '', renderUserPropertiesTable(rows).trimEnd()],
      );
    });
  },
};
