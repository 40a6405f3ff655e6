import { parseCommand, type CliCommand } from '../command.js';
import { withBand } from '../connect.js';

/** An enum value as people read it: BAND_STATE_AUTHENTICATION_REQUIRED is "authentication_required". */
export function enumName(value: string): string {
  return value.replace(/^(BAND_STATE_|SCREEN_)/, '').toLowerCase();
}

/**
 * A reply's fields as aligned lines for people, the way `info` prints them: states and screens without their
 * enum prefix, lower-case, and empty strings left out (--json keeps every field as the band sent it).
 */
export function humanFields(fields: object, width: number): string[] {
  return Object.entries(fields)
    .filter(([, v]) => v !== '' && v !== undefined)
    .map(([k, v]) => `${k.padEnd(width)} ${k === 'state' || k === 'screen' ? enumName(String(v)) : String(v)}`);
}

export const stateCommand: CliCommand = {
  name: 'state',
  summary: "the band's state machine state and screen (GetState)",
  usage: `usage: bandctl [--transport URI] state [--json]

Prints the band's GetState reply (empty fields left out; --json has every field).`,
  async run(ctx) {
    parseCommand('state', ctx.argv, {});
    await withBand(ctx, async (band) => {
      const state = await band.getState();
      ctx.out.result({ ok: true, ...state }, humanFields(state, 20));
    });
  },
};
