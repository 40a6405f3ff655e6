import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * PIN/UV auth protocols one and two (CTAP 2.1 §6.5.6, §6.5.7), the authenticator's side. A "shared secret" is the
 * KDF output of an ECDH exchange: 32 bytes (SHA-256 of Z) for protocol one, 64 bytes (HMAC key || AES key, both from
 * HKDF-SHA-256) for protocol two. `key` in authenticate/verify is either a shared secret or a pinUvAuthToken.
 */
export interface PinUvAuthProtocol {
  readonly version: 1 | 2;
  kdf(z: Uint8Array): Uint8Array;
  encrypt(sharedSecret: Uint8Array, plaintext: Uint8Array, random: (n: number) => Uint8Array): Uint8Array;
  /** undefined when the ciphertext has an impossible length. */
  decrypt(sharedSecret: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined;
  authenticate(key: Uint8Array, message: Uint8Array): Uint8Array;
  verify(key: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
}

function aesCbc(mode: 'encrypt' | 'decrypt', key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const cipher = mode === 'encrypt' ? createCipheriv('aes-256-cbc', key, iv) : createDecipheriv('aes-256-cbc', key, iv);
  // The protocols encrypt whole blocks without padding.
  cipher.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([cipher.update(data), cipher.final()]));
}

function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(message).digest());
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const ZERO_IV = new Uint8Array(16);

export const pinUvAuthProtocolOne: PinUvAuthProtocol = {
  version: 1,
  kdf: (z) => new Uint8Array(createHash('sha256').update(z).digest()),
  encrypt(sharedSecret, plaintext) {
    return aesCbc('encrypt', sharedSecret.subarray(0, 32), ZERO_IV, plaintext);
  },
  decrypt(sharedSecret, ciphertext) {
    if (ciphertext.length % 16 !== 0) return undefined;
    return aesCbc('decrypt', sharedSecret.subarray(0, 32), ZERO_IV, ciphertext);
  },
  authenticate: (key, message) => hmacSha256(key, message).subarray(0, 16),
  verify(key, message, signature) {
    return signature.length === 16 && constantTimeEqual(hmacSha256(key, message).subarray(0, 16), signature);
  },
};

const HKDF_SALT = new Uint8Array(32);

export const pinUvAuthProtocolTwo: PinUvAuthProtocol = {
  version: 2,
  kdf(z) {
    const hmacKey = new Uint8Array(hkdfSync('sha256', z, HKDF_SALT, 'CTAP2 HMAC key', 32));
    const aesKey = new Uint8Array(hkdfSync('sha256', z, HKDF_SALT, 'CTAP2 AES key', 32));
    const out = new Uint8Array(64);
    out.set(hmacKey, 0);
    out.set(aesKey, 32);
    return out;
  },
  encrypt(sharedSecret, plaintext, random) {
    const iv = random(16);
    const ciphertext = aesCbc('encrypt', sharedSecret.subarray(32, 64), iv, plaintext);
    const out = new Uint8Array(16 + ciphertext.length);
    out.set(iv, 0);
    out.set(ciphertext, 16);
    return out;
  },
  decrypt(sharedSecret, ciphertext) {
    if (ciphertext.length < 16 || ciphertext.length % 16 !== 0) return undefined;
    return aesCbc('decrypt', sharedSecret.subarray(32, 64), ciphertext.subarray(0, 16), ciphertext.subarray(16));
  },
  // A 64-byte shared secret authenticates with its HMAC half; a 32-byte token is used whole.
  authenticate: (key, message) => hmacSha256(key.subarray(0, 32), message),
  verify(key, message, signature) {
    return signature.length === 32 && constantTimeEqual(hmacSha256(key.subarray(0, 32), message), signature);
  },
};

export function pinUvAuthProtocol(version: number): PinUvAuthProtocol | undefined {
  if (version === 1) return pinUvAuthProtocolOne;
  if (version === 2) return pinUvAuthProtocolTwo;
  return undefined;
}
