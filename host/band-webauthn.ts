import { KeepaliveStatus } from '../transport/index.js';
import { authenticationResponseJSON, registrationResponseJSON, type Fido2Client } from './fido2/index.js';
import type { CeremonyOptions, WebAuthnClient } from './re-enrollment/webauthn-client.js';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from './relying-party/index.js';

const fromB64url = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));

/**
 * What a browser does between a relying party and a security key, with the band as the key: WebAuthn options
 * (JSON) in, CTAP2 makeCredential / getAssertion on the band, the JSON response the relying party verifies out.
 * User verification is the band's own (authenticated on the wrist); user presence is a tap on the band.
 */
export class BandWebAuthn implements WebAuthnClient {
  constructor(
    private readonly fido2: Fido2Client,
    /** How long the user has to tap the band (default 60 000 ms). */
    private readonly ceremonyTimeoutMs = 60_000,
  ) {}

  async create(
    options: PublicKeyCredentialCreationOptionsJSON,
    origin: string,
    ceremony: CeremonyOptions = {},
  ): Promise<RegistrationResponseJSON> {
    const rk = options.authenticatorSelection?.residentKey !== 'discouraged';
    const result = await this.fido2.makeCredential(
      {
        challenge: options.challenge,
        origin,
        rp: { id: options.rp.id ?? new URL(origin).hostname, name: options.rp.name },
        user: { id: fromB64url(options.user.id), name: options.user.name, displayName: options.user.displayName },
        pubKeyCredParams: options.pubKeyCredParams.map((p) => ({ type: p.type, alg: p.alg })),
        excludeCredentials: (options.excludeCredentials ?? []).map((c) => fromB64url(c.id)),
        options: { rk, uv: options.authenticatorSelection?.userVerification !== 'discouraged' },
      },
      this.transactOptions(ceremony),
    );
    return registrationResponseJSON(result);
  }

  async get(
    options: PublicKeyCredentialRequestOptionsJSON,
    origin: string,
    ceremony: CeremonyOptions = {},
  ): Promise<AuthenticationResponseJSON> {
    const [first] = await this.fido2.getAssertion(
      {
        challenge: options.challenge,
        origin,
        rpId: options.rpId ?? new URL(origin).hostname,
        allowCredentials: (options.allowCredentials ?? []).map((c) => fromB64url(c.id)),
        options: { uv: options.userVerification !== 'discouraged' },
      },
      this.transactOptions(ceremony),
    );
    return authenticationResponseJSON(first);
  }

  private transactOptions(ceremony: CeremonyOptions) {
    return {
      signal: ceremony.signal,
      timeoutMs: this.ceremonyTimeoutMs,
      onKeepalive: (status: number) => {
        if (status === KeepaliveStatus.UPNEEDED) ceremony.onUserPresenceNeeded?.();
      },
    };
  }
}
