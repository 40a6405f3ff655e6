import { X509Certificate } from 'node:crypto';
import { RelyingPartyError, type AttestationRefusal } from './errors.js';

/**
 * What a registration's attestation must prove before the relying party keeps the credential, as enterprise
 * identity providers require: an attestation certificate (WebAuthn §6.5.3 Basic/AttCA, not `none` or self), from an
 * authenticator model on the AAGUID list, whose certificate chain ends at one of the trusted roots. Give either list
 * or both. Without `trustedRoots` the AAGUID is only the authenticator's claim (signed by a certificate nobody
 * vouched for); with them it is the root owner's.
 */
export interface AttestationRequirement {
  /** Accepted authenticator models, e.g. `bbaf4d27-b2d0-d736-9e34-164abb7a9d65` (dashes optional, any case). */
  aaguids?: string[];
  /** Root CA certificates (DER bytes or PEM text) one of which the attestation chain (`x5c`) must end at. */
  trustedRoots?: (Uint8Array | string)[];
}

/** A requirement checked once, at construction: AAGUIDs normalised, roots parsed. */
export interface AttestationPolicy {
  aaguids?: Set<string>;
  roots?: X509Certificate[];
}

/** What `checkAttestation` reads from a verified registration. */
export interface AttestedRegistration {
  fmt: string;
  /** As @simplewebauthn/server reports it: hex with dashes. */
  aaguid: string;
  /** The attestation statement's certificates, leaf first; absent for `none` and self attestation. */
  x5c: Uint8Array[] | undefined;
}

function normalAaguid(text: string): string | undefined {
  const hex = text.replaceAll('-', '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(hex) ? hex : undefined;
}

/** Parses `WebAuthnRelyingPartyOptions.attestation`; a bad AAGUID or certificate is an INVALID_ARGUMENT. */
export function attestationPolicy(requirement: AttestationRequirement): AttestationPolicy {
  const { aaguids, trustedRoots } = requirement;
  if ((aaguids === undefined || aaguids.length === 0) && (trustedRoots === undefined || trustedRoots.length === 0)) {
    throw new RelyingPartyError(
      'INVALID_ARGUMENT',
      'WebAuthnRelyingPartyOptions.attestation needs a non-empty aaguids list, trustedRoots list, or both; omit it to accept any attestation.',
    );
  }
  const policy: AttestationPolicy = {};
  if (aaguids !== undefined && aaguids.length > 0) {
    policy.aaguids = new Set(
      aaguids.map((a) => {
        const normal = typeof a === 'string' ? normalAaguid(a) : undefined;
        if (normal === undefined)
          throw new RelyingPartyError(
            'INVALID_ARGUMENT',
            `attestation.aaguids holds ${JSON.stringify(a)}; expected 32 hex digits (dashes allowed), e.g. bbaf4d27-b2d0-d736-9e34-164abb7a9d65.`,
          );
        return normal;
      }),
    );
  }
  if (trustedRoots !== undefined && trustedRoots.length > 0) {
    policy.roots = trustedRoots.map((root, index) => {
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(typeof root === 'string' ? root : Buffer.from(root));
      } catch (cause) {
        throw new RelyingPartyError(
          'INVALID_ARGUMENT',
          `attestation.trustedRoots[${index}] is not an X.509 certificate (${(cause as Error).message}); pass DER bytes or PEM text, e.g. the file 'bandsim --attestation-root-out FILE' writes.`,
          { cause },
        );
      }
      if (!cert.ca)
        throw new RelyingPartyError(
          'INVALID_ARGUMENT',
          `attestation.trustedRoots[${index}] (${cert.subject.replaceAll('\n', ', ')}) is not a CA certificate; pass the model's root CA, not an attestation certificate.`,
        );
      return cert;
    });
  }
  return policy;
}

function refuse(reason: AttestationRefusal, userName: string, why: string): RelyingPartyError {
  return new RelyingPartyError(
    'ATTESTATION_REFUSED',
    `The registration for ${userName} was refused: ${why}. This relying party only accepts authenticators its attestation policy lists; register an authenticator of an accepted model, or change WebAuthnRelyingPartyOptions.attestation.`,
    { attestationRefusal: reason },
  );
}

const within = (cert: X509Certificate, now: Date) =>
  new Date(cert.validFrom).getTime() <= now.getTime() && now.getTime() <= new Date(cert.validTo).getTime();

/**
 * Checks a registration whose signatures @simplewebauthn/server has verified (including that the leaf certificate
 * signed it and carries the authData AAGUID, WebAuthn §8.2.1) against the policy: a certificate is present, the
 * AAGUID is listed, and each certificate is issued and signed by the next, the last by a trusted root (RFC 5280
 * path validation reduced to what attestation chains use: names, signatures, CA flags, validity at `now`).
 */
export function checkAttestation(
  policy: AttestationPolicy,
  registration: AttestedRegistration,
  userName: string,
  now: Date,
): void {
  const no = (reason: AttestationRefusal, why: string) => refuse(reason, userName, why);
  const { x5c } = registration;
  if (x5c === undefined || x5c.length === 0)
    throw no(
      'NO_ATTESTATION',
      `its attestation (format ${registration.fmt}) has no certificate: the authenticator sent none or self attestation`,
    );
  const aaguid = normalAaguid(registration.aaguid) ?? registration.aaguid;
  if (policy.aaguids !== undefined && !policy.aaguids.has(aaguid))
    throw no('AAGUID_NOT_ALLOWED', `the authenticator model ${registration.aaguid} (AAGUID) is not on the list`);
  if (policy.roots === undefined) return;
  let chain: X509Certificate[];
  try {
    chain = x5c.map((der) => new X509Certificate(Buffer.from(der)));
  } catch (cause) {
    throw no('UNTRUSTED_CHAIN', `its attestation chain holds something that is not a certificate (${String(cause)})`);
  }
  for (let i = 0; i < chain.length; i++) {
    const cert = chain[i];
    if (!within(cert, now))
      throw no(
        'UNTRUSTED_CHAIN',
        `certificate ${cert.subject.replaceAll('\n', ', ')} is not valid at ${now.toISOString()}`,
      );
    const issuer = chain[i + 1];
    if (issuer !== undefined && !(issuer.ca && cert.checkIssued(issuer) && cert.verify(issuer.publicKey)))
      throw no('UNTRUSTED_CHAIN', `certificate ${i} of its attestation chain is not issued by certificate ${i + 1}`);
  }
  const last = chain[chain.length - 1];
  const trusted = policy.roots.some(
    (root) =>
      within(root, now) && (last.raw.equals(root.raw) || (last.checkIssued(root) && last.verify(root.publicKey))),
  );
  if (!trusted)
    throw no(
      'UNTRUSTED_CHAIN',
      `its attestation certificate (issuer ${last.issuer.replaceAll('\n', ', ')}) does not chain to a trusted root`,
    );
}
