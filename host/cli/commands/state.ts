import { parseCommand, type CliCommand } from '../command.js';
import { withBand } from '../connect.js';

export const stateCommand: CliCommand = {
  name: 'state',
  summary: "the band's state machine state and screen (GetState)",
  usage: `usage: bandctl [--transport URI] state [--json]

Prints every field of the band's GetState reply.`,
  async run(ctx) {
    parseCommand('state', ctx.argv, {});
    await withBand(ctx, async (band) => {
      const state = await band.getState();
      ctx.out.result({ ok: true, ...state }, Object.entries(state).map(([k, v]) => `${k.padEnd(20)} ${String(v)}`));
    });
  },
};
