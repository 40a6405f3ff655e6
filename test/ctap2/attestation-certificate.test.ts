import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { BasicConstraints, Certificate, id_ce_basicConstraints } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { BAND_AAGUID } from '../../firmware-sim/fido2.js';
import { ATTESTATION_MODEL, modelAttestationRoot } from '../../firmware-sim/ctap2/index.js';
import {
  AttestationCertificateError,
  AttestationOid,
  attestationCertificateFacts,
} from '../../proto/ctap2/attestation-certificate.js';
import { ATTESTATION_SUBJECT, CA_NAME, certificate, newKeyPair } from '../directory/registration-forge.js';
import { makeRig } from './rig.js';

/**
 * attestationCertificateFacts reads certificates with a DER walker; an ASN.1 schema parse (@peculiar/asn1-x509,
 * what it used before and what @simplewebauthn/server reads them with) is the reference it must agree with.
 */
function reference(der: Uint8Array) {
  const tbs = AsnConvert.parse(der, Certificate).tbsCertificate;
  const subject = tbs.subject.flatMap((rdn) => [...rdn]);
  const text = (oid: string) => subject.filter((a) => a.type === oid).map((a) => a.value.toString());
  let ca = false;
  let aaguid: Uint8Array | undefined;
  let aaguidCritical = false;
  const malformedExtensions: string[] = [];
  for (const extension of tbs.extensions ?? []) {
    const value = extension.extnValue.buffer;
    try {
      if (extension.extnID === id_ce_basicConstraints) ca = AsnConvert.parse(value, BasicConstraints).cA;
      if (extension.extnID === AttestationOid.fidoGenCeAaguid) {
        aaguidCritical = extension.critical;
        aaguid = new Uint8Array(AsnConvert.parse(value, OctetString).buffer);
      }
    } catch {
      malformedExtensions.push(extension.extnID);
    }
  }
  return {
    version: tbs.version,
    organizationalUnits: text(AttestationOid.organizationalUnitName),
    country: text(AttestationOid.countryName),
    organization: text(AttestationOid.organizationName),
    commonName: text(AttestationOid.commonName),
    ca,
    aaguidCritical,
    malformedExtensions,
    ...(aaguid === undefined ? {} : { aaguid }),
  };
}

describe('attestationCertificateFacts', () => {
  const issuer = { name: CA_NAME, key: newKeyPair().privateKey };
  const key = newKeyPair().publicKey;
  const leaf = (change = {}) =>
    certificate({ subject: ATTESTATION_SUBJECT, aaguid: BAND_AAGUID, key, issuer, ...change });

  it('reads what the ASN.1 schema parse reads, for the band and for certificates breaking each §8.2.1 rule', async () => {
    const made = await makeRig({ aaguid: BAND_AAGUID }).client.makeCredential({
      clientDataHash: new Uint8Array(32),
      rp: { id: 'login.example.com' },
      user: { id: new Uint8Array(8) },
    });
    const certificates: Uint8Array[] = [
      (made.attStmt.get('x5c') as Uint8Array[])[0],
      modelAttestationRoot({ aaguid: BAND_AAGUID, model: ATTESTATION_MODEL }).certificate,
      leaf(),
      leaf({ version: 0 }),
      leaf({ ca: true }),
      leaf({ aaguid: null }),
      leaf({ aaguidCritical: true }),
      leaf({ aaguidExtnValue: Uint8Array.of(0x02, 0x01, 0x05) }),
      leaf({ subject: [...ATTESTATION_SUBJECT, [AttestationOid.organizationalUnitName, 'Second OU']] }),
      leaf({ subject: [[AttestationOid.commonName, 'ünïcödé ✓']] }),
    ];
    for (const der of certificates) {
      const { deviceId, ...facts } = attestationCertificateFacts(der);
      expect(deviceId).toBeUndefined();
      expect(facts).toEqual(reference(der));
    }
  });

  it('names an extension written twice as malformed and reads neither copy (RFC 5280 §4.2)', () => {
    const aaguidValue = (aaguid: Uint8Array) => new Uint8Array(AsnConvert.serialize(new OctetString(aaguid)));
    // A CA flag first, then a copy saying it is not one; a critical AAGUID for another model, then the right one.
    const der = certificate({
      subject: ATTESTATION_SUBJECT,
      key,
      issuer,
      ca: true,
      aaguid: new Uint8Array(16).fill(7),
      aaguidCritical: true,
      extraExtensions: [
        {
          id: id_ce_basicConstraints,
          value: new Uint8Array(AsnConvert.serialize(new BasicConstraints({ cA: false }))),
        },
        { id: AttestationOid.fidoGenCeAaguid, value: aaguidValue(BAND_AAGUID) },
      ],
    });
    const facts = attestationCertificateFacts(der);
    expect(facts.malformedExtensions).toEqual([id_ce_basicConstraints, AttestationOid.fidoGenCeAaguid]);
    expect(facts.ca).toBe(false);
    expect(facts.aaguid).toBeUndefined();
    // Written once each, the same extensions read as they are.
    expect(attestationCertificateFacts(leaf()).malformedExtensions).toEqual([]);
  });

  it('refuses bytes that are not a DER certificate with AttestationCertificateError', () => {
    const der = leaf();
    for (const bad of [
      new Uint8Array(0),
      Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01),
      der.subarray(0, der.length - 1),
      Uint8Array.from([...der, 0]),
      // The outer length in a longer form than needed (DER wants the shortest).
      Uint8Array.from([0x30, 0x83, 0x00, ...der.subarray(2)]),
    ])
      expect(() => attestationCertificateFacts(bad)).toThrow(AttestationCertificateError);
  });
});
