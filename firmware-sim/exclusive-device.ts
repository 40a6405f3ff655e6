import { Command, HidError, type Unit } from '../transport/index.js';
import type { BandDevice, DeviceContext } from './device.js';

/**
 * One band behind several endpoints (bandsim --serial --tcp --udp-hid) still runs one transaction at a time,
 * as its single command processor would: a request arriving from another endpoint while one runs gets
 * CTAPHID ERROR CHANNEL_BUSY. The debug link is exempt (it is the user's hands; see serve.ts).
 */
export function exclusive(device: BandDevice): BandDevice {
  let busy = false;
  return {
    hostsCtap2: device.hostsCtap2,
    onEvent: (listener) => device.onEvent(listener),
    async handle(unit: Unit, ctx: DeviceContext): Promise<Unit> {
      if (unit.command === Command.DEBUG) return device.handle(unit, ctx);
      if (busy) return { command: Command.ERROR, payload: Uint8Array.of(HidError.CHANNEL_BUSY) };
      busy = true;
      try {
        return await device.handle(unit, ctx);
      } finally {
        busy = false;
      }
    },
  };
}
