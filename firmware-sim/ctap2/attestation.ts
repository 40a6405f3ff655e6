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
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
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

/**
 * A self-signed attestation certificate for `key` meeting WebAuthn §8.2.1 (version 3, C/O/OU="Authenticator
 * Attestation"/CN subject, basicConstraints CA false, the AAGUID extension). Deterministic: a fixed validity and
 * serial from the key, and the key's own signing (RFC 6979 on a seeded band).
 */
export function attestationCertificate(key: P256Key, subject: AttestationSubject): Uint8Array {
  const dn = name([
    [OID.countryName, 'US'],
    [OID.organizationName, 'band-stack'],
    [OID.organizationalUnitName, 'Authenticator Attestation'],
    [OID.commonName, `${subject.model} batch attestation`],
  ]);
  const publicKey = new Uint8Array(65);
  publicKey[0] = 0x04;
  publicKey.set(key.x, 1);
  publicKey.set(key.y, 33);
  const signature = new AlgorithmIdentifier({ algorithm: OID.ecdsaWithSha256 });
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: Uint8Array.from([0x01, ...key.x.subarray(0, 8)]).buffer,
    signature,
    issuer: dn,
    validity: new Validity({ notBefore: new Date(Date.UTC(2024, 0, 1)), notAfter: new Date(Date.UTC(2049, 11, 31)) }),
    subject: dn,
    subjectPublicKeyInfo: new SubjectPublicKeyInfo({
      algorithm: new AlgorithmIdentifier({
        algorithm: OID.ecPublicKey,
        parameters: new ObjectIdentifier({ value: OID.prime256v1 }).toBER(),
      }),
      subjectPublicKey: publicKey.buffer,
    }),
    extensions: new Extensions([
      new Extension({
        extnID: id_ce_basicConstraints,
        critical: true,
        extnValue: new OctetString(AsnConvert.serialize(new BasicConstraints({ cA: false }))),
      }),
      new Extension({
        extnID: OID.fidoAaguid,
        critical: false,
        extnValue: new OctetString(AsnConvert.serialize(new OctetString(subject.aaguid))),
      }),
    ]),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const certificate = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: signature,
    signatureValue: key.sign(tbsDer).slice().buffer,
  });
  return new Uint8Array(AsnConvert.serialize(certificate));
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
