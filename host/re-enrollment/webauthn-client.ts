import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '../relying-party/index.js';

export interface CeremonyOptions {
  signal?: AbortSignal;
  /** Called once when the band waits for the user's tap (KEEPALIVE UPNEEDED). */
  onUserPresenceNeeded?: () => void;
}

/**
 * The client side of a WebAuthn ceremony (what a browser does): relying-party options in, the JSON response
 * the relying party verifies out. `BandWebAuthn` implements it with CTAP2 on a band.
 */
export interface WebAuthnClient {
  create(
    options: PublicKeyCredentialCreationOptionsJSON,
    origin: string,
    ceremony?: CeremonyOptions,
  ): Promise<RegistrationResponseJSON>;
  get(
    options: PublicKeyCredentialRequestOptionsJSON,
    origin: string,
    ceremony?: CeremonyOptions,
  ): Promise<AuthenticationResponseJSON>;
}
