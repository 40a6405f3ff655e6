import { CtapStatus, ctapStatusName, type CtapStatusCode } from '../../proto/ctap2/status.js';

/**
 * Thrown inside the authenticator to end a command with a CTAP status. `handle` turns it into the one-byte reply;
 * the message is for logs and tests (the wire only carries the status byte).
 */
export class CtapFailure extends Error {
  override readonly name = 'CtapFailure';
  constructor(
    readonly status: CtapStatusCode,
    message: string,
  ) {
    super(`${ctapStatusName(status)}: ${message}`);
  }
}

export function fail(status: CtapStatusCode, message: string): never {
  throw new CtapFailure(status, message);
}

export { CtapStatus };
