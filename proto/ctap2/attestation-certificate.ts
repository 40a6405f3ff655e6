import { isDeviceIdHex } from '../identifiers.js';
import { DerTag } from './der-writer.js';

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
  /** id-ce-basicConstraints (RFC 5280 §4.2.1.9). */
  basicConstraints: '2.5.29.19',
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
  /**
   * The OIDs of the extensions this reader looks into (basicConstraints, the AAGUID) whose value is not what it
   * should be: each then reads as absent above, and a verifier refuses the certificate for it.
   */
  malformedExtensions: string[];
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

/** One DER TLV (X.690 §8.1): its tag byte, and where its contents start and end in the certificate's bytes. */
interface Tlv {
  tag: number;
  start: number;
  end: number;
}

const Tag = {
  ...DerTag,
  /** [0] EXPLICIT (TBSCertificate version). */
  VERSION: DerTag.EXPLICIT | 0,
  /** [3] EXPLICIT (TBSCertificate extensions). */
  EXTENSIONS: DerTag.EXPLICIT | 3,
} as const;

/**
 * A strict reader of DER definite-length TLVs (X.690 §10.1: definite lengths in their shortest form), enough to walk
 * a certificate to the fields WebAuthn §8.2.1 names. The ASN.1 schema libraries parse every field into objects
 * first, which cost a relying party more than the signatures it checks; this reads the few it needs in place.
 */
class DerReader {
  constructor(
    readonly bytes: Uint8Array,
    private pos: number,
    readonly end: number,
  ) {}

  static of(bytes: Uint8Array, tlv: Tlv): DerReader {
    return new DerReader(bytes, tlv.start, tlv.end);
  }

  /** Where the next TLV starts. */
  get offset(): number {
    return this.pos;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  peekTag(): number | undefined {
    return this.done ? undefined : this.bytes[this.pos];
  }

  read(tag?: number): Tlv {
    const { bytes, end } = this;
    if (this.pos + 2 > end) throw new AttestationCertificateError('not a DER X.509 certificate (truncated)');
    const found = bytes[this.pos];
    // Low tag numbers only: certificates use no multi-byte tags.
    if ((found & 0x1f) === 0x1f) throw new AttestationCertificateError('not a DER X.509 certificate (long tag)');
    if (tag !== undefined && found !== tag)
      throw new AttestationCertificateError(
        `not a DER X.509 certificate (tag 0x${found.toString(16)} where 0x${tag.toString(16)} belongs)`,
      );
    let length = bytes[this.pos + 1];
    let at = this.pos + 2;
    if (length & 0x80) {
      const count = length & 0x7f;
      if (count === 0 || count > 4 || at + count > end)
        throw new AttestationCertificateError('not a DER X.509 certificate (bad length)');
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + bytes[at + i];
      at += count;
      if (length < 0x80 || bytes[at - count] === 0)
        throw new AttestationCertificateError('not a DER X.509 certificate (length not in its shortest form)');
    }
    if (at + length > end) throw new AttestationCertificateError('not a DER X.509 certificate (truncated)');
    this.pos = at + length;
    return { tag: found, start: at, end: at + length };
  }

  finish(what: string): void {
    if (!this.done) throw new AttestationCertificateError(`not a DER X.509 certificate (bytes after ${what})`);
  }
}

/** An OBJECT IDENTIFIER's contents in dotted form (X.690 §8.19). */
function oidText(bytes: Uint8Array, tlv: Tlv): string {
  const arcs: number[] = [];
  let value = 0;
  for (let i = tlv.start; i < tlv.end; i++) {
    value = value * 128 + (bytes[i] & 0x7f);
    if ((bytes[i] & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else arcs.push(value);
      value = 0;
    }
  }
  return arcs.join('.');
}

/**
 * An attribute value as text, as the X.509 libraries give it (RFC 5280 §4.1.2.4 DirectoryString, and IA5String):
 * those string types decoded, anything else as hex of its DER.
 */
function attributeText(bytes: Uint8Array, tlv: Tlv, headerStart: number): string {
  const body = Buffer.from(bytes.buffer, bytes.byteOffset + tlv.start, tlv.end - tlv.start);
  switch (tlv.tag) {
    case Tag.UTF8_STRING:
      return body.toString('utf8');
    case Tag.PRINTABLE_STRING:
    case Tag.TELETEX_STRING:
    case Tag.IA5_STRING:
      return body.toString('latin1');
    case Tag.BMP_STRING: // UTF-16 big-endian
      return body.length % 2 === 0 ? Buffer.from(body).swap16().toString('utf16le') : '';
    case Tag.UNIVERSAL_STRING: {
      // UTF-32 big-endian
      let text = '';
      for (let i = 0; i + 4 <= body.length; i += 4) text += String.fromCodePoint(body.readUInt32BE(i) % 0x110000);
      return text;
    }
    default:
      return Buffer.from(bytes.subarray(headerStart, tlv.end)).toString('hex');
  }
}

/**
 * Reads the attestation-relevant facts of a DER certificate (RFC 5280 §4.1: version, subject, extensions); it
 * verifies nothing (signatures are the reader's). Bytes that are not a DER certificate's structure throw
 * AttestationCertificateError.
 */
export function attestationCertificateFacts(der: Uint8Array): AttestationCertificateFacts {
  const bytes = der;
  const top = new DerReader(bytes, 0, bytes.length);
  const certificate = top.read(Tag.SEQUENCE);
  top.finish('the certificate');
  const cert = DerReader.of(bytes, certificate);
  const tbs = DerReader.of(bytes, cert.read(Tag.SEQUENCE));
  cert.read(Tag.SEQUENCE); // signatureAlgorithm
  cert.read(Tag.BIT_STRING); // signatureValue
  cert.finish('the signature');

  let version = 0; // v1 when absent (DEFAULT v1)
  if (tbs.peekTag() === Tag.VERSION) {
    const wrapped = DerReader.of(bytes, tbs.read(Tag.VERSION));
    const integer = wrapped.read(Tag.INTEGER);
    wrapped.finish('the version');
    if (integer.end - integer.start !== 1)
      throw new AttestationCertificateError('not a DER X.509 certificate (version)');
    version = bytes[integer.start];
  }
  tbs.read(Tag.INTEGER); // serialNumber
  tbs.read(Tag.SEQUENCE); // signature
  tbs.read(Tag.SEQUENCE); // issuer
  tbs.read(Tag.SEQUENCE); // validity
  const subjectName = DerReader.of(bytes, tbs.read(Tag.SEQUENCE));
  tbs.read(Tag.SEQUENCE); // subjectPublicKeyInfo
  let extensions: DerReader | undefined;
  while (!tbs.done) {
    const field = tbs.read();
    // [1] issuerUniqueID and [2] subjectUniqueID are skipped; [3] holds the extensions.
    if (field.tag === Tag.EXTENSIONS) {
      const wrapped = DerReader.of(bytes, field);
      extensions = DerReader.of(bytes, wrapped.read(Tag.SEQUENCE));
      wrapped.finish('the extensions');
    }
  }

  const subject = new Map<string, string[]>();
  while (!subjectName.done) {
    const rdn = DerReader.of(bytes, subjectName.read(Tag.SET));
    while (!rdn.done) {
      const attribute = DerReader.of(bytes, rdn.read(Tag.SEQUENCE));
      const type = oidText(bytes, attribute.read(Tag.OID));
      const valueAt = attribute.offset;
      const value = attribute.read();
      attribute.finish('an attribute');
      const list = subject.get(type) ?? [];
      list.push(attributeText(bytes, value, valueAt));
      subject.set(type, list);
    }
  }
  const text = (oid: string) => subject.get(oid) ?? [];

  let ca = false;
  let aaguid: Uint8Array | undefined;
  let aaguidCritical = false;
  const malformedExtensions: string[] = [];
  const seen = new Set<string>();
  while (extensions !== undefined && !extensions.done) {
    const extension = DerReader.of(bytes, extensions.read(Tag.SEQUENCE));
    const id = oidText(bytes, extension.read(Tag.OID));
    // RFC 5280 §4.2: an extension appears at most once. A repeat is malformed, so that no check reads whichever
    // copy suits it (OpenSSL accepts such a certificate).
    if (seen.has(id)) {
      if (!malformedExtensions.includes(id)) malformedExtensions.push(id);
      if (id === AttestationOid.basicConstraints) ca = false;
      if (id === AttestationOid.fidoGenCeAaguid) aaguid = undefined;
      continue;
    }
    seen.add(id);
    let critical = false;
    if (extension.peekTag() === Tag.BOOLEAN) {
      const flag = extension.read(Tag.BOOLEAN);
      critical = flag.end - flag.start === 1 && bytes[flag.start] !== 0;
    }
    const value = extension.read(Tag.OCTET_STRING);
    extension.finish('an extension');
    try {
      if (id === AttestationOid.basicConstraints) {
        // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }
        const outer = DerReader.of(bytes, value);
        const sequence = DerReader.of(bytes, outer.read(Tag.SEQUENCE));
        outer.finish('basicConstraints');
        ca = false;
        if (sequence.peekTag() === Tag.BOOLEAN) {
          const flag = sequence.read(Tag.BOOLEAN);
          if (flag.end - flag.start !== 1)
            throw new AttestationCertificateError('basicConstraints cA is not a BOOLEAN');
          ca = bytes[flag.start] !== 0;
        }
        if (!sequence.done) sequence.read(Tag.INTEGER);
        sequence.finish('basicConstraints');
      }
      if (id === AttestationOid.fidoGenCeAaguid) {
        aaguidCritical = critical;
        const outer = DerReader.of(bytes, value);
        const inner = outer.read(Tag.OCTET_STRING);
        outer.finish('the AAGUID');
        aaguid = bytes.slice(inner.start, inner.end);
      }
    } catch (cause) {
      if (!(cause instanceof AttestationCertificateError)) throw cause;
      // A malformed extension reads as absent, and is named so that checks fail on it.
      malformedExtensions.push(id);
      if (id === AttestationOid.basicConstraints) ca = false;
      if (id === AttestationOid.fidoGenCeAaguid) aaguid = undefined;
    }
  }
  const [serial] = text(AttestationOid.serialNumber);
  const deviceId = isDeviceIdHex(serial) ? new Uint8Array(Buffer.from(serial, 'hex')) : undefined;
  return {
    version,
    organizationalUnits: text(AttestationOid.organizationalUnitName),
    country: text(AttestationOid.countryName),
    organization: text(AttestationOid.organizationName),
    commonName: text(AttestationOid.commonName),
    ca,
    aaguidCritical,
    malformedExtensions,
    ...(aaguid === undefined ? {} : { aaguid }),
    ...(deviceId === undefined ? {} : { deviceId }),
  };
}
