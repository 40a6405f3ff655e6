import type { BandState, ErrorCode } from '../proto/index.js';

/** The band says no: it becomes the protocol's `Error { code, message, state }`. Nothing changed on the band. */
export class BandRefusal extends Error {
  override readonly name = 'BandRefusal';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly state: BandState,
  ) {
    super(message);
  }
}
