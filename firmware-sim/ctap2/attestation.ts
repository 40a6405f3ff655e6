import { hkdfSync } from 'node:crypto';
import {
  ATTESTATION_CERTIFICATE_OU,
  AttestationOid,
  deviceIdSubjectSerial,
} from '../../proto/ctap2/attestation-certificate.js';
import {
  derBitString,
  derBoolean,
  derExplicit,
  derInteger,
  derNamedBits,
  derOctetString,
  derOid,
  derPrintableString,
  derSequence,
  derSetOf,
  derTime,
  derUtf8String,
} from '../../proto/ctap2/der-writer.js';
import type { CommandContext } from './command-context.js';
import { concat } from './bytes.js';
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
  keyUsage: '2.5.29.15',
  ...AttestationOid,
} as const;

export interface AttestationSubject {
  aaguid: Uint8Array;
  /** The model's name, the certificate's CN. */
  model: string;
}

/** A distinguished name (RFC 5280 §4.1.2.4): one attribute per RDN, in the order given. */
function name(entries: [string, string][]): Uint8Array {
  return derSequence(
    ...entries.map(([type, value]) =>
      derSetOf(
        derSequence(
          derOid(type),
          // X.520: countryName and serialNumber are PrintableString.
          type === OID.countryName || type === OID.serialNumber ? derPrintableString(value) : derUtf8String(value),
        ),
      ),
    ),
  );
}

/** The DN of the model's root CA, the batch certificates' issuer. */
function rootName(subject: AttestationSubject): Uint8Array {
  return name([
    [OID.countryName, 'US'],
    [OID.organizationName, 'band-stack'],
    [OID.commonName, `${subject.model} attestation root CA`],
  ]);
}

/** What a certificate here says; the names and extensions in DER. */
export interface CertificateSpec {
  subject: Uint8Array;
  issuer: Uint8Array;
  /** The subject's public key, SEC 1 uncompressed (65 bytes). */
  subjectPublicKey: Uint8Array<ArrayBuffer>;
  /** Each an Extension (RFC 5280 §4.1: extnID, critical only when true, extnValue). */
  extensions: Uint8Array[];
}

/**
 * TBSCertificate (RFC 5280 §4.1.2), deterministic: version 3, a fixed validity and a serial from the key (0x01 ‖ the
 * first 8 bytes of x), an ecdsa-with-SHA256 signature and a P-256 key (RFC 5480 §2).
 */
export function tbsCertificate(spec: CertificateSpec): Uint8Array {
  return derSequence(
    derExplicit(0, derInteger(2)),
    derInteger(serialFor(spec.subjectPublicKey)),
    ECDSA_WITH_SHA256_DER,
    spec.issuer,
    derSequence(derTime(new Date(Date.UTC(2024, 0, 1))), derTime(new Date(Date.UTC(2049, 11, 31)))),
    spec.subject,
    derSequence(derSequence(derOid(OID.ecPublicKey), derOid(OID.prime256v1)), derBitString(spec.subjectPublicKey)),
    derExplicit(3, derSequence(...spec.extensions)),
  );
}

/** The certificate's serial number: positive (leading 0x01), fixed length, distinct per key. */
function serialFor(uncompressed: Uint8Array): Uint8Array<ArrayBuffer> {
  return Uint8Array.from([0x01, ...uncompressed.subarray(1, 9)]);
}

/** signatureAlgorithm of every certificate here: ecdsa-with-SHA256 (RFC 5758 §3.2). */
const ECDSA_WITH_SHA256_DER = derSequence(derOid(OID.ecdsaWithSha256));

/**
 * Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING } (RFC 5280 §4.1),
 * around a TBSCertificate already in DER, signed by the issuer's key (RFC 6979 if the issuer key is).
 */
function signedCertificate(tbsDer: Uint8Array, issuerKey: P256Key): Uint8Array {
  // The BIT STRING holds the DER ECDSA-Sig-Value.
  return derSequence(tbsDer, ECDSA_WITH_SHA256_DER, derBitString(issuerKey.sign(tbsDer)));
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } (RFC 5280 §4.1). */
function extension(extnID: string, critical: boolean, value: Uint8Array): Uint8Array {
  // DER leaves a DEFAULT value out (X.690 §11.5).
  return critical
    ? derSequence(derOid(extnID), derBoolean(true), derOctetString(value))
    : derSequence(derOid(extnID), derOctetString(value));
}

/** basicConstraints (RFC 5280 §4.2.1.9), critical; cA FALSE is the DEFAULT, so an empty SEQUENCE. */
function basicConstraints(cA: boolean): Uint8Array {
  return extension(OID.basicConstraints, true, cA ? derSequence(derBoolean(true)) : derSequence());
}

/**
 * A batch attestation certificate for `key`, issued by the model's root CA, meeting WebAuthn §8.2.1 (version 3,
 * C/O/OU="Authenticator Attestation"/CN subject, basicConstraints CA false, the AAGUID extension). The root signs
 * as the band does (`signing`): RFC 6979 on a seeded band, so its certificate follows from its seed.
 */
export function attestationCertificate(key: P256Key, subject: AttestationSubject, signing: Signing): Uint8Array {
  const root = modelAttestationRoot(subject);
  return signedCertificate(batchTemplate(subject, root).fill(key.uncompressed()), rootSigner(root, signing));
}

/**
 * The batch certificate's TBSCertificate for one model, made once: every band's differs only in its public key
 * and the serial taken from it, two fixed-size fields, so a band's is this DER with those bytes replaced rather
 * than a new ASN.1 serialization (about ten times a node:crypto signature, paid once per band of a fleet).
 */
interface BatchTemplate {
  fill(uncompressed: Uint8Array<ArrayBuffer>): Uint8Array;
}

function batchTemplate(subject: AttestationSubject, root: AttestationRoot): BatchTemplate {
  const cached = templates.get(root);
  if (cached !== undefined) return cached;
  // A placeholder key no real point equals, so both fields are found by their bytes, exactly once each.
  const placeholder = new Uint8Array(65).fill(0xa5);
  placeholder[0] = 0x04;
  const der = tbsCertificate({
    subject: name([
      [OID.countryName, 'US'],
      [OID.organizationName, 'band-stack'],
      [OID.organizationalUnitName, ATTESTATION_CERTIFICATE_OU],
      [OID.commonName, `${subject.model} batch attestation`],
    ]),
    issuer: rootName(subject),
    subjectPublicKey: placeholder,
    extensions: leafExtensions(subject),
  });
  // The INTEGER's TLV and the BIT STRING's content (0 unused bits, then the point).
  const serialAt = uniqueOffset(der, concat(Uint8Array.of(0x02, 9), serialFor(placeholder))) + 2;
  const keyAt = uniqueOffset(der, concat(Uint8Array.of(0), placeholder)) + 1;
  const template: BatchTemplate = {
    fill: (uncompressed) => {
      if (uncompressed.length !== 65 || uncompressed[0] !== 0x04)
        throw new Error('a batch certificate names an uncompressed P-256 point (65 bytes, 0x04 first)');
      const out = new Uint8Array(der);
      out.set(serialFor(uncompressed), serialAt);
      out.set(uncompressed, keyAt);
      return out;
    },
  };
  templates.set(root, template);
  return template;
}

const templates = new WeakMap<AttestationRoot, BatchTemplate>();

/** WebAuthn §8.2.1: basicConstraints CA false, and the AAGUID (id-fido-gen-ce-aaguid, not critical). */
function leafExtensions(subject: AttestationSubject): Uint8Array[] {
  return [basicConstraints(false), extension(OID.fidoGenCeAaguid, false, derOctetString(subject.aaguid))];
}

/**
 * An enterprise attestation certificate (CTAP 2.1 §7.1): the batch certificate's rules, and a subject that names
 * this one band: serialNumber = its 16-byte device ID as the directory writes it (`deviceIdSubjectSerial`), so an
 * enterprise relying party learns which band registered. Made once per band, so no template.
 */
export function enterpriseAttestationCertificate(
  key: P256Key,
  subject: AttestationSubject,
  deviceId: Uint8Array,
  signing: Signing,
): Uint8Array {
  const root = modelAttestationRoot(subject);
  const tbs = tbsCertificate({
    subject: name([
      [OID.countryName, 'US'],
      [OID.organizationName, 'band-stack'],
      [OID.organizationalUnitName, ATTESTATION_CERTIFICATE_OU],
      [OID.commonName, `${subject.model} enterprise attestation`],
      [OID.serialNumber, deviceIdSubjectSerial(deviceId)],
    ]),
    issuer: rootName(subject),
    subjectPublicKey: key.uncompressed(),
    extensions: leafExtensions(subject),
  });
  return signedCertificate(tbs, rootSigner(root, signing));
}

function uniqueOffset(haystack: Uint8Array, needle: Uint8Array): number {
  const bytes = Buffer.from(haystack.buffer, haystack.byteOffset, haystack.length);
  const at = bytes.indexOf(needle);
  if (at < 0 || bytes.indexOf(needle, at + 1) >= 0)
    throw new Error('the batch certificate template does not hold its placeholder exactly once');
  return at;
}

/** The root's key signing as `signing` says (it is made RFC 6979): one node:crypto key for unseeded bands. */
function rootSigner(root: AttestationRoot, signing: Signing): P256Key {
  if (signing === 'rfc6979') return root.key;
  let signer = systemSigners.get(root);
  if (signer === undefined) systemSigners.set(root, (signer = P256Key.fromScalar(root.key.scalar(), signing)));
  return signer;
}

const systemSigners = new WeakMap<AttestationRoot, P256Key>();

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
  // keyUsage keyCertSign (5) and cRLSign (6), critical (RFC 5280 §4.2.1.3).
  const keyUsage = extension(OID.keyUsage, true, derNamedBits([5, 6]));
  const root = {
    key,
    certificate: signedCertificate(
      tbsCertificate({
        subject: dn,
        issuer: dn,
        subjectPublicKey: key.uncompressed(),
        extensions: [basicConstraints(true), keyUsage],
      }),
      key,
    ),
  };
  roots.set(cacheKey, root);
  return root;
}

const roots = new Map<string, AttestationRoot>();

/** The model name an attestation certificate carries. */
export const ATTESTATION_MODEL = 'bandsim';

/**
 * The band's batch attestation identity, made at first use (and then `put` must be committed with the command's
 * other writes), or read back from flash.
 */
export function attestationIdentity(c: CommandContext): IdentityRead {
  return storedIdentity(c, ATTESTATION_STORE_KEY, (random, signing, subject) =>
    newAttestationIdentity(random, signing, subject),
  );
}

/**
 * Where the enterprise attestation identity lives: factory data beside the batch one, so a reset (which disables
 * enterprise attestation, §6.6) does not change which certificate names the band.
 */
export const ENTERPRISE_ATTESTATION_STORE_KEY = 'device/enterprise-attestation';

/**
 * The band's enterprise attestation identity (CTAP 2.1 §7.1): its own key, and a certificate naming `deviceId`.
 * Made at first use like the batch identity.
 */
export function enterpriseAttestationIdentity(c: CommandContext, deviceId: Uint8Array): IdentityRead {
  return storedIdentity(c, ENTERPRISE_ATTESTATION_STORE_KEY, (random, signing, subject) => {
    const key = P256Key.fromScalar(randomP256Scalar(random), signing);
    return { key, certificate: enterpriseAttestationCertificate(key, subject, deviceId, signing) };
  });
}

type IdentityRead = { identity: AttestationIdentity; put: Record<string, Uint8Array> };

function storedIdentity(
  c: CommandContext,
  storeKey: string,
  make: (random: (n: number) => Uint8Array, signing: Signing, subject: AttestationSubject) => AttestationIdentity,
): IdentityRead {
  const signing = c.credentials.signing();
  const stored = c.store.get(storeKey);
  if (stored !== undefined) return { identity: decodeAttestationIdentity(stored, signing, storeKey), put: {} };
  const identity = make((n) => c.env.random(n), signing, { aaguid: c.config.aaguid, model: ATTESTATION_MODEL });
  return { identity, put: { [storeKey]: encodeAttestationIdentity(identity) } };
}

/** Stored form: the 32-byte scalar, then the DER certificate. */
export function encodeAttestationIdentity(identity: AttestationIdentity): Uint8Array {
  const scalar = identity.key.scalar();
  const out = new Uint8Array(32 + identity.certificate.length);
  out.set(scalar, 0);
  out.set(identity.certificate, 32);
  return out;
}

export function decodeAttestationIdentity(
  stored: Uint8Array,
  signing: Signing,
  storeKey = ATTESTATION_STORE_KEY,
): AttestationIdentity {
  if (stored.length <= 32)
    throw new Error(`${storeKey} holds ${stored.length} bytes; the band's factory data is corrupt`);
  return { key: P256Key.fromScalar(stored.subarray(0, 32), signing), certificate: stored.slice(32) };
}

/** A new identity drawn from the band's random source. */
export function newAttestationIdentity(
  random: (n: number) => Uint8Array,
  signing: Signing,
  subject: AttestationSubject,
): AttestationIdentity {
  const key = P256Key.fromScalar(randomP256Scalar(random), signing);
  return { key, certificate: attestationCertificate(key, subject, signing) };
}
