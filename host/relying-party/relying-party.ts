import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';

export type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
};

/** A FIDO2 credential as the relying party keeps it: whose it is and which band holds its private key. */
export interface RegisteredCredential {
  /** base64url credential ID. */
  id: string;
  userName: string;
  /** The band the key lives on; after a move to another band this is how the old key is found and retired. */
  bandSerial: string;
  /** base64url COSE public key. */
  publicKey: string;
  /** Last signature counter seen (0 for an authenticator that does not count). */
  counter: number;
  transports: string[];
  /** ISO-8601, from the injected clock. */
  created: string;
  lastUsed?: string;
  /** Set once retired (ISO-8601); a retired credential no longer authenticates. */
  retired?: string;
  /**
   * The device ID (32 lower-case hex digits, as the directory stores it) the registration's enterprise attestation
   * certificate named (CTAP 2.1 §7.1), set when `WebAuthnRelyingPartyOptions.attestation.enterprise` is on: proof
   * of which band holds the key, not the client's word for it.
   */
  attestedDeviceId?: string;
}

export interface StartRegistrationOptions {
  /** The band the credential is about to be created on; bound to this ceremony. */
  bandSerial: string;
  displayName?: string;
}

export interface StartAuthenticationOptions {
  /** Offer only the credentials living on this band. */
  bandSerial?: string;
}

/**
 * A relying party the re-enrollment re-creates FIDO2 keys with. Ceremonies follow WebAuthn: `start*` returns
 * the JSON options a client turns into CTAP2 commands, `finish*` takes the client's JSON response. One ceremony
 * of each kind is pending per user; starting again replaces it, and finishing consumes it whatever the outcome.
 */
export interface RelyingParty {
  /** The RP ID (a domain). */
  readonly id: string;
  /** The origin clients put in clientDataJSON, e.g. `https://login.example.com`. */
  readonly origin: string;
  readonly name: string;

  /**
   * Starts a registration for the user on a band: the creation options a client passes to the band. Read-only: a
   * relying party may share their constant parts (rp, algorithms, selection) between ceremonies, frozen.
   */
  startRegistration(
    userName: string,
    options: StartRegistrationOptions,
  ): Promise<PublicKeyCredentialCreationOptionsJSON>;
  /** Verifies the attestation and stores the credential against the user and the ceremony's band. */
  finishRegistration(userName: string, response: RegistrationResponseJSON): Promise<RegisteredCredential>;
  /** Starts an authentication for the user: the request options a client passes to the band. */
  startAuthentication(
    userName: string,
    options?: StartAuthenticationOptions,
  ): Promise<PublicKeyCredentialRequestOptionsJSON>;
  /** Verifies the assertion, checks the signature counter went up, and records it. */
  finishAuthentication(userName: string, response: AuthenticationResponseJSON): Promise<RegisteredCredential>;
  /** The user's credentials, retired ones included, oldest first. */
  credentials(userName: string): Promise<RegisteredCredential[]>;
  /** Retires a credential (the old key after re-creation on a new band). Idempotent. */
  retireCredential(userName: string, credentialId: string): Promise<RegisteredCredential>;
}
