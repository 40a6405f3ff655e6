import { KeepaliveStatus } from '../transport/index.js';
import {
  authenticationResponseJSON,
  EnterpriseAttestation,
  registrationResponseJSON,
  type EnterpriseAttestationKind,
  type Fido2Client,
} from './fido2/index.js';
import type { CeremonyOptions, WebAuthnClient } from './re-enrollment/webauthn-client.js';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from './relying-party/index.js';
import type { UserInteraction } from './user-interaction.js';

/** How a `BandWebAuthn` runs its ceremonies. */
export interface BandWebAuthnOptions {
  /** How long the user has to tap the band (default 60 000 ms). */
  ceremonyTimeoutMs?: number;
  /** The person holding the band: told to tap it (`confirm-presence`) when the band waits for them. */
  user?: UserInteraction;
  /**
   * RP IDs this platform's enterprise policy permits enterprise attestation for (platform-managed, CTAP 2.1
   * §7.1.2). A relying party asking for `attestation: 'enterprise'` gets it asked of the band as platform-managed
   * (2) when its RP ID is listed, else as vendor-facilitated (1), which the band grants only for RP IDs its vendor
   * provisioned into it; a band whose getInfo `ep` is not true is not asked (WebAuthn §5.1.3).
   */
  enterpriseRpIds?: readonly string[];
}

const NO_RP_IDS: readonly string[] = Object.freeze([]);

const fromB64url = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));

/**
 * What a browser does between a relying party and a security key, with the band as the key: WebAuthn options
 * (JSON) in, CTAP2 makeCredential / getAssertion on the band, the JSON response the relying party verifies out.
 * User verification is the band's own (authenticated on the wrist); user presence is a tap on the band.
 */
export class BandWebAuthn implements WebAuthnClient {
  private readonly ceremonyTimeoutMs: number;
  private readonly user?: UserInteraction;
  private readonly enterpriseRpIds: readonly string[];

  constructor(
    private readonly fido2: Fido2Client,
    options: BandWebAuthnOptions = {},
  ) {
    this.ceremonyTimeoutMs = options.ceremonyTimeoutMs ?? 60_000;
    this.user = options.user;
    // A copy, so a caller's later change does not move the policy; none shared when there are none (most bands).
    this.enterpriseRpIds = options.enterpriseRpIds?.length ? [...options.enterpriseRpIds] : NO_RP_IDS;
  }

  /**
   * A WebAuthn registration: relying-party creation options in, the registration response to verify out.
   * Not an async function unless enterprise attestation is asked for: it waits as long as the person takes to tap,
   * and its frame was kept per band meanwhile (heap snapshot, test/bench/fleet.ts). Bad options still reject.
   */
  create(
    options: PublicKeyCredentialCreationOptionsJSON,
    origin: string,
    ceremony: CeremonyOptions = {},
  ): Promise<RegistrationResponseJSON> {
    try {
      const rpId = options.rp.id ?? new URL(origin).hostname;
      if (options.attestation === 'enterprise') return this.createEnterprise(options, origin, ceremony, rpId);
      return this.makeCredential(options, origin, ceremony, rpId, undefined).then(registrationResponseJSON);
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what was thrown, as an async function would
      return Promise.reject(error);
    }
  }

  private async createEnterprise(
    options: PublicKeyCredentialCreationOptionsJSON,
    origin: string,
    ceremony: CeremonyOptions,
    rpId: string,
  ): Promise<RegistrationResponseJSON> {
    const enterpriseAttestation = await this.enterpriseAttestation(rpId, ceremony);
    return registrationResponseJSON(await this.makeCredential(options, origin, ceremony, rpId, enterpriseAttestation));
  }

  private makeCredential(
    options: PublicKeyCredentialCreationOptionsJSON,
    origin: string,
    ceremony: CeremonyOptions,
    rpId: string,
    enterpriseAttestation: EnterpriseAttestationKind | undefined,
  ) {
    const rk = options.authenticatorSelection?.residentKey !== 'discouraged';
    return this.fido2.makeCredential(
      {
        challenge: options.challenge,
        origin,
        rp: { id: rpId, name: options.rp.name },
        user: { id: fromB64url(options.user.id), name: options.user.name, displayName: options.user.displayName },
        pubKeyCredParams: options.pubKeyCredParams.map((p) => ({ type: p.type, alg: p.alg })),
        excludeCredentials: (options.excludeCredentials ?? []).map((c) => fromB64url(c.id)),
        options: { rk, uv: options.authenticatorSelection?.userVerification !== 'discouraged' },
        ...(enterpriseAttestation === undefined ? {} : { enterpriseAttestation }),
      },
      this.transactOptions(ceremony, rpId),
    );
  }

  /** A WebAuthn authentication: relying-party request options in, the assertion response to verify out. */
  async get(
    options: PublicKeyCredentialRequestOptionsJSON,
    origin: string,
    ceremony: CeremonyOptions = {},
  ): Promise<AuthenticationResponseJSON> {
    const rpId = options.rpId ?? new URL(origin).hostname;
    const [first] = await this.fido2.getAssertion(
      {
        challenge: options.challenge,
        origin,
        rpId,
        allowCredentials: (options.allowCredentials ?? []).map((c) => fromB64url(c.id)),
        options: { uv: options.userVerification !== 'discouraged' },
      },
      this.transactOptions(ceremony, rpId),
    );
    return authenticationResponseJSON(first);
  }

  /** What to ask the band for when the relying party wants enterprise attestation (WebAuthn §5.1.3, CTAP 2.1 §7.1). */
  private async enterpriseAttestation(
    rpId: string,
    ceremony: CeremonyOptions,
  ): Promise<EnterpriseAttestationKind | undefined> {
    const info = await this.fido2.getInfo({ signal: ceremony.signal });
    if (info.options.ep !== true) return undefined;
    return this.enterpriseRpIds.includes(rpId)
      ? EnterpriseAttestation.PLATFORM_MANAGED
      : EnterpriseAttestation.VENDOR_FACILITATED;
  }

  private transactOptions(ceremony: CeremonyOptions, rpId: string) {
    // The band sends KEEPALIVE(UPNEEDED) every 100 ms while it waits: the person is told once per ceremony.
    let told = false;
    return {
      signal: ceremony.signal,
      timeoutMs: this.ceremonyTimeoutMs,
      onKeepalive: (status: number) => {
        if (status !== KeepaliveStatus.UPNEEDED || told) return;
        told = true;
        ceremony.onUserPresenceNeeded?.();
        void this.user?.instruct({ kind: 'confirm-presence', rpId }, ceremony.signal).catch(() => undefined);
      },
    };
  }
}
