import { createHash, createPublicKey, verify, X509Certificate, type KeyObject } from 'node:crypto';
import {
  ATTESTATION_CERTIFICATE_OU,
  AttestationCertificateError,
  AttestationOid,
  attestationCertificateFacts,
  type AttestationCertificateFacts,
} from '../../proto/ctap2/attestation-certificate.js';
import { CborError, decodeCanonical, type CborMap } from '../../proto/ctap2/canonical-cbor.js';
import { Cose, CoseEc2Key } from '../../proto/ctap2/cose.js';
import { Ctap2MemberError, decodeMembers, members } from '../../proto/ctap2/members.js';
import { P256_SCALAR_BYTES, bigIntOf, onP256 } from '../../proto/ctap2/p256.js';
import {
  MAX_CREDENTIAL_ID_BYTES,
  PACKED_ATTESTATION_FORMAT,
  PackedAttestationStatement,
  PUBLIC_KEY_CREDENTIAL_TYPE,
} from '../../proto/ctap2/webauthn-entities.js';
import { Fido2ProtocolError } from '../fido2/ctap-error.js';
import { parseAuthenticatorData } from '../fido2/authenticator-data.js';
import type { RegistrationResponseJSON } from './relying-party.js';

/**
 * A registration verifier for the formats the band produces (`packed` with x5c or self attestation, and `none`),
 * following WebAuthn L2 §7.1 "Registering a New Credential" step by step with node:crypto and the project's CBOR
 * and certificate readers. @simplewebauthn/server parses each certificate twice with an ASN.1 schema library and
 * imports keys through WebCrypto JWK, several times the cost of the signatures it checks; this reads each field
 * once. Every check the library makes is made here too (test/directory/registration-differential.test.ts runs
 * both over valid and tampered registrations), and a few it leaves out: the credential public key must be a
 * well-formed P-256 point, self attestation's `alg` must be the key's, the AAGUID extension must not be critical,
 * `crossOrigin` must not be true, and CBOR must be canonical. Any other format or attestation algorithm is left to
 * the library (`undefined` from `verifyRegistration`), so nothing verifies less than before.
 */

/** What a ceremony expects of the response (the relying party's identity and the challenge it handed out). */
export interface RegistrationExpectation {
  /** base64url, as in the creation options. */
  challenge: string;
  origin: string;
  /** SHA-256 of the RP ID. */
  rpIdHash: Uint8Array;
  requireUserVerification: boolean;
  /** COSE algorithms offered in pubKeyCredParams. */
  algorithms: readonly number[];
  /** The moment the attestation certificate must be valid at. */
  now: Date;
}

/** A verified registration: the credential, and the attestation it came with. */
export interface VerifiedRegistration {
  fmt: string;
  aaguid: Uint8Array;
  credentialId: Uint8Array;
  /** The COSE_Key exactly as the authenticator encoded it (canonical CBOR). */
  publicKey: Uint8Array;
  counter: number;
  /** Basic attestation: the x5c DER certificates, leaf first, and the leaf parsed and read. */
  attestation?: { x5c: Uint8Array[]; leaf: X509Certificate; facts: AttestationCertificateFacts };
}

/**
 * Which check of WebAuthn §7.1 a registration failed. `cross-origin`, `credential-key`, `canonical-cbor`,
 * `credential-id-length`, `self-attestation-alg`, `aaguid-critical` and `certificate-encoding` (a certificate must be
 * DER, RFC 5280 §4.1, which OpenSSL holds it to) are checks @simplewebauthn/server does not make or makes more
 * leniently (the differential test holds them to that list).
 */
export type RegistrationCheck =
  | 'response'
  | 'client-data'
  | 'cross-origin'
  | 'attestation-object'
  | 'canonical-cbor'
  | 'authenticator-data'
  | 'rp-id'
  | 'user-presence'
  | 'user-verification'
  | 'credential-id-length'
  | 'algorithm'
  | 'credential-key'
  | 'attestation-statement'
  | 'self-attestation-alg'
  | 'certificate'
  | 'certificate-encoding'
  | 'aaguid-critical'
  | 'signature';

/** A registration that does not verify: `check` says which check it failed, the message how. */
export class RegistrationVerificationError extends Error {
  override readonly name = 'RegistrationVerificationError';
  constructor(
    readonly check: RegistrationCheck,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** WebAuthn §6.5 attestationObject: text keys (unlike the CTAP2 response it is made from). */
const AttestationObject = members({
  fmt: { key: 'fmt', type: 'text', required: true },
  attStmt: { key: 'attStmt', type: 'map', required: true },
  authData: { key: 'authData', type: 'bytes', required: true },
});

/** WebAuthn §8.7: the `none` format. */
const NONE_ATTESTATION_FORMAT = 'none';
/** WebAuthn §5.8.1.1 TokenBindingStatus. */
const TOKEN_BINDING_STATUSES = ['present', 'supported', 'not-supported'];

const refuse = (check: RegistrationCheck, why: string, cause?: unknown) =>
  new RegistrationVerificationError(check, why, cause === undefined ? undefined : { cause });

/** A CBOR refusal for a form CTAP2 forbids (CTAP 2.1 §8) rather than for bytes that are not CBOR at all. */
const notCanonical = (cause: unknown): boolean =>
  cause instanceof CborError && (cause.reason === 'non-canonical' || cause.reason === 'trailing-bytes');

/** The SHA-256 of an RP ID, as authenticator data carries it (computed once per relying party). */
export function rpIdHash(rpId: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(rpId).digest());
}

/**
 * Verifies a registration response (WebAuthn L2 §7.1), or returns undefined when its attestation is of a format or
 * algorithm this verifier leaves to @simplewebauthn/server (then nothing is concluded: the caller verifies it there).
 * @throws RegistrationVerificationError saying which check failed.
 */
export function verifyRegistration(
  response: RegistrationResponseJSON,
  expected: RegistrationExpectation,
): VerifiedRegistration | undefined {
  // The credential as the client reports it (WebAuthn §5.1: id is rawId in base64url).
  const { id, rawId, type, response: attestationResponse } = response ?? {};
  if (!id) throw refuse('response', 'the response has no credential id');
  if (id !== rawId) throw refuse('response', 'the response id is not its rawId in base64url');
  if (type !== PUBLIC_KEY_CREDENTIAL_TYPE)
    throw refuse('response', `the credential type is ${JSON.stringify(type)}, not "public-key"`);
  const clientDataText = attestationResponse?.clientDataJSON;
  const attestationText = attestationResponse?.attestationObject;
  if (typeof clientDataText !== 'string' || typeof attestationText !== 'string')
    throw refuse('response', 'the response lacks clientDataJSON or attestationObject');

  // Steps 5-6: JSONtext is the UTF-8 decoding of clientDataJSON; C its parse.
  const clientDataJSON = Buffer.from(clientDataText, 'base64url');
  let c: unknown;
  try {
    c = JSON.parse(clientDataJSON.toString('utf8'));
  } catch (cause) {
    throw refuse('client-data', 'clientDataJSON is not JSON', cause);
  }
  if (typeof c !== 'object' || c === null) throw refuse('client-data', 'clientDataJSON is not a JSON object');
  const client = c as Record<string, unknown>;
  // Step 7.
  if (client.type !== 'webauthn.create')
    throw refuse('client-data', `clientDataJSON type is ${JSON.stringify(client.type)}, not "webauthn.create"`);
  // Step 8.
  if (client.challenge !== expected.challenge)
    throw refuse('client-data', `clientDataJSON challenge ${JSON.stringify(client.challenge)} is not this ceremony's`);
  // Step 9.
  if (client.origin !== expected.origin)
    throw refuse('client-data', `clientDataJSON origin ${JSON.stringify(client.origin)} is not ${expected.origin}`);
  // L3 §7.1 step 11: this relying party does not expect to be embedded in a cross-origin iframe.
  if (client.crossOrigin === true)
    throw refuse('cross-origin', 'clientDataJSON says crossOrigin, which this relying party does not expect');
  // Step 10.
  const tokenBinding = client.tokenBinding;
  if (tokenBinding) {
    if (typeof tokenBinding !== 'object')
      throw refuse('client-data', `clientDataJSON tokenBinding is ${JSON.stringify(tokenBinding)}, not an object`);
    if (!TOKEN_BINDING_STATUSES.includes((tokenBinding as { status?: unknown }).status as string))
      throw refuse('client-data', 'clientDataJSON tokenBinding.status is not one WebAuthn defines');
  }
  // Step 11.
  const clientDataHash = createHash('sha256').update(clientDataJSON).digest();

  // Step 12: CBOR decoding of attestationObject (CTAP2 canonical, as an authenticator must write it).
  let object: { fmt: string; attStmt: CborMap; authData: Uint8Array };
  try {
    object = decodeMembers(
      AttestationObject,
      decodeCanonical(Buffer.from(attestationText, 'base64url')),
      'attestationObject',
    );
  } catch (cause) {
    if (cause instanceof CborError || cause instanceof Ctap2MemberError)
      throw refuse(
        notCanonical(cause) ? 'canonical-cbor' : 'attestation-object',
        `attestationObject is not canonical CBOR {fmt, attStmt, authData}: ${cause.message}`,
        cause,
      );
    throw cause;
  }
  const { fmt, attStmt, authData } = object;
  let parsed;
  try {
    parsed = parseAuthenticatorData(authData);
  } catch (cause) {
    if (cause instanceof Fido2ProtocolError)
      throw refuse(notCanonical(cause.cause) ? 'canonical-cbor' : 'authenticator-data', cause.message, cause);
    throw cause;
  }
  // Step 13.
  if (!Buffer.from(parsed.rpIdHash).equals(expected.rpIdHash))
    throw refuse('rp-id', 'the rpIdHash is not of this RP ID');
  // Steps 14-15.
  if (!parsed.flags.userPresent) throw refuse('user-presence', 'the UP flag is not set: no user was present');
  if (expected.requireUserVerification && !parsed.flags.userVerified)
    throw refuse('user-verification', 'the UV flag is not set, and this relying party requires user verification');
  // L3 §6.1: BS (backup state) without BE (backup eligible) is impossible.
  if ((parsed.flags.raw & 0x10) !== 0 && (parsed.flags.raw & 0x08) === 0)
    throw refuse('authenticator-data', 'authenticator data says backed up (BS) but not backup eligible (BE)');
  const credential = parsed.attestedCredentialData;
  if (credential === undefined)
    throw refuse('authenticator-data', 'the AT flag is not set: no attested credential data');
  if (credential.credentialId.length > MAX_CREDENTIAL_ID_BYTES)
    throw refuse(
      'credential-id-length',
      `the credential ID is ${credential.credentialId.length} bytes, more than ${MAX_CREDENTIAL_ID_BYTES}`,
    );
  // Step 16: the key's algorithm is one offered in pubKeyCredParams, and the key is a P-256 point (ES256).
  const keyAlg = credential.publicKeyMap.get(Cose.ALG);
  if (typeof keyAlg !== 'number' || !expected.algorithms.includes(keyAlg))
    throw refuse(
      'algorithm',
      `the credential public key's alg ${typeof keyAlg === 'number' ? keyAlg : 'is missing or'} is not one offered (${expected.algorithms.join(', ')})`,
    );
  const credentialPoint = es256Point(credential.publicKeyMap);

  // Steps 18-19: the attestation statement, by format.
  const verified: VerifiedRegistration = {
    fmt,
    aaguid: credential.aaguid,
    credentialId: credential.credentialId,
    publicKey: credential.publicKey,
    counter: parsed.signCount,
  };
  if (fmt === NONE_ATTESTATION_FORMAT) {
    // WebAuthn §8.7: the statement is empty.
    if (attStmt.size > 0)
      throw refuse('attestation-statement', 'a none attestation carries a non-empty attestation statement');
    return verified;
  }
  if (fmt !== PACKED_ATTESTATION_FORMAT) return undefined;

  // WebAuthn §8.2 packed verification procedure.
  let statement;
  try {
    statement = decodeMembers(PackedAttestationStatement, attStmt, 'packed attStmt');
  } catch (cause) {
    if (cause instanceof Ctap2MemberError)
      throw refuse('attestation-statement', `the packed attestation statement is malformed: ${cause.message}`, cause);
    throw cause;
  }
  const { alg, sig, x5c } = statement;
  const signed = Buffer.concat([authData, clientDataHash]);
  if (x5c === undefined) {
    // Self attestation: alg is the credential key's, and sig verifies with it.
    if (alg !== keyAlg)
      throw refuse('self-attestation-alg', `self attestation alg ${alg} is not the credential key's alg ${keyAlg}`);
    if (!verify('sha256', signed, { key: es256KeyObject(credentialPoint), dsaEncoding: 'der' }, sig))
      throw refuse('signature', 'the self attestation signature does not verify with the credential public key');
    return verified;
  }
  // Basic attestation: the library knows more algorithms than ES256.
  if (alg !== Cose.ALG_ES256) return undefined;
  if (x5c.length === 0 || !x5c.every((der) => der instanceof Uint8Array))
    throw refuse('attestation-statement', 'x5c is not a non-empty array of DER certificates');
  const certificates = x5c as Uint8Array[];
  let leaf: X509Certificate;
  let leafKey: KeyObject;
  try {
    leaf = new X509Certificate(certificates[0]);
    // Read once here: OpenSSL decodes the key only when asked, and may refuse it then.
    leafKey = leaf.publicKey;
  } catch (cause) {
    throw refuse(
      'certificate-encoding',
      `the attestation certificate is not an X.509 certificate (${(cause as Error).message})`,
      cause,
    );
  }
  let facts: AttestationCertificateFacts;
  try {
    facts = attestationCertificateFacts(certificates[0]);
  } catch (cause) {
    if (cause instanceof AttestationCertificateError)
      throw refuse('certificate-encoding', `the attestation certificate is ${cause.message}`, cause);
    throw cause;
  }
  if (leafKey.asymmetricKeyType !== 'ec') return undefined;
  checkAttestationCertificate(leaf, facts, credential.aaguid, expected.now);
  if (!verify('sha256', signed, { key: leafKey, dsaEncoding: 'der' }, sig))
    throw refuse('signature', 'the packed attestation signature does not verify with the attestation certificate');
  verified.attestation = { x5c: certificates, leaf, facts };
  return verified;
}

/** WebAuthn §8.2.1 "Certificate Requirements for Packed Attestation Statements", and validity at `now`. */
function checkAttestationCertificate(
  leaf: X509Certificate,
  facts: AttestationCertificateFacts,
  aaguid: Uint8Array,
  now: Date,
): void {
  if (facts.version !== 2) throw refuse('certificate', 'the attestation certificate is not X.509 version 3');
  if (
    facts.organizationalUnits.length === 0 ||
    facts.organizationalUnits.some((ou) => ou !== ATTESTATION_CERTIFICATE_OU)
  )
    throw refuse('certificate', `the attestation certificate's subject OU is not "${ATTESTATION_CERTIFICATE_OU}"`);
  if (facts.country.length === 0 || facts.country.some((c) => c.length !== 2))
    throw refuse('certificate', "the attestation certificate's subject C is not a two-letter ISO 3166 code");
  if (facts.organization.length === 0 || facts.organization.some((o) => o.length === 0))
    throw refuse('certificate', "the attestation certificate's subject has no O");
  if (facts.commonName.length === 0 || facts.commonName.some((cn) => cn.length === 0))
    throw refuse('certificate', "the attestation certificate's subject has no CN");
  if (facts.malformedExtensions.length > 0)
    throw refuse(
      'certificate',
      `the attestation certificate's extension(s) ${facts.malformedExtensions.join(', ')} are malformed`,
    );
  if (facts.ca)
    throw refuse('certificate', 'the attestation certificate is a CA certificate (basicConstraints CA true)');
  if (facts.aaguid !== undefined) {
    if (facts.aaguidCritical)
      throw refuse('aaguid-critical', 'the attestation certificate marks its AAGUID extension critical');
    if (!Buffer.from(facts.aaguid).equals(aaguid))
      throw refuse(
        'certificate',
        `the attestation certificate's AAGUID (${AttestationOid.fidoGenCeAaguid}) ` +
          `${Buffer.from(facts.aaguid).toString('hex')} is not the authenticator data's ${Buffer.from(aaguid).toString('hex')}`,
      );
  }
  const t = now.getTime();
  const [from, to] = [Date.parse(leaf.validFrom), Date.parse(leaf.validTo)];
  // RFC 5280 §4.1.2.5: UTCTime or GeneralizedTime in a fixed form; OpenSSL reads nothing else ("Bad time value").
  if (Number.isNaN(from) || Number.isNaN(to))
    throw refuse('certificate-encoding', 'the attestation certificate has a validity time that is not RFC 5280 form');
  if (t < from || t > to)
    throw refuse('certificate', `the attestation certificate is not valid at ${now.toISOString()}`);
}

/** A P-256 point's coordinates, checked well-formed and on the curve. */
interface Es256Point {
  x: Uint8Array;
  y: Uint8Array;
}

/**
 * The credential public key: an EC2 COSE_Key (RFC 9053 §7.1.1) on P-256 with alg ES256 whose point is on the curve
 * (checked here in a few microseconds, where a node:crypto key import costs tens and is only needed when the key
 * verifies a signature, in self attestation).
 */
function es256Point(map: CborMap): Es256Point {
  let key;
  try {
    key = decodeMembers(CoseEc2Key, map, 'credential public key');
  } catch (cause) {
    if (cause instanceof Ctap2MemberError) throw refuse('credential-key', cause.message, cause);
    throw cause;
  }
  if (key.kty !== Cose.KTY_EC2 || key.crv !== Cose.CRV_P256 || key.alg !== Cose.ALG_ES256)
    throw refuse('credential-key', 'the credential public key is not an ES256 P-256 COSE key');
  if (key.x.length !== P256_SCALAR_BYTES || key.y.length !== P256_SCALAR_BYTES)
    throw refuse('credential-key', 'the credential public key coordinates are not 32 bytes each');
  if (!onP256(bigIntOf(key.x), bigIntOf(key.y)))
    throw refuse('credential-key', 'the credential public key is not a point on P-256');
  return { x: key.x, y: key.y };
}

/** The point as a node:crypto key (JWK import is the cheapest node:crypto route from coordinates). */
function es256KeyObject(point: Es256Point): KeyObject {
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: Buffer.from(point.x).toString('base64url'),
      y: Buffer.from(point.y).toString('base64url'),
    },
    format: 'jwk',
  });
}
