import { hkdfSync } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { ObjectIdentifier } from 'asn1js';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
  Certificate,
  Extension,
  Extensions,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import type { CommandContext } from './command-context.js';
import { P256Key, randomP256Scalar, type Signing } from './p256-key.js';

/**
 * The band's batch attestation identity: a P-256 key and the X.509 certificate that names it, made once, the first
 * time an attestation is asked for, from the band's random source (so a seeded band's certificate follows from its
 * seed), and kept in flash beside the device ID: it is factory data, so delete user data and authenticatorReset
 * leave it (FIDO U2F Raw Message Formats §4.3; WebAuthn §8.2.1 for the packed format's certificate requirements).
 */
export interface AttestationIdentity {
  key: P256Key;
  /** DER. */
  certificate: Uint8Array;
}

/** Where the identity lives: outside the 'fido2/' prefix that a wipe or reset deletes. */
export const ATTESTATION_STORE_KEY = 'device/attestation';

const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  countryName: '2.5.4.6',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  commonName: '2.5.4.3',
  /** id-fido-gen-ce-aaguid (WebAuthn §8.2.1): the AAGUID, as an OCTET STRING wrapped in the extension's value. */
  fidoAaguid: '1.3.6.1.4.1.45724.1.1.4',
} as const;

export interface AttestationSubject {
  aaguid: Uint8Array;
  /** The model's name, the certificate's CN. */
  model: string;
}

function name(entries: [string, string][]): Name {
  return new Name(
    entries.map(
      ([type, value]) =>
        new RelativeDistinguishedName([
          new AttributeTypeAndValue({
            type,
            value: new AttributeValue(type === OID.countryName ? { printableString: value } : { utf8String: value }),
          }),
        ]),
    ),
  );
}

/** The DN of the model's root CA, the batch certificates' issuer. */
function rootName(subject: AttestationSubject): Name {
  return name([
    [OID.countryName, 'US'],
    [OID.organizationName, 'band-stack'],
    [OID.commonName, `${subject.model} attestation root CA`],
  ]);
}

interface CertificateSpec {
  subject: Name;
  issuer: Name;
  /** Whose public key the certificate names. */
  subjectKey: P256Key;
  /** Who signs it (the subject itself for a root). */
  issuerKey: P256Key;
  extensions: Extension[];
}

/** Deterministic: a fixed validity and a serial from the key, and the issuer key's signing (RFC 6979 if seeded). */
function certificate(spec: CertificateSpec): Uint8Array {
  const publicKey = spec.subjectKey.uncompressed();
  const signature = new AlgorithmIdentifier({ algorithm: OID.ecdsaWithSha256 });
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: Uint8Array.from([0x01, ...spec.subjectKey.x.subarray(0, 8)]).buffer,
    signature,
    issuer: spec.issuer,
    validity: new Validity({ notBefore: new Date(Date.UTC(2024, 0, 1)), notAfter: new Date(Date.UTC(2049, 11, 31)) }),
    subject: spec.subject,
    subjectPublicKeyInfo: new SubjectPublicKeyInfo({
      algorithm: new AlgorithmIdentifier({
        algorithm: OID.ecPublicKey,
        parameters: new ObjectIdentifier({ value: OID.prime256v1 }).toBER(),
      }),
      subjectPublicKey: publicKey.buffer,
    }),
    extensions: new Extensions(spec.extensions),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const cert = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: signature,
    signatureValue: spec.issuerKey.sign(tbsDer).slice().buffer,
  });
  return new Uint8Array(AsnConvert.serialize(cert));
}

function basicConstraints(cA: boolean): Extension {
  return new Extension({
    extnID: id_ce_basicConstraints,
    critical: true,
    extnValue: new OctetString(AsnConvert.serialize(new BasicConstraints({ cA }))),
  });
}

/**
 * A batch attestation certificate for `key`, issued by the model's root CA, meeting WebAuthn §8.2.1 (version 3,
 * C/O/OU="Authenticator Attestation"/CN subject, basicConstraints CA false, the AAGUID extension).
 */
export function attestationCertificate(key: P256Key, subject: AttestationSubject): Uint8Array {
  const root = modelAttestationRoot(subject);
  return certificate({
    subject: name([
      [OID.countryName, 'US'],
      [OID.organizationName, 'band-stack'],
      [OID.organizationalUnitName, 'Authenticator Attestation'],
      [OID.commonName, `${subject.model} batch attestation`],
    ]),
    issuer: rootName(subject),
    subjectKey: key,
    issuerKey: root.key,
    extensions: [
      basicConstraints(false),
      new Extension({
        extnID: OID.fidoAaguid,
        critical: false,
        extnValue: new OctetString(AsnConvert.serialize(new OctetString(subject.aaguid))),
      }),
    ],
  });
}

/** The model's root CA: the certificate a relying party trusts for every band of the model. */
export interface AttestationRoot {
  key: P256Key;
  /** DER, self-signed, CA true. */
  certificate: Uint8Array;
}

/**
 * The emulated model's root CA. A manufacturer keeps its root key offline; an emulator has no factory, so the key
 * follows from the model (name and AAGUID) through HKDF: every band of one emulated model, whatever its seed, has
 * batch certificates under the same root, and a host can have it without a band (`bandsim --attestation-root-out`).
 * The key is public knowledge here: it makes attestation checkable, not secret.
 */
export function modelAttestationRoot(subject: AttestationSubject): AttestationRoot {
  const cacheKey = `${subject.model}\u0000${Buffer.from(subject.aaguid).toString('hex')}`;
  const cached = roots.get(cacheKey);
  if (cached !== undefined) return cached;
  // Enough output for randomP256Scalar's rejection sampling to never run dry in practice (2^-256 per extra draw).
  const stream = new Uint8Array(
    hkdfSync(
      'sha256',
      Buffer.concat([subject.aaguid, Buffer.from(subject.model)]),
      'band-stack',
      'attestation root',
      256,
    ),
  );
  let at = 0;
  const key = P256Key.fromScalar(
    randomP256Scalar((n) => stream.slice(at, (at += n))),
    'rfc6979',
  );
  const dn = rootName(subject);
  const keyUsage = new Extension({
    extnID: id_ce_keyUsage,
    critical: true,
    extnValue: new OctetString(AsnConvert.serialize(new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign))),
  });
  const root = {
    key,
    certificate: certificate({
      subject: dn,
      issuer: dn,
      subjectKey: key,
      issuerKey: key,
      extensions: [basicConstraints(true), keyUsage],
    }),
  };
  roots.set(cacheKey, root);
  return root;
}

const roots = new Map<string, AttestationRoot>();

/** The model name an attestation certificate carries. */
export const ATTESTATION_MODEL = 'bandsim';

/**
 * The band's attestation identity, made at first use (and then `put` must be committed with the command's other
 * writes), or read back from flash.
 */
export function attestationIdentity(c: CommandContext): {
  identity: AttestationIdentity;
  put: Record<string, Uint8Array>;
} {
  const signing = c.credentials.signing();
  const stored = c.store.get(ATTESTATION_STORE_KEY);
  if (stored !== undefined) return { identity: decodeAttestationIdentity(stored, signing), put: {} };
  const identity = newAttestationIdentity((n) => c.env.random(n), signing, {
    aaguid: c.config.aaguid,
    model: ATTESTATION_MODEL,
  });
  return { identity, put: { [ATTESTATION_STORE_KEY]: encodeAttestationIdentity(identity) } };
}

/** Stored form: the 32-byte scalar, then the DER certificate. */
export function encodeAttestationIdentity(identity: AttestationIdentity): Uint8Array {
  const scalar = identity.key.scalar();
  const out = new Uint8Array(32 + identity.certificate.length);
  out.set(scalar, 0);
  out.set(identity.certificate, 32);
  return out;
}

export function decodeAttestationIdentity(stored: Uint8Array, signing: Signing): AttestationIdentity {
  if (stored.length <= 32)
    throw new Error(`${ATTESTATION_STORE_KEY} holds ${stored.length} bytes; the band's factory data is corrupt`);
  return { key: P256Key.fromScalar(stored.subarray(0, 32), signing), certificate: stored.slice(32) };
}

/** A new identity drawn from the band's random source. */
export function newAttestationIdentity(
  random: (n: number) => Uint8Array,
  signing: Signing,
  subject: AttestationSubject,
): AttestationIdentity {
  const key = P256Key.fromScalar(randomP256Scalar(random), signing);
  return { key, certificate: attestationCertificate(key, subject) };
}
