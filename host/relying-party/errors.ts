/** Every relying-party failure carries a stable `code`; the message says what was expected and what to do. */
export type RelyingPartyErrorCode =
  | 'VERIFICATION_FAILED'
  | 'UNKNOWN_CREDENTIAL'
  | 'RETIRED_CREDENTIAL'
  | 'COUNTER_REGRESSION'
  | 'DUPLICATE_CREDENTIAL'
  | 'NO_CREDENTIALS'
  | 'NO_PENDING_CEREMONY'
  | 'CEREMONY_EXPIRED'
  /** The registration's attestation does not meet `WebAuthnRelyingPartyOptions.attestation`; see `attestationRefusal`. */
  | 'ATTESTATION_REFUSED'
  | 'INVALID_ARGUMENT'
  | 'CORRUPT'
  | 'IO'
  /** Another process held the state file's lock for too long, or this process lost its lock; nothing was stored. */
  | 'LOCKED'
  /** `@simplewebauthn/server` (an optional peer dependency) is not installed. */
  | 'MISSING_DEPENDENCY';

/**
 * Why a registration's attestation was refused (code `ATTESTATION_REFUSED`): it carried no attestation certificate
 * (`none`, or packed self attestation), its AAGUID is not on the allow-list, its certificate chain does not end at
 * a trusted root (or is malformed or out of its validity period), enterprise attestation was required and the
 * certificate names no device (`NO_ENTERPRISE_ATTESTATION`), or it names another device than the band the ceremony
 * was started for (`DEVICE_MISMATCH`).
 */
export type AttestationRefusal =
  'NO_ATTESTATION' | 'AAGUID_NOT_ALLOWED' | 'UNTRUSTED_CHAIN' | 'NO_ENTERPRISE_ATTESTATION' | 'DEVICE_MISMATCH';

/** A relying party rejected a ceremony or could not store it; `code` says which. */
export class RelyingPartyError extends Error {
  override readonly name = 'RelyingPartyError';
  /** Set when `code` is `ATTESTATION_REFUSED`: which requirement the attestation failed. */
  readonly attestationRefusal?: AttestationRefusal;
  constructor(
    readonly code: RelyingPartyErrorCode,
    message: string,
    options?: { cause?: unknown; attestationRefusal?: AttestationRefusal },
  ) {
    super(message, options);
    if (options?.attestationRefusal !== undefined) this.attestationRefusal = options.attestationRefusal;
  }
}
