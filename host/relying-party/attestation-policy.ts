import { X509Certificate } from 'node:crypto';
import {
  AttestationCertificateError,
  attestationCertificateFacts,
  deviceIdSubjectSerial,
  type AttestationCertificateFacts,
} from '../../proto/ctap2/attestation-certificate.js';
import { isDeviceIdHex } from '../../proto/identifiers.js';
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
  /**
   * Require enterprise attestation (CTAP 2.1 §7.1; WebAuthn attestation conveyance `enterprise`): the attestation
   * certificate must name the band by its device ID (subject serialNumber), which the credential then records as
   * `attestedDeviceId`. Needs `trustedRoots`: a device ID only means something when a trusted root vouches for it.
   * Registration options then ask for `attestation: 'enterprise'`.
   */
  enterprise?: boolean;
  /**
   * With `enterprise`: the device ID (32 lower-case hex digits) the enterprise directory registered for the band a
   * ceremony is for (`StartRegistrationOptions.bandSerial`), or undefined when it knows none. A registration whose
   * certificate names another device is refused (`DEVICE_MISMATCH`): the key was made on a different band.
   */
  deviceIdOf?: (bandSerial: string) => string | undefined | Promise<string | undefined>;
}

/** A requirement checked once, at construction: AAGUIDs normalised, roots parsed. */
export interface AttestationPolicy {
  aaguids?: Set<string>;
  roots?: X509Certificate[];
  enterprise: boolean;
  deviceIdOf?: (bandSerial: string) => string | undefined | Promise<string | undefined>;
}

/** What `checkAttestation` reads from a verified registration. */
export interface AttestedRegistration {
  fmt: string;
  /** As @simplewebauthn/server reports it: hex with dashes. */
  aaguid: string;
  /** The attestation statement's certificates, leaf first; absent for `none` and self attestation. */
  x5c: Uint8Array[] | undefined;
  /** The band the ceremony was started for. */
  bandSerial: string;
  /** The leaf (`x5c[0]`) already parsed and read, when the verifier did so: not parsed twice. */
  leaf?: X509Certificate;
  leafFacts?: AttestationCertificateFacts;
}

/** What the attestation proved beyond the signatures: with `enterprise`, the device the certificate names. */
export interface AttestationFindings {
  attestedDeviceId?: string;
}

function normalAaguid(text: string): string | undefined {
  const hex = text.replaceAll('-', '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(hex) ? hex : undefined;
}

/** Parses `WebAuthnRelyingPartyOptions.attestation`; a bad AAGUID or certificate is an INVALID_ARGUMENT. */
export function attestationPolicy(requirement: AttestationRequirement): AttestationPolicy {
  const { aaguids, trustedRoots, enterprise = false, deviceIdOf } = requirement;
  if ((aaguids === undefined || aaguids.length === 0) && (trustedRoots === undefined || trustedRoots.length === 0)) {
    throw new RelyingPartyError(
      'INVALID_ARGUMENT',
      'WebAuthnRelyingPartyOptions.attestation needs a non-empty aaguids list, trustedRoots list, or both; omit it to accept any attestation.',
    );
  }
  if (enterprise && (trustedRoots === undefined || trustedRoots.length === 0))
    throw new RelyingPartyError(
      'INVALID_ARGUMENT',
      'WebAuthnRelyingPartyOptions.attestation.enterprise needs trustedRoots: a device ID in a certificate nobody vouches for proves nothing.',
    );
  if (deviceIdOf !== undefined && !enterprise)
    throw new RelyingPartyError(
      'INVALID_ARGUMENT',
      'WebAuthnRelyingPartyOptions.attestation.deviceIdOf needs enterprise: true; only an enterprise attestation names a device.',
    );
  const policy: AttestationPolicy = { enterprise, ...(deviceIdOf === undefined ? {} : { deviceIdOf }) };
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
 * Checks a registration whose signatures have been verified (including that the leaf certificate
 * signed it and carries the authData AAGUID, WebAuthn §8.2.1) against the policy: a certificate is present, the
 * AAGUID is listed, and each certificate is issued and signed by the next, the last by a trusted root (RFC 5280
 * path validation reduced to what attestation chains use: names, signatures, CA flags, validity at `now`).
 */
export async function checkAttestation(
  policy: AttestationPolicy,
  registration: AttestedRegistration,
  userName: string,
  now: Date,
): Promise<AttestationFindings> {
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
  if (policy.roots === undefined) return {};
  let chain: X509Certificate[];
  try {
    chain = x5c.map((der, i) =>
      i === 0 && registration.leaf !== undefined ? registration.leaf : new X509Certificate(Buffer.from(der)),
    );
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
  if (!policy.enterprise) return {};
  let deviceId: Uint8Array | undefined;
  try {
    deviceId = (registration.leafFacts ?? attestationCertificateFacts(x5c[0])).deviceId;
  } catch (cause) {
    if (!(cause instanceof AttestationCertificateError)) throw cause;
  }
  if (deviceId === undefined)
    throw no(
      'NO_ENTERPRISE_ATTESTATION',
      'its attestation certificate names no device: the band gave its model attestation, not an enterprise one (enable enterprise attestation on the band, and use a platform that asks for it)',
    );
  const attestedDeviceId = deviceIdSubjectSerial(deviceId);
  const expected = await policy.deviceIdOf?.(registration.bandSerial);
  if (expected !== undefined && (!isDeviceIdHex(expected) || expected !== attestedDeviceId))
    throw no(
      'DEVICE_MISMATCH',
      `its enterprise attestation names device ${attestedDeviceId}, but band ${registration.bandSerial} is registered as ${expected}: the key was made on another band`,
    );
  return { attestedDeviceId };
}
