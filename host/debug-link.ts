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

  async readScreen(options?: CallOptions): Promise<ScreenReading> {
    const result = await this.request({ case: 'readScreen', value: {} }, options);
    if (result.case !== 'screen') throw unexpected('readScreen', result.case);
    return result.value;
  }

  private async ok(action: Init<Action>, options?: CallOptions): Promise<void> {
    const result = await this.request(action, options);
    if (result.case !== 'ok') throw unexpected(action.case ?? '?', result.case);
  }

  private async request(action: Init<Action>, options?: CallOptions): Promise<NonNullable<DebugResponse['result']>> {
    const requestId = this.nextRequestId;
    this.nextRequestId = requestId >= 0xffffffff ? 1 : requestId + 1;
    const decode = (payload: Uint8Array): DebugResponse | null => {
      try {
        return DebugResponseCodec.decode(payload);
      } catch (error) {
        if (error instanceof ProtoError) return null;
        throw error;
      }
    };
    const unit = await this.channel.transact(
      { command: Command.DEBUG, payload: DebugRequestCodec.encode({ requestId, action }) },
      (u) => u.command === Command.DEBUG && decode(u.payload)?.requestId === requestId,
      options,
    );
    const result = decode(unit.payload)?.result;
    if (!result)
      throw new BandClientError(
        'PROTOCOL',
        'the band sent an empty DebugResponse; its debug link does not follow debug.proto',
      );
    if (result.case === 'error') {
      // The band names the action itself ("fingerOn: expected ..."): say it once.
      const own = `${action.case}: `;
      const message = result.value.message.startsWith(own)
        ? result.value.message.slice(own.length)
        : result.value.message;
      throw new BandClientError('DEVICE_ERROR', `debug ${action.case}: ${message}`);
    }
    return result;
  }
}

function unexpected(action: string, got: string): BandClientError {
  return new BandClientError(
    'PROTOCOL',
    `debug ${action}: expected a ${action === 'readScreen' ? 'screen' : 'ok'} reply, got ${got}`,
  );
}
