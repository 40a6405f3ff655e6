/**
 * TEST FIXTURE ONLY: builds WebAuthn registration responses field by field, signed with keys it holds, so a test
 * can change any one field (a flag, the rpIdHash, a certificate's OU, the CBOR's form...) and still sign the result:
 * a verifier must then refuse it for that field, not for a broken signature. P-256 keys from node:crypto, X.509
 * certificates built with @peculiar/asn1-x509 and signed by a test CA, CBOR from the project's canonical writer
 * unless a case asks for other bytes.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
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
import { encodeCanonical, type CborInput } from '../../proto/ctap2/canonical-cbor.js';
import { AttestationOid } from '../../proto/ctap2/attestation-certificate.js';
import type { RegistrationResponseJSON } from '../../host/relying-party/index.js';

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export const newKeyPair = (): KeyPair => generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** The SubjectPublicKeyInfo DER of a key. */
const spki = (key: KeyObject) => new Uint8Array(key.export({ format: 'der', type: 'spki' }));

export interface CertificateSpec {
  subject: [oid: string, value: string][];
  /** Version as written: 2 is v3 (default), 0 is v1 (then no extensions are written). */
  version?: Version;
  ca?: boolean;
  /** The id-fido-gen-ce-aaguid extension's value; null leaves the extension out. */
  aaguid?: Uint8Array | null;
  aaguidCritical?: boolean;
  /** Raw extnValue for the AAGUID extension (a malformed one). */
  aaguidExtnValue?: Uint8Array;
  notBefore?: Date;
  notAfter?: Date;
  /** Written after the others, e.g. a second copy of one (RFC 5280 §4.2 forbids that). */
  extraExtensions?: { id: string; critical?: boolean; value: Uint8Array }[];
  /** The certified key. */
  key: KeyObject;
  issuer: { name: [string, string][]; key: KeyObject };
}

function name(entries: [string, string][]): Name {
  return new Name(
    entries.map(
      ([type, value]) =>
        new RelativeDistinguishedName([
          new AttributeTypeAndValue({
            type,
            value: new AttributeValue(
              type === AttestationOid.countryName ? { printableString: value } : { utf8String: value },
            ),
          }),
        ]),
    ),
  );
}

/** A DER certificate for `spec.key`, signed by `spec.issuer.key` (ecdsa-with-SHA256). */
export function certificate(spec: CertificateSpec): Uint8Array {
  const version = spec.version ?? Version.v3;
  const extensions: Extension[] = [
    new Extension({
      extnID: id_ce_basicConstraints,
      critical: true,
      extnValue: new OctetString(AsnConvert.serialize(new BasicConstraints({ cA: spec.ca ?? false }))),
    }),
  ];
  if (spec.aaguid !== null || spec.aaguidExtnValue !== undefined)
    extensions.push(
      new Extension({
        extnID: AttestationOid.fidoGenCeAaguid,
        critical: spec.aaguidCritical ?? false,
        extnValue: new OctetString(
          spec.aaguidExtnValue ?? AsnConvert.serialize(new OctetString(spec.aaguid ?? new Uint8Array(16))),
        ),
      }),
    );
  for (const extra of spec.extraExtensions ?? [])
    extensions.push(
      new Extension({ extnID: extra.id, critical: extra.critical ?? false, extnValue: new OctetString(extra.value) }),
    );
  const tbs = new TBSCertificate({
    version,
    serialNumber: Uint8Array.of(0x01, 0x02, 0x03).buffer,
    signature: new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 }),
    issuer: name(spec.issuer.name),
    validity: new Validity({
      notBefore: spec.notBefore ?? new Date(Date.UTC(2024, 0, 1)),
      notAfter: spec.notAfter ?? new Date(Date.UTC(2049, 11, 31)),
    }),
    subject: name(spec.subject),
    subjectPublicKeyInfo: AsnConvert.parse(spki(spec.key), SubjectPublicKeyInfo),
    ...(version === Version.v1 ? {} : { extensions: new Extensions(extensions) }),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = sign('sha256', tbsDer, { key: spec.issuer.key, dsaEncoding: 'der' });
  return new Uint8Array(
    AsnConvert.serialize(
      new Certificate({
        tbsCertificate: tbs,
        signatureAlgorithm: new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 }),
        signatureValue: new Uint8Array(signature).buffer,
      }),
    ),
  );
}

/** A packed attestation certificate meeting WebAuthn §8.2.1, as a manufacturer would issue it. */
export const ATTESTATION_SUBJECT: [string, string][] = [
  [AttestationOid.countryName, 'US'],
  [AttestationOid.organizationName, 'Forge Inc.'],
  [AttestationOid.organizationalUnitName, 'Authenticator Attestation'],
  [AttestationOid.commonName, 'Forge batch attestation'],
];
export const CA_NAME: [string, string][] = [
  [AttestationOid.countryName, 'US'],
  [AttestationOid.organizationName, 'Forge Inc.'],
  [AttestationOid.commonName, 'Forge root CA'],
];

export const RP_ID = 'login.example.com';
export const ORIGIN = 'https://login.example.com';
export const AAGUID = Uint8Array.from(Buffer.from('f0e1d2c3b4a5968778695a4b3c2d1e0f', 'hex'));

/** Every field of a registration, each replaceable; `bytes` overrides go in as they are. */
export interface RegistrationSpec {
  challenge: string;
  clientData?: Record<string, unknown>;
  clientDataJSON?: Uint8Array;
  rpId?: string;
  flags?: number;
  counter?: number;
  aaguid?: Uint8Array;
  credentialId?: Uint8Array;
  credentialKey?: KeyPair;
  /** COSE key map entries; defaults from credentialKey. */
  coseKey?: Map<number, CborInput>;
  coseKeyBytes?: Uint8Array;
  /** Bytes after the attested credential data (extensions, or junk). */
  authDataTail?: Uint8Array;
  fmt?: string;
  alg?: number;
  /** 'self' signs with the credential key; a KeyPair with that key (and x5c given). */
  signer?: 'self' | KeyPair;
  x5c?: Uint8Array[];
  /** Extra or replaced attStmt members. */
  attStmt?: Map<string, CborInput>;
  /** Replace the signature (after signing). */
  sig?: (sig: Uint8Array) => Uint8Array;
  attestationObjectBytes?: (canonical: Uint8Array, parts: { authData: Uint8Array; attStmt: CborInput }) => Uint8Array;
  response?: (r: RegistrationResponseJSON) => RegistrationResponseJSON;
}

export const FLAG = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40, ED: 0x80 } as const;

export function coseKeyOf(key: KeyObject): Map<number, CborInput> {
  const jwk = key.export({ format: 'jwk' });
  return new Map<number, CborInput>([
    [1, 2],
    [3, -7],
    [-1, 1],
    [-2, Buffer.from(jwk.x as string, 'base64url')],
    [-3, Buffer.from(jwk.y as string, 'base64url')],
  ]);
}

const sha256 = (bytes: Uint8Array) => new Uint8Array(createHash('sha256').update(bytes).digest());

/** The response a client would post for `spec`, signed as the spec says. */
export function forgeRegistration(spec: RegistrationSpec): RegistrationResponseJSON {
  const clientDataJSON =
    spec.clientDataJSON ??
    Buffer.from(
      JSON.stringify(
        spec.clientData ?? { type: 'webauthn.create', challenge: spec.challenge, origin: ORIGIN, crossOrigin: false },
      ),
    );
  const credentialKey = spec.credentialKey ?? newKeyPair();
  const credentialId = spec.credentialId ?? new Uint8Array(32).fill(0x5a);
  const coseKey = spec.coseKeyBytes ?? encodeCanonical(spec.coseKey ?? coseKeyOf(credentialKey.publicKey));
  const header = new Uint8Array(37);
  header.set(sha256(Buffer.from(spec.rpId ?? RP_ID)), 0);
  header[32] = spec.flags ?? FLAG.UP | FLAG.UV | FLAG.AT;
  new DataView(header.buffer).setUint32(33, spec.counter ?? 1);
  const idLength = Uint8Array.of(credentialId.length >> 8, credentialId.length & 0xff);
  const authData = Buffer.concat([
    header,
    spec.aaguid ?? AAGUID,
    idLength,
    credentialId,
    coseKey,
    spec.authDataTail ?? new Uint8Array(0),
  ]);
  const fmt = spec.fmt ?? 'packed';
  let attStmt: Map<string, CborInput>;
  if (fmt === 'none') attStmt = new Map();
  else {
    const signer = spec.signer ?? 'self';
    const key = signer === 'self' ? credentialKey.privateKey : signer.privateKey;
    let sig: Uint8Array = new Uint8Array(
      sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), { key, dsaEncoding: 'der' }),
    );
    if (spec.sig) sig = spec.sig(sig);
    attStmt = new Map<string, CborInput>([
      ['alg', spec.alg ?? -7],
      ['sig', sig],
    ]);
    if (spec.x5c !== undefined) attStmt.set('x5c', spec.x5c);
  }
  for (const [k, v] of spec.attStmt ?? []) attStmt.set(k, v);
  const canonical = encodeCanonical(
    new Map<string, CborInput>([
      ['fmt', fmt],
      ['attStmt', attStmt],
      ['authData', authData],
    ]),
  );
  const attestationObject = spec.attestationObjectBytes?.(canonical, { authData, attStmt }) ?? canonical;
  const id = Buffer.from(credentialId).toString('base64url');
  const response: RegistrationResponseJSON = {
    id,
    rawId: id,
    type: 'public-key',
    clientExtensionResults: {},
    response: {
      clientDataJSON: Buffer.from(clientDataJSON).toString('base64url'),
      attestationObject: Buffer.from(attestationObject).toString('base64url'),
      transports: ['usb'],
    },
  };
  return spec.response ? spec.response(response) : response;
}
