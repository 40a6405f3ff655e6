import type { Button } from '../../../proto/index.js';
import { parseCommand, parseInteger, requireString, type CliCommand } from '../command.js';
import { UsageError } from '../exit-codes.js';
import { withBand } from '../connect.js';
import { enumName, humanFields } from './state.js';

const ACTIONS = 'press|hold|down|up|finger|lift|wrist|charger|screen|clock|reseed|cut-power|reboot';

/** The band's GetInfo does not list CAPABILITY_DEBUG_LINK: a production band, or bandsim without --debug-link. */
export class NoDebugLinkError extends Error {
  override readonly name = 'NoDebugLinkError';
  readonly code = 'NO_DEBUG_LINK';
}

export const debugCommand: CliCommand = {
  name: 'debug',
  summary: "the rig's hands on a band started with --debug-link: buttons, finger, wrist, clock, power",
  usage: `usage: bandctl [--transport URI] debug ACTION [ARGS] [--json]

  press top|bottom             press and release a button
  hold top|bottom MS           hold a button for MS on the band's clock (bottom, 10000 on the charger: wipe)
  down top|bottom / up top|bottom
  finger NAME [--poor] [--no-liveness]
                               put a finger on the sensor (NAME identifies the finger, e.g. tw-user2/right-index)
  lift                         lift the finger
  wrist on|off / charger on|off
  screen                       what the display shows (state, setup code, label, power, storage writes)
  clock MS                     move the band's clock forward
  reseed TEXT                  reseed the band's random source
  cut-power N                  cut the power at the N-th storage write from now (0 disarms)
  reboot                       power-cycle the band`,
  async run(ctx) {
    const { values, positionals } = parseCommand('debug', ctx.argv, {
      poor: { type: 'boolean' },
      'no-liveness': { type: 'boolean' },
    });
    const [action, arg1, arg2] = positionals;
    if (!action) throw new UsageError(`debug: expected an action (${ACTIONS})`);
    if (!ACTIONS.split('|').includes(action))
      throw new UsageError(`debug: unknown action '${action}'; expected ${ACTIONS}`);
    const button = (): Button => {
      if (arg1 === 'top') return 'BUTTON_TOP';
      if (arg1 === 'bottom') return 'BUTTON_BOTTOM';
      throw new UsageError(`debug ${action}: expected top or bottom, got '${arg1 ?? ''}'`);
    };
    const onOff = (): boolean => {
      if (arg1 === 'on' || arg1 === 'off') return arg1 === 'on';
      throw new UsageError(`debug ${action}: expected on or off, got '${arg1 ?? ''}'`);
    };
    await withBand(ctx, async (band) => {
      // Asked up front: without the link the band answers DEBUG with CTAPHID ERROR INVALID_CMD, which says nothing.
      if (!band.bandInfo?.capabilities.includes('CAPABILITY_DEBUG_LINK')) {
        throw new NoDebugLinkError(
          `debug ${action}: this band does not offer the debug link; start bandsim with --debug-link`,
        );
      }
      const hands = band.debug;
      switch (action) {
        case 'press':
          await hands.press(button());
          break;
        case 'hold':
          await hands.hold(
            button(),
            parseInteger('debug hold', requireString('debug hold', arg2, 'MS'), 'MS', 0, 0, 600_000),
          );
          break;
        case 'down':
          await hands.button(button(), 'BUTTON_MOTION_DOWN');
          break;
        case 'up':
          await hands.button(button(), 'BUTTON_MOTION_UP');
          break;
        case 'finger':
          await hands.fingerOn(requireString('debug finger', arg1, 'a finger NAME'), {
            poorQuality: values.poor ?? false,
            liveness: !values['no-liveness'],
          });
          break;
        case 'lift':
          await hands.fingerOff();
          break;
        case 'wrist':
          await hands.setWrist(onOff());
          break;
        case 'charger':
          await hands.setCharger(onOff());
          break;
        case 'clock':
          await hands.advanceClock(
            parseInteger('debug clock', requireString('debug clock', arg1, 'MS'), 'MS', 0, 0, 0xffffffff),
          );
          break;
        case 'reseed':
          await hands.reseed(new TextEncoder().encode(requireString('debug reseed', arg1, 'TEXT')));
          break;
        case 'cut-power':
          await hands.cutPower(
            parseInteger('debug cut-power', requireString('debug cut-power', arg1, 'N'), 'N', 0, 0, 1_000_000),
          );
          break;
        case 'reboot':
          await hands.reboot();
          break;
        case 'screen': {
          const screen = await hands.readScreen();
          ctx.out.result({ ok: true, ...screen }, humanFields(screen, 14));
          return;
        }
        default:
          throw new UsageError(`debug: unknown action '${action}'; expected ${ACTIONS}`);
      }
      const screen = await hands.readScreen();
      ctx.out.result(
        { ok: true, action, screen: screen.screen, state: screen.state },
        `ok — the band shows ${enumName(screen.screen)}`,
      );
    });
  },
};
