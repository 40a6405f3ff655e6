import { Permission } from '../../proto/ctap2/client-pin.js';
import type { PlatformPinUvProtocol } from './pin-uv-protocol.js';

/** pinUvAuthToken permissions (CTAP 2.1 §6.5.5.7), from the wire contract. */
export { Permission };

/**
 * A pinUvAuthToken obtained from the authenticator, with the protocol it must be used under. A CTAP 2.1
 * authenticator consumes the mc/ga permissions with the first makeCredential/getAssertion that collects user
 * presence, so get a fresh token per ceremony; cm tokens stay usable for a whole management session.
 */
export class PinUvAuthToken {
  constructor(
    readonly protocol: PlatformPinUvProtocol,
    private readonly token: Uint8Array,
    readonly permissions: number | undefined,
    readonly rpId: string | undefined,
  ) {}

  /** pinUvAuthParam for `message` (clientDataHash, or subCommand || subCommandParams). */
  authenticate(message: Uint8Array): Uint8Array {
    return this.protocol.authenticate(this.token, message);
  }
}
