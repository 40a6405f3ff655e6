import { authenticate } from './authenticate.js';
import type { BandClient } from './band-client.js';
import { BandWebAuthn } from './band-webauthn.js';
import type { WebAuthnClient } from './re-enrollment/webauthn-client.js';
import type { RegisteredCredential, RelyingParty } from './relying-party/index.js';
import type { UserInteraction } from './user-interaction.js';

/** Whose key, on which band, with which relying party. */
export interface RegisterKeyRequest {
  /** The band the user wears, connected. */
  band: BandClient;
  relyingParty: RelyingParty;
  /** The directory user name the relying party knows the user by. */
  userName: string;
  /** The person: asked to authenticate on the band if needed, and to tap it when the band waits. */
  user: UserInteraction;
  signal?: AbortSignal;
  /** Time allowed for each user action: authenticating on the band, then the tap (default 60 000 ms). */
  stepTimeoutMs?: number;
  /** The WebAuthn client side (default: CTAP2 on `band`, a `BandWebAuthn` allowing `stepTimeoutMs` for the tap). */
  authenticator?: WebAuthnClient;
}

/**
 * Registers a FIDO2 security key on the band with a relying party, as a browser would: the band is brought to
 * Authenticated (the user wears it and touches the sensor), the relying party issues a challenge, the band makes
 * a credential when the user taps it, and the relying party verifies the attestation and stores the key against
 * the user and the band's serial number.
 *
 * @throws BandClientError or BandError when the band cannot be reached or refuses; CtapError when the
 *   authenticator refuses (e.g. no tap in time); RelyingPartyError when the relying party rejects the response.
 */
export async function registerKey(request: RegisterKeyRequest): Promise<RegisteredCredential> {
  const { band, relyingParty: rp, userName, user, signal } = request;
  await authenticate(band, user, { signal, stepTimeoutMs: request.stepTimeoutMs });
  const bandSerial = band.bandInfo?.serialNumber ?? (await band.getInfo({ signal })).serialNumber;
  const options = await rp.startRegistration(userName, { bandSerial });
  const authenticator =
    request.authenticator ?? new BandWebAuthn(band.fido2, { ceremonyTimeoutMs: request.stepTimeoutMs });
  let told = false;
  const response = await authenticator.create(options, rp.origin, {
    signal,
    onUserPresenceNeeded: () => {
      if (told) return;
      told = true;
      void user.instruct({ kind: 'confirm-presence', rpId: rp.id }, signal).catch(() => undefined);
    },
  });
  return rp.finishRegistration(userName, response);
}
