import {
  DebugRequestCodec,
  DebugResponseCodec,
  type DebugRequest,
  type DebugResponse,
  type Screen,
  type ScreenReading,
} from '../proto/index.js';
import type { Band } from './band.js';
import type { ButtonName } from './body.js';
import type { World } from './world.js';

type Result = NonNullable<DebugResponse['result']>;
type Action = NonNullable<DebugRequest['action']>;

const MAX_SEED = 64;

/**
 * The test rig's hands and instruments (debug.proto): it moves the body, reads the display as the
 * wearer's eyes would, turns the clock, reseeds the random source, cuts the power and reboots. It never
 * reads flash contents, so it can never return key material or the template.
 */
export function answerDebug(band: Band, world: World, payload: Uint8Array): Uint8Array {
  let request: DebugRequest;
  try {
    request = DebugRequestCodec.decode(payload);
  } catch (error) {
    return reply(0, {
      case: 'error',
      value: { message: `${(error as Error).message}; send a debug.proto DebugRequest` },
    });
  }
  const { requestId, action } = request;
  if (!action) {
    return reply(requestId, {
      case: 'error',
      value: { message: 'expected a DebugRequest action (button, finger_on, ...), got none; check debug.proto' },
    });
  }
  try {
    return reply(requestId, act(band, world, action));
  } catch (error) {
    return reply(requestId, {
      case: 'error',
      value: { message: clamp(`${action.case}: ${(error as Error).message}`) },
    });
  }
}

function act(band: Band, world: World, action: Action): Result {
  const ok: Result = { case: 'ok', value: {} };
  const { body, clock, storage } = world;
  switch (action.case) {
    case 'button': {
      const button = buttonName(action.value.button);
      switch (action.value.motion) {
        case 'BUTTON_MOTION_PRESS':
          body.press(button);
          return ok;
        case 'BUTTON_MOTION_DOWN':
          body.buttonDown(button);
          return ok;
        case 'BUTTON_MOTION_UP':
          body.buttonUp(button);
          return ok;
        case 'BUTTON_MOTION_HOLD':
          body.hold(button, action.value.holdMs);
          return ok;
        default:
          throw new Error(`expected a button motion (PRESS, DOWN, UP, HOLD), got ${action.value.motion}`);
      }
    }
    case 'fingerOn':
      body.fingerOn(action.value.finger, { poorQuality: action.value.poorQuality, liveness: action.value.liveness });
      return ok;
    case 'fingerOff':
      body.fingerOff();
      return ok;
    case 'setWrist':
      body.setWrist(action.value.onWrist);
      return ok;
    case 'setCharger':
      body.setCharger(action.value.onCharger);
      return ok;
    case 'readScreen':
      return { case: 'screen', value: readScreen(band, world) };
    case 'advanceClock':
      clock.advance(action.value.ms);
      return ok;
    case 'reseed':
      if (action.value.seed.length > MAX_SEED)
        throw new Error(`expected a seed of at most ${MAX_SEED} bytes, got ${action.value.seed.length}`);
      band.reseed(action.value.seed);
      return ok;
    case 'cutPower':
      storage.cutPowerAt(action.value.atWrite);
      return ok;
    case 'reboot':
      band.reboot();
      return ok;
  }
}

function buttonName(button: string): ButtonName {
  if (button === 'BUTTON_TOP') return 'top';
  if (button === 'BUTTON_BOTTOM') return 'bottom';
  throw new Error(`expected BUTTON_TOP or BUTTON_BOTTOM, got ${button}`);
}

function reply(requestId: number, result: Result): Uint8Array {
  return DebugResponseCodec.encode({ requestId, result });
}

function clamp(message: string): string {
  return message.length <= 200 ? message : `${message.slice(0, 197)}...`;
}

/** What the wearer's eyes see; the setup code only while it is displayed, and nothing while the band has no power. */
export function readScreen(band: Band, world: World): ScreenReading {
  const powered = band.isPowered;
  const shows = (screen: Screen) => powered && band.screen === screen;
  return {
    screen: powered ? band.screen : 'SCREEN_BLANK',
    state: powered ? band.state : 'BAND_STATE_UNSPECIFIED',
    setupCode: shows('SCREEN_SETUP_CODE') ? (band.enrollment.shownSetupCode ?? '') : '',
    label: powered ? (band.user?.label ?? '') : '',
    onWrist: world.body.onWrist,
    onCharger: world.body.onCharger,
    powered,
    storageWrites: world.storage.writesSinceBoot,
    // What the CONFIRM screen asks the wearer to confirm.
    confirmPurpose: shows('SCREEN_CONFIRM') ? (band.presence.request?.purpose ?? '') : '',
    confirmRpId: shows('SCREEN_CONFIRM') ? (band.presence.request?.rpId ?? '') : '',
  };
}
