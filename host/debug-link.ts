import {
  DebugRequestCodec,
  DebugResponseCodec,
  ProtoError,
  type Button,
  type ButtonMotion,
  type DebugRequest,
  type DebugResponse,
  type Init,
  type ScreenReading,
} from '../proto/index.js';
import { Command } from '../transport/index.js';
import type { BandChannel, CallOptions } from './channel.js';
import { BandClientError } from './errors.js';

type Action = NonNullable<DebugRequest['action']>;

/**
 * The test rig's hands on a band started with its debug link (bandsim --debug-link): buttons, finger,
 * wrist, charger, the screen as the user sees it, the clock, the random seed, power cuts and reboots.
 * It has its own request slot, so it can act while a band call waits for the user.
 */
export class DebugLink {
  private nextRequestId = 1;

  constructor(private readonly channel: BandChannel) {}

  button(button: Button, motion: ButtonMotion, holdMs = 0, options?: CallOptions) {
    return this.ok({ case: 'button', value: { button, motion, holdMs } }, options);
  }
  /** Holds a button for `holdMs` on the band's clock, e.g. the bottom button for delete user data. */
  hold(button: Button, holdMs: number, options?: CallOptions) {
    return this.button(button, 'BUTTON_MOTION_HOLD', holdMs, options);
  }
  press(button: Button, options?: CallOptions) {
    return this.button(button, 'BUTTON_MOTION_PRESS', 0, options);
  }
  fingerOn(finger: string, how: { poorQuality?: boolean; liveness?: boolean } = {}, options?: CallOptions) {
    return this.ok(
      { case: 'fingerOn', value: { finger, poorQuality: how.poorQuality ?? false, liveness: how.liveness ?? true } },
      options,
    );
  }
  fingerOff(options?: CallOptions) {
    return this.ok({ case: 'fingerOff', value: {} }, options);
  }
  /** A whole touch: finger on, then lifted. */
  async touch(finger: string, how: { poorQuality?: boolean; liveness?: boolean } = {}, options?: CallOptions) {
    await this.fingerOn(finger, how, options);
    await this.fingerOff(options);
  }
  setWrist(onWrist: boolean, options?: CallOptions) {
    return this.ok({ case: 'setWrist', value: { onWrist } }, options);
  }
  setCharger(onCharger: boolean, options?: CallOptions) {
    return this.ok({ case: 'setCharger', value: { onCharger } }, options);
  }
  advanceClock(ms: number, options?: CallOptions) {
    return this.ok({ case: 'advanceClock', value: { ms } }, options);
  }
  reseed(seed: Uint8Array, options?: CallOptions) {
    return this.ok({ case: 'reseed', value: { seed } }, options);
  }
  /** Arms a power cut at the N-th storage write from now (1 = the next one; 0 disarms). */
  cutPower(atWrite: number, options?: CallOptions) {
    return this.ok({ case: 'cutPower', value: { atWrite } }, options);
  }
  reboot(options?: CallOptions) {
    return this.ok({ case: 'reboot', value: {} }, options);
  }

  readScreen(options?: CallOptions): Promise<ScreenReading> {
    return this.request({ case: 'readScreen', value: {} }, 'screen', options);
  }

  private ok(action: Init<Action>, options?: CallOptions): Promise<void> {
    return this.request(action, 'ok', options);
  }

  /**
   * Sends `action` and resolves when its reply (by request_id) is the `expected` result: undefined for `ok`, the
   * screen for `screen`. Not an async function: a press the simulated person makes while a ceremony waits stays in
   * flight as long, and each async frame (its registers, promise and await closures) was kept per band (heap
   * snapshot, test/bench/fleet.ts); the reply is decoded once, by the matcher.
   */
  private request(action: Init<Action>, expected: 'ok', options?: CallOptions): Promise<void>;
  private request(action: Init<Action>, expected: 'screen', options?: CallOptions): Promise<ScreenReading>;
  private request(
    action: Init<Action>,
    expected: 'ok' | 'screen',
    options?: CallOptions,
  ): Promise<ScreenReading | void> {
    const requestId = this.nextRequestId;
    this.nextRequestId = requestId >= 0xffffffff ? 1 : requestId + 1;
    let payload: Uint8Array;
    try {
      payload = DebugRequestCodec.encode({ requestId, action });
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what was thrown, as an async function would
      return Promise.reject(error);
    }
    // What the reply is read with is kept while it is awaited, not the action itself.
    const name = action.case ?? '?';
    let reply: DebugResponse | undefined;
    return this.channel
      .transact(
        { command: Command.DEBUG, payload },
        (u) => {
          if (u.command !== Command.DEBUG) return false;
          const response = decodeResponse(u.payload);
          if (response?.requestId !== requestId) return false;
          reply = response;
          return true;
        },
        options,
      )
      .then(() => resultOf(reply?.result, name, expected));
  }
}

function decodeResponse(payload: Uint8Array): DebugResponse | null {
  try {
    return DebugResponseCodec.decode(payload);
  } catch (error) {
    if (error instanceof ProtoError) return null;
    throw error;
  }
}

/** What a call resolves with, from its reply's result; the band's refusal or an unexpected result is an error. */
function resultOf(
  result: DebugResponse['result'],
  action: string,
  expected: 'ok' | 'screen',
): ScreenReading | undefined {
  if (!result)
    throw new BandClientError(
      'PROTOCOL',
      'the band sent an empty DebugResponse; its debug link does not follow debug.proto',
    );
  if (result.case === 'error') {
    // The band names the action itself ("fingerOn: expected ..."): say it once.
    const own = `${action}: `;
    const message = result.value.message.startsWith(own)
      ? result.value.message.slice(own.length)
      : result.value.message;
    throw new BandClientError('DEVICE_ERROR', `debug ${action}: ${message}`);
  }
  if (result.case !== expected) throw unexpected(action, result.case);
  return result.case === 'screen' ? result.value : undefined;
}

function unexpected(action: string, got: string): BandClientError {
  return new BandClientError(
    'PROTOCOL',
    `debug ${action}: expected a ${action === 'readScreen' ? 'screen' : 'ok'} reply, got ${got}`,
  );
}
