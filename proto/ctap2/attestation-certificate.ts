import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { BasicConstraints, Certificate, id_ce_basicConstraints, Version } from '@peculiar/asn1-x509';
import { isDeviceIdHex } from '../identifiers.js';

/**
 * The rules a packed attestation certificate follows (WebAuthn §8.2.1) and how an enterprise attestation certificate
 * names its band (CTAP 2.1 §7.1): written once here, built by the band, checked by the relying party and the
 * conformance suite.
 */
export const AttestationOid = {
  countryName: '2.5.4.6',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  commonName: '2.5.4.3',
  /** X.520 serialNumber: in an enterprise attestation certificate's subject, the band's device ID in hex. */
  serialNumber: '2.5.4.5',
  /** id-fido-gen-ce-aaguid (WebAuthn §8.2.1): the AAGUID, an OCTET STRING inside the extension's value. */
  fidoGenCeAaguid: '1.3.6.1.4.1.45724.1.1.4',
} as const;

/** WebAuthn §8.2.1: the subject's OU of a packed attestation certificate, literally. */
export const ATTESTATION_CERTIFICATE_OU = 'Authenticator Attestation';

/**
 * An enterprise certificate's subject serialNumber: the 16-byte device ID written the way the directory stores it
 * (lower-case hex, `DEVICE_ID_HEX_PATTERN`), so a relying party compares it with the directory's as text.
 */
export function deviceIdSubjectSerial(deviceId: Uint8Array): string {
  return Buffer.from(deviceId).toString('hex');
}

/** What a relying party or a conformance check reads from a packed attestation certificate. */
export interface AttestationCertificateFacts {
  /** X.509 version as written (2 means v3). */
  version: number;
  /** Every OU of the subject. */
  organizationalUnits: string[];
  /** basicConstraints cA; false when the extension is absent (RFC 5280 §4.2.1.9). */
  ca: boolean;
  /** The id-fido-gen-ce-aaguid extension's AAGUID; undefined when absent or malformed. */
  aaguid?: Uint8Array;
  /** Whether that extension is marked critical (WebAuthn §8.2.1: it must not be). */
  aaguidCritical: boolean;
  /** The subject's C, O and CN values (WebAuthn §8.2.1 requires each). */
  country: string[];
  organization: string[];
  commonName: string[];
  /** The device ID named by the subject's serialNumber (enterprise attestation); undefined when absent or not one. */
  deviceId?: Uint8Array;
}

/** Thrown for bytes that are not a DER X.509 certificate. */
export class AttestationCertificateError extends Error {
  override readonly name = 'AttestationCertificateError';
}

/** Reads the attestation-relevant facts of a DER certificate; it verifies nothing (signatures are the reader's). */
export function attestationCertificateFacts(der: Uint8Array): AttestationCertificateFacts {
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(der, Certificate);
  } catch (cause) {
    throw new AttestationCertificateError(`not a DER X.509 certificate (${(cause as Error).message})`, { cause });
  }
  const tbs = cert.tbsCertificate;
  const subject = tbs.subject.flatMap((rdn) => [...rdn]);
  const text = (oid: string) => subject.filter((a) => a.type === oid).map((a) => a.value.toString());
  let ca = false;
  let aaguid: Uint8Array | undefined;
  let aaguidCritical = false;
  for (const extension of tbs.extensions ?? []) {
    const value = extension.extnValue.buffer;
    try {
      if (extension.extnID === id_ce_basicConstraints) ca = AsnConvert.parse(value, BasicConstraints).cA;
      if (extension.extnID === AttestationOid.fidoGenCeAaguid) {
        aaguidCritical = extension.critical;
        aaguid = new Uint8Array(AsnConvert.parse(value, OctetString).buffer);
      }
    } catch {
      // A malformed extension reads as absent: the checks then fail on it.
    }
  }
  const [serial] = text(AttestationOid.serialNumber);
  const deviceId = isDeviceIdHex(serial) ? new Uint8Array(Buffer.from(serial, 'hex')) : undefined;
  return {
    version: tbs.version ?? Version.v1,
    organizationalUnits: text(AttestationOid.organizationalUnitName),
    country: text(AttestationOid.countryName),
    organization: text(AttestationOid.organizationName),
    commonName: text(AttestationOid.commonName),
    ca,
    aaguidCritical,
    ...(aaguid === undefined ? {} : { aaguid }),
    ...(deviceId === undefined ? {} : { deviceId }),
  };
}
