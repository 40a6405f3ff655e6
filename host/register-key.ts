import { authenticate } from './authenticate.js';
import type { BandClient } from './band-client.js';
import { BandWebAuthn } from './band-webauthn.js';
import type { WebAuthnClient } from './re-enrollment/webauthn-client.js';
import type { RegisteredCredential, RelyingParty } from './relying-party/index.js';
import type { UserInteraction } from './user-interaction.js';

/** What `registerKey` reports as it goes. */
export type RegisterKeyProgress =
  /** The band is Authenticated (it already was, or the user just authenticated on it). */
  | { step: 'authenticated' }
  /** The relying party issued its challenge; the band is asked to make the credential (the user taps it). */
  | { step: 'challenge'; rpId: string }
  /** The band made the credential; the relying party verifies it next. */
  | { step: 'credential-created'; credentialId: string }
  /** The relying party verified and stored the key. */
  | { step: 'registered'; credentialId: string; bandSerial: string };

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
  /** Called at each step, in order: authenticated, challenge, credential-created, registered. */
  onProgress?: (progress: RegisterKeyProgress) => void;
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
  const report = request.onProgress ?? ignore;
  await authenticate(band, user, { signal, stepTimeoutMs: request.stepTimeoutMs });
  report({ step: 'authenticated' });
  const bandSerial = band.bandInfo?.serialNumber ?? (await band.getInfo({ signal })).serialNumber;
  const options = await rp.startRegistration(userName, { bandSerial });
  report({ step: 'challenge', rpId: rp.id });
  const authenticator =
    request.authenticator ?? new BandWebAuthn(band.fido2, { ceremonyTimeoutMs: request.stepTimeoutMs });
  let told = false;
  const response = await authenticator.create(options, rp.origin, {
    signal,
    onUserPresenceNeeded: () => {
      if (told) return;
      told = true;
      void user.instruct({ kind: 'confirm-presence', rpId: rp.id }, signal).catch(ignore);
    },
  });
  report({ step: 'credential-created', credentialId: response.id });
  const credential = await rp.finishRegistration(userName, response);
  report({ step: 'registered', credentialId: credential.id, bandSerial: credential.bandSerial });
  return credential;
}

/**
 * The default `onProgress`, and what a failed tap instruction comes to (the ceremony itself reports a missing tap):
 * one function for every call, not a closure per call.
 */
function ignore(): void {}
