import { deleteUserData } from '../../delete-user-data.js';
import { parseCommand, parseInteger, type CliCommand } from '../command.js';
import { withBand } from '../connect.js';
import { personFor, SIMULATE_USER_OPTION } from '../people.js';

export const wipeCommand: CliCommand = {
  name: 'wipe',
  summary: 'delete user data: ask the band, tell the user what to do, wait for USER DATA DELETED',
  usage: `usage: bandctl [--transport URI] wipe [--wait MS] [--simulate-user FINGER] [--json]

A host can only ask: the band prompts, and the user takes it off the wrist, puts it on its charger and
holds the bottom button until it vibrates twice. bandctl shows the instructions and waits for the band's
confirmation (default 120000 ms). With --simulate-user (band started with --debug-link) a simulated
person does it.`,
  async run(ctx) {
    const { values } = parseCommand('wipe', ctx.argv, { wait: { type: 'string' }, ...SIMULATE_USER_OPTION });
    const timeoutMs = parseInteger('wipe', values.wait, '--wait', 120_000, 1);
    await withBand(ctx, async (band) => {
      const result = await deleteUserData(band, personFor(ctx, band, values['simulate-user'], 'wipe'), { timeoutMs });
      ctx.out.event('wipe', { type: 'progress', step: result });
      const state = await band.getState();
      ctx.out.result(
        { ok: true, result, state: state.state, screen: state.screen },
        result === 'deleted'
          ? 'USER DATA DELETED: the band holds no user data and no FIDO2 credentials.'
          : 'The band held no user data; nothing to delete.',
      );
    });
  },
};
