import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
} from 'node:crypto';
import type { CborMap, CborValue } from '../../proto/ctap2/canonical-cbor.js';
import { Cose, CoseEc2Key } from '../../proto/ctap2/cose.js';
import { encodeMembers } from '../../proto/ctap2/members.js';
import { Fido2ProtocolError } from './ctap-error.js';
import { decodeReply } from './reply-fields.js';

/**
 * PIN/UV auth protocols one and two (CTAP 2.1 §6.5.6, §6.5.7), the platform's side: encapsulate() runs ECDH against
 * the authenticator's getKeyAgreement key and returns the platform's public COSE key plus the shared secret.
 */
export interface PlatformPinUvProtocol {
  readonly version: 1 | 2;
  encapsulate(authenticatorKey: CborValue): { keyAgreement: CborMap; sharedSecret: Uint8Array };
  encrypt(key: Uint8Array, plaintext: Uint8Array): Uint8Array;
  decrypt(key: Uint8Array, ciphertext: Uint8Array): Uint8Array;
  authenticate(key: Uint8Array, message: Uint8Array): Uint8Array;
}

function aesCbc(mode: 'encrypt' | 'decrypt', key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const cipher = mode === 'encrypt' ? createCipheriv('aes-256-cbc', key, iv) : createDecipheriv('aes-256-cbc', key, iv);
  cipher.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([cipher.update(data), cipher.final()]));
}

function hmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(message).digest());
}

function ecdh(authenticatorKey: CborValue): { keyAgreement: CborMap; z: Uint8Array } {
  if (!(authenticatorKey instanceof Map)) throw new Fido2ProtocolError('getKeyAgreement returned no COSE key map');
  const { kty, crv, x, y } = decodeReply(CoseEc2Key, authenticatorKey, 'clientPIN getKeyAgreement keyAgreement');
  if (kty !== Cose.KTY_EC2 || crv !== Cose.CRV_P256 || x.length !== 32 || y.length !== 32) {
    throw new Fido2ProtocolError('getKeyAgreement returned a key that is not an EC2 P-256 COSE key');
  }
  const own = createECDH('prime256v1');
  own.generateKeys();
  const publicKey = own.getPublicKey();
  let z: Buffer;
  try {
    z = own.computeSecret(Buffer.concat([Buffer.from([0x04]), x, y]));
  } catch (cause) {
    throw new Fido2ProtocolError('the authenticator key agreement key is not a point on P-256', { cause });
  }
  const keyAgreement = encodeMembers(CoseEc2Key, {
    kty: Cose.KTY_EC2,
    alg: Cose.ALG_ECDH_ES_HKDF_256,
    crv: Cose.CRV_P256,
    x: new Uint8Array(publicKey.subarray(1, 33)),
    y: new Uint8Array(publicKey.subarray(33, 65)),
  }) as CborMap;
  return { keyAgreement, z: new Uint8Array(z) };
}

export const platformProtocolOne: PlatformPinUvProtocol = {
  version: 1,
  encapsulate(authenticatorKey) {
    const { keyAgreement, z } = ecdh(authenticatorKey);
    return { keyAgreement, sharedSecret: new Uint8Array(createHash('sha256').update(z).digest()) };
  },
  encrypt: (key, plaintext) => aesCbc('encrypt', key.subarray(0, 32), new Uint8Array(16), plaintext),
  decrypt(key, ciphertext) {
    if (ciphertext.length % 16 !== 0)
      throw new Fido2ProtocolError(`protocol 1 ciphertext of ${ciphertext.length} bytes is not whole AES blocks`);
    return aesCbc('decrypt', key.subarray(0, 32), new Uint8Array(16), ciphertext);
  },
  authenticate: (key, message) => hmac(key, message).subarray(0, 16),
};

const SALT = new Uint8Array(32);

export const platformProtocolTwo: PlatformPinUvProtocol = {
  version: 2,
  encapsulate(authenticatorKey) {
    const { keyAgreement, z } = ecdh(authenticatorKey);
    const sharedSecret = new Uint8Array(64);
    sharedSecret.set(new Uint8Array(hkdfSync('sha256', z, SALT, 'CTAP2 HMAC key', 32)), 0);
    sharedSecret.set(new Uint8Array(hkdfSync('sha256', z, SALT, 'CTAP2 AES key', 32)), 32);
    return { keyAgreement, sharedSecret };
  },
  encrypt(key, plaintext) {
    const iv = new Uint8Array(randomBytes(16));
    const body = aesCbc('encrypt', key.subarray(32, 64), iv, plaintext);
    const out = new Uint8Array(16 + body.length);
    out.set(iv, 0);
    out.set(body, 16);
    return out;
  },
  decrypt(key, ciphertext) {
    if (ciphertext.length < 16 || ciphertext.length % 16 !== 0) {
      throw new Fido2ProtocolError(`protocol 2 ciphertext of ${ciphertext.length} bytes is not IV + whole AES blocks`);
    }
    return aesCbc('decrypt', key.subarray(32, 64), ciphertext.subarray(0, 16), ciphertext.subarray(16));
  },
  // A 64-byte shared secret authenticates with its HMAC half; a 32-byte token is used whole.
  authenticate: (key, message) => hmac(key.subarray(0, 32), message),
};

export function platformProtocol(version: 1 | 2): PlatformPinUvProtocol {
  return version === 1 ? platformProtocolOne : platformProtocolTwo;
}
