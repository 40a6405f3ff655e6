import { MAX_MESSAGE_SIZE } from '../proto/ctaphid.js';
import { TransportError } from './errors.js';
import type { Unit } from './transport.js';

/**
 * The largest payload any wire carries. It is the CTAPHID ceiling (one 57-byte init packet plus 128
 * continuation packets of 59 bytes), so a unit that fits USB HID fits every other wire, and a bridge
 * between wires never has to split or refuse a unit.
 */
export const MAX_UNIT_PAYLOAD = MAX_MESSAGE_SIZE;

/** Commands are 7-bit on every wire because CTAPHID spends the top bit marking init packets. */
export const MAX_COMMAND = 0x7f;

/** Throws TransportError 'BAD_UNIT' when a caller hands a transport something no wire can carry. */
export function assertUnit(unit: Unit): void {
  const { command, payload } = unit ?? ({} as Unit);
  if (!Number.isInteger(command) || command < 0 || command > MAX_COMMAND) {
    throw new TransportError(
      'BAD_UNIT',
      `expected a unit command between 0x00 and 0x7f, got ${String(command)}; use a value from Command`,
    );
  }
  if (!(payload instanceof Uint8Array)) {
    throw new TransportError(
      'BAD_UNIT',
      `expected the unit payload as a Uint8Array, got ${typeof payload}; wrap bytes in Uint8Array`,
    );
  }
  if (payload.length > MAX_UNIT_PAYLOAD) {
    throw new TransportError(
      'FRAME_TOO_LARGE',
      `expected a payload of at most ${MAX_UNIT_PAYLOAD} bytes, got ${payload.length}; split the message at a higher layer`,
    );
  }
}
