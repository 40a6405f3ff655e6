import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn1 from 'asn1js';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  BasicConstraints,
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
import { ATTESTATION_CERTIFICATE_OU, AttestationOid } from '../../proto/ctap2/attestation-certificate.js';

/**
 * The oracle for the band's DER-written certificates: the same certificates built with the ASN.1 schema libraries
 * (@peculiar/asn1-x509, asn1js), as firmware-sim built them before it wrote DER itself. Unsigned parts only; the
 * test signs with the same key.
 */
const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ...AttestationOid,
} as const;

export function oracleName(entries: [string, string][]): Name {
  return new Name(
    entries.map(
      ([type, value]) =>
        new RelativeDistinguishedName([
          new AttributeTypeAndValue({
            type,
            value: new AttributeValue(
              type === OID.countryName || type === OID.serialNumber
                ? { printableString: value }
                : { utf8String: value },
            ),
          }),
        ]),
    ),
  );
}

export const oracleRootName = (model: string) =>
  oracleName([
    [OID.countryName, 'US'],
    [OID.organizationName, 'band-stack'],
    [OID.commonName, `${model} attestation root CA`],
  ]);

export const oracleLeafName = (model: string, kind: 'batch' | 'enterprise', serialNumber?: string) =>
  oracleName([
    [OID.countryName, 'US'],
    [OID.organizationName, 'band-stack'],
    [OID.organizationalUnitName, ATTESTATION_CERTIFICATE_OU],
    [OID.commonName, `${model} ${kind} attestation`],
    ...(serialNumber === undefined ? [] : [[OID.serialNumber, serialNumber] as [string, string]]),
  ]);

export function oracleBasicConstraints(cA: boolean): Extension {
  return new Extension({
    extnID: id_ce_basicConstraints,
    critical: true,
    extnValue: new OctetString(AsnConvert.serialize(new BasicConstraints({ cA }))),
  });
}

export function oracleLeafExtensions(aaguid: Uint8Array): Extension[] {
  return [
    oracleBasicConstraints(false),
    new Extension({
      extnID: OID.fidoGenCeAaguid,
      critical: false,
      extnValue: new OctetString(AsnConvert.serialize(new OctetString(aaguid))),
    }),
  ];
}

export function oracleRootExtensions(): Extension[] {
  return [
    oracleBasicConstraints(true),
    new Extension({
      extnID: id_ce_keyUsage,
      critical: true,
      extnValue: new OctetString(AsnConvert.serialize(new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign))),
    }),
  ];
}

export function oracleTbsCertificate(spec: {
  subject: Name;
  issuer: Name;
  subjectPublicKey: Uint8Array;
  extensions: Extension[];
}): Uint8Array {
  const key = Uint8Array.from(spec.subjectPublicKey);
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: Uint8Array.from([0x01, ...key.subarray(1, 9)]).buffer,
    signature: new AlgorithmIdentifier({ algorithm: OID.ecdsaWithSha256 }),
    issuer: spec.issuer,
    validity: new Validity({ notBefore: new Date(Date.UTC(2024, 0, 1)), notAfter: new Date(Date.UTC(2049, 11, 31)) }),
    subject: spec.subject,
    subjectPublicKeyInfo: new SubjectPublicKeyInfo({
      algorithm: new AlgorithmIdentifier({
        algorithm: OID.ecPublicKey,
        parameters: new asn1.ObjectIdentifier({ value: OID.prime256v1 }).toBER(),
      }),
      subjectPublicKey: key.buffer,
    }),
    extensions: new Extensions(spec.extensions),
  });
  return new Uint8Array(AsnConvert.serialize(tbs));
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue } with the given signature. */
export function oracleCertificate(tbs: Uint8Array, signature: Uint8Array): Uint8Array {
  const algorithm = AsnConvert.serialize(new AlgorithmIdentifier({ algorithm: OID.ecdsaWithSha256 }));
  const { BitString, Sequence, fromBER } = asn1;
  const certificate = new Sequence({
    value: [
      fromBER(tbs).result,
      fromBER(algorithm).result,
      new BitString({ valueHex: signature.slice().buffer, unusedBits: 0 }),
    ],
  });
  return new Uint8Array(certificate.toBER());
}
