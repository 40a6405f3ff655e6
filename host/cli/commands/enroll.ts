import { MAX_LABEL_CHARS } from '../../../proto/index.js';
import { enroll } from '../../enroll.js';
import { userArgument } from '../arguments.js';
import { parseCommand, parseInteger, requireString, type CliCommand } from '../command.js';
import { withBand } from '../connect.js';
import { hex } from '../output.js';
import { personFor, SIMULATE_USER_OPTION } from '../people.js';

export const enrollCommand: CliCommand = {
  name: 'enroll',
  summary: 'enroll a wiped band to a user: setup code, fingerprint capture, label, settings',
  usage: `usage: bandctl [--transport URI] enroll --user NAME [--label TEXT] [--no-haptics] [--step-timeout MS]
                      [--simulate-user FINGER] [--json]

The same steps for a new band and a re-enrolled one. The band must hold no user data (see 'bandctl wipe').
The user wears the band, types the setup code it shows, and touches the sensor until the capture is done.
--label: at most ${MAX_LABEL_CHARS} of A-Z 0-9 space and ASCII punctuation (default: the user name).`,
  async run(ctx) {
    const { values } = parseCommand('enroll', ctx.argv, {
      user: { type: 'string' },
      label: { type: 'string' },
      'no-haptics': { type: 'boolean' },
      'step-timeout': { type: 'string' },
      ...SIMULATE_USER_OPTION,
    });
    const userName = userArgument('enroll', '--user', requireString('enroll', values.user, '--user NAME'));
    const stepTimeoutMs = parseInteger('enroll', values['step-timeout'], '--step-timeout', 60_000, 1);
    await withBand(ctx, async (band) => {
      const result = await enroll(
        band,
        personFor(ctx, band, values['simulate-user'], 'enroll'),
        { userName, label: values.label, hapticFeedback: !values['no-haptics'] },
        {
          stepTimeoutMs,
          onProgress: (p) => {
            ctx.out.event('enroll', { type: 'progress', ...p });
            if (p.step === 'capture')
              ctx.out.progress(
                `  fingerprint ${p.goodTouches}/${p.touchesRequired}${p.rejected ? ' (touch rejected, try again)' : ''}`,
              );
            else if (p.step === 'setup-code-verified')
              ctx.out.progress('  setup code accepted: the band shows ADD USER');
          },
        },
      );
      ctx.out.result(
        { ok: true, userName, label: result.label, deviceId: hex(result.deviceId) },
        `Enrolled ${userName}; the band shows ${result.label} and is authenticated.`,
      );
    });
  },
};
