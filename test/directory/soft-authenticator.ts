/**
 * TEST FIXTURE ONLY: a software FIDO2 authenticator standing in for the band's CTAP2 engine, so the relying party
 * can be tested against real signatures. P-256 keys, packed self-attestation, canonical CBOR. It produces the
 * WebAuthn JSON a client would hand a server.
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { Encoder } from 'cbor-x';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '../../host/relying-party/index.js';

// Plain CBOR: byte strings untagged, definite-length maps in insertion order (we insert in canonical order).
const cbor = new Encoder({ useRecords: false, tagUint8Array: false, variableMapSize: true, mapsAsObjects: false });

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

interface SoftCredential {
  id: Buffer;
  rpId: string;
  userHandle: string;
  privateKey: KeyObject;
  signCount: number;
}

export interface SoftAuthenticatorOptions {
  /** Source of credential IDs; tests pass a seeded one. */
  randomBytes: (length: number) => Uint8Array;
  aaguid?: Uint8Array;
  /** False: the counter stays 0 forever (an authenticator without a signature counter). */
  countsSignatures?: boolean;
}

export class SoftAuthenticator {
  /** Whether the UV flag is set; the band sets it when its wearer is authenticated. */
  userVerified = true;
  readonly #creds = new Map<string, SoftCredential>();
  readonly #random: (length: number) => Uint8Array;
  readonly #aaguid: Buffer;
  readonly #counts: boolean;

  constructor(options: SoftAuthenticatorOptions) {
    this.#random = options.randomBytes;
    this.#aaguid = Buffer.from(options.aaguid ?? new Uint8Array(16));
    this.#counts = options.countsSignatures ?? true;
  }

  /** `reuseCredentialId` makes a misbehaving authenticator that attests a new key under an existing ID. */
  register(
    options: PublicKeyCredentialCreationOptionsJSON,
    origin: string,
    knobs: { reuseCredentialId?: string } = {},
  ): RegistrationResponseJSON {
    const rpId = options.rp.id ?? new URL(origin).hostname;
    if (!options.pubKeyCredParams.some((p) => p.alg === -7)) throw new Error('soft authenticator: ES256 not offered');
    for (const excluded of options.excludeCredentials ?? []) {
      if (this.#creds.has(excluded.id)) throw new Error('soft authenticator: CTAP2_ERR_CREDENTIAL_EXCLUDED');
    }
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const id = knobs.reuseCredentialId
      ? Buffer.from(knobs.reuseCredentialId, 'base64url')
      : Buffer.from(this.#random(32));
    const cred: SoftCredential = { id, rpId, userHandle: options.user.id, privateKey, signCount: 0 };
    this.#creds.set(id.toString('base64url'), cred);

    // COSE_Key in canonical CTAP2 order: 1 (kty), 3 (alg), -1 (crv), -2 (x), -3 (y).
    const coseKey = cbor.encode(
      new Map<number, number | Buffer>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x as string, 'base64url')],
        [-3, Buffer.from(jwk.y as string, 'base64url')],
      ]),
    );
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(id.length);
    const authData = Buffer.concat([
      this.#header(rpId, FLAG_AT, this.#nextCount(cred)),
      this.#aaguid,
      idLength,
      id,
      Buffer.from(coseKey),
    ]);
    const clientDataJSON = clientData('webauthn.create', options.challenge, origin);
    const sig = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), {
      key: privateKey,
      dsaEncoding: 'der',
    });
    // Text keys in canonical order (shorter first): fmt, attStmt, authData.
    const attestationObject = cbor.encode(
      new Map<string, unknown>([
        ['fmt', 'packed'],
        [
          'attStmt',
          new Map<string, unknown>([
            ['alg', -7],
            ['sig', sig],
          ]),
        ],
        ['authData', authData],
      ]),
    );
    const b64 = id.toString('base64url');
    return {
      id: b64,
      rawId: b64,
      type: 'public-key',
      authenticatorAttachment: 'cross-platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        attestationObject: Buffer.from(attestationObject).toString('base64url'),
        transports: ['usb'],
      },
    };
  }

  authenticate(options: PublicKeyCredentialRequestOptionsJSON, origin: string): AuthenticationResponseJSON {
    const rpId = options.rpId ?? new URL(origin).hostname;
    const cred = (options.allowCredentials ?? [])
      .map((d) => this.#creds.get(d.id))
      .find((c): c is SoftCredential => c !== undefined && c.rpId === rpId);
    if (!cred) throw new Error('soft authenticator: CTAP2_ERR_NO_CREDENTIALS');
    return this.#assert(cred, options.challenge, origin);
  }

  /** Signs with a specific credential, even one the relying party did not offer (to test its refusals). */
  authenticateWith(credentialId: string, challenge: string, origin: string): AuthenticationResponseJSON {
    const cred = this.#creds.get(credentialId);
    if (!cred) throw new Error(`soft authenticator: no credential ${credentialId}`);
    return this.#assert(cred, challenge, origin);
  }

  /** Rewinds a counter, as a cloned key would. */
  setSignCount(credentialId: string, value: number): void {
    const cred = this.#creds.get(credentialId);
    if (!cred) throw new Error(`soft authenticator: no credential ${credentialId}`);
    cred.signCount = value;
  }

  #assert(cred: SoftCredential, challenge: string, origin: string): AuthenticationResponseJSON {
    const authData = this.#header(cred.rpId, 0, this.#nextCount(cred));
    const clientDataJSON = clientData('webauthn.get', challenge, origin);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), {
      key: cred.privateKey,
      dsaEncoding: 'der',
    });
    const b64 = cred.id.toString('base64url');
    return {
      id: b64,
      rawId: b64,
      type: 'public-key',
      authenticatorAttachment: 'cross-platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        userHandle: cred.userHandle,
      },
    };
  }

  #header(rpId: string, extraFlags: number, signCount: number): Buffer {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(signCount);
    const flags = FLAG_UP | (this.userVerified ? FLAG_UV : 0) | extraFlags;
    return Buffer.concat([sha256(Buffer.from(rpId)), Buffer.from([flags]), counter]);
  }

  #nextCount(cred: SoftCredential): number {
    if (this.#counts) cred.signCount += 1;
    return cred.signCount;
  }
}

function clientData(type: string, challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
}

function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}
