import { createHash } from 'node:crypto';
import * as asn1 from 'asn1js';
import { describe, expect, it } from 'vitest';
import {
  attestationCertificate,
  enterpriseAttestationCertificate,
  modelAttestationRoot,
} from '../../firmware-sim/ctap2/attestation.js';
import { P256Key, randomP256Scalar } from '../../firmware-sim/ctap2/p256-key.js';
import { deviceIdSubjectSerial } from '../../proto/ctap2/attestation-certificate.js';
import {
  derInteger,
  derNamedBits,
  derOid,
  derPrintableString,
  derSetOf,
  derTime,
  derUtf8String,
} from '../../proto/ctap2/der-writer.js';
import {
  oracleCertificate,
  oracleLeafExtensions,
  oracleLeafName,
  oracleRootExtensions,
  oracleRootName,
  oracleTbsCertificate,
} from './peculiar-certificate.js';

/** Deterministic bytes from a label (SHA-256 in counter mode). */
function bytesFrom(label: string) {
  let counter = 0;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let at = 0; at < n; at += 32)
      out.set(
        createHash('sha256')
          .update(`${label}:${counter++}`)
          .digest()
          .subarray(0, n - at),
        at,
      );
    return out;
  };
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
/** The TBSCertificate of a certificate: its first element. */
const tbsOf = (certificate: Uint8Array) => {
  const { result } = asn1.fromBER(certificate);
  return new Uint8Array((result as asn1.Sequence).valueBlock.value[0].toBER());
};

/** Several models (ASCII, long enough for long-form lengths, non-ASCII UTF-8) and AAGUIDs. */
const SUBJECTS = [
  { model: 'bandsim', aaguid: new Uint8Array(16).fill(7) },
  {
    model: 'wristband pro max edition with a model name long enough for 2-byte lengths '.repeat(2),
    aaguid: bytesFrom('a')(16),
  },
  { model: 'Armbånd ✓', aaguid: bytesFrom('b')(16) },
];

describe('attestation certificates written with the DER writer are the @peculiar/asn1-x509 ones, byte for byte', () => {
  it('the model root CA (self-signed, CA true, keyUsage), for several models', () => {
    for (const subject of SUBJECTS) {
      const root = modelAttestationRoot(subject);
      const tbs = oracleTbsCertificate({
        subject: oracleRootName(subject.model),
        issuer: oracleRootName(subject.model),
        subjectPublicKey: root.key.uncompressed(),
        extensions: oracleRootExtensions(),
      });
      // RFC 6979: the same TBS signs to the same signature.
      expect(hex(root.certificate)).toBe(hex(oracleCertificate(tbs, root.key.sign(tbs))));
    }
  });

  it('batch and enterprise certificates, for several models, keys and device IDs, both signing modes', () => {
    let checked = 0;
    for (const subject of SUBJECTS) {
      const root = modelAttestationRoot(subject);
      const random = bytesFrom(subject.model);
      for (let i = 0; i < 4; i++) {
        const key = P256Key.fromScalar(randomP256Scalar(random), 'rfc6979');
        const deviceId = random(16);
        const batch = oracleTbsCertificate({
          subject: oracleLeafName(subject.model, 'batch'),
          issuer: oracleRootName(subject.model),
          subjectPublicKey: key.uncompressed(),
          extensions: oracleLeafExtensions(subject.aaguid),
        });
        const enterprise = oracleTbsCertificate({
          subject: oracleLeafName(subject.model, 'enterprise', deviceIdSubjectSerial(deviceId)),
          issuer: oracleRootName(subject.model),
          subjectPublicKey: key.uncompressed(),
          extensions: oracleLeafExtensions(subject.aaguid),
        });
        expect(hex(attestationCertificate(key, subject, 'rfc6979'))).toBe(
          hex(oracleCertificate(batch, root.key.sign(batch))),
        );
        expect(hex(enterpriseAttestationCertificate(key, subject, deviceId, 'rfc6979'))).toBe(
          hex(oracleCertificate(enterprise, root.key.sign(enterprise))),
        );
        // node:crypto signatures are random: the signed part is the same, and the root's key verifies it.
        const system = attestationCertificate(key, subject, 'system');
        expect(hex(tbsOf(system))).toBe(hex(batch));
        expect(hex(tbsOf(enterpriseAttestationCertificate(key, subject, deviceId, 'system')))).toBe(hex(enterprise));
        checked++;
      }
    }
    expect(checked).toBe(12);
  });
});

describe('DER writer', () => {
  it('INTEGER: shortest form, a leading zero before a set top bit (X.690 §8.3)', () => {
    expect(hex(derInteger(0))).toBe('020100');
    expect(hex(derInteger(2))).toBe('020102');
    expect(hex(derInteger(128))).toBe('02020080');
    expect(hex(derInteger(256))).toBe('02020100');
    expect(hex(derInteger(Uint8Array.of(0, 0, 0x7f)))).toBe('02017f');
    expect(hex(derInteger(Uint8Array.of(0xff)))).toBe('020200ff');
    expect(() => derInteger(-1)).toThrow(RangeError);
  });

  it('OBJECT IDENTIFIER, long form lengths, strings, SET OF order, named bits and times as asn1js writes them', () => {
    for (const oid of ['2.5.4.3', '1.3.6.1.4.1.45724.1.1.4', '1.2.840.10045.3.1.7', '2.999.3'])
      expect(hex(derOid(oid))).toBe(hex(new Uint8Array(new asn1.ObjectIdentifier({ value: oid }).toBER())));
    const long = 'x'.repeat(300);
    expect(hex(derUtf8String(long))).toBe(hex(new Uint8Array(new asn1.Utf8String({ value: long }).toBER())));
    expect(hex(derPrintableString('US'))).toBe('13025553');
    expect(() => derPrintableString('Ü')).toThrow(RangeError);
    expect(hex(derSetOf(Uint8Array.of(0x04, 1, 2), Uint8Array.of(0x04, 1, 1)))).toBe('3106040101040102');
    expect(hex(derNamedBits([5, 6]))).toBe('03020106');
    expect(hex(derNamedBits([0]))).toBe('03020780');
    expect(hex(derNamedBits([0, 8]))).toBe('0303078080');
    const utc = new Date(Date.UTC(2049, 11, 31, 23, 59, 58));
    expect(hex(derTime(utc))).toBe(hex(new Uint8Array(new asn1.UTCTime({ valueDate: utc }).toBER())));
    const generalized = new Date(Date.UTC(2050, 0, 1));
    expect(Buffer.from(derTime(generalized)).subarray(2).toString()).toBe('20500101000000Z');
    expect(derTime(generalized)[0]).toBe(0x18);
  });
});
