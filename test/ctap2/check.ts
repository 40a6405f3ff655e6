import { createECDH, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { CtapError, decodeCanonical } from '../../host/fido2/index.js';

/** The CTAP status name a promise ends with, 'OK' when it resolves. */
export async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'OK';
  } catch (error) {
    if (error instanceof CtapError) return error.code;
    throw error;
  }
}

export function publicKeyOf(cose: Uint8Array): KeyObject {
  const map = decodeCanonical(cose) as Map<number, unknown>;
  const x = map.get(-2) as Uint8Array;
  const y = map.get(-3) as Uint8Array;
  return createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: Buffer.from(x).toString('base64url'), y: Buffer.from(y).toString('base64url') },
    format: 'jwk',
  });
}

/** ES256 over authenticatorData || clientDataHash, as WebAuthn verifies attestations and assertions. */
export function signatureValid(
  cose: Uint8Array,
  authenticatorData: Uint8Array,
  clientDataHash: Uint8Array,
  signature: Uint8Array,
): boolean {
  return verify(
    'sha256',
    Buffer.concat([authenticatorData, clientDataHash]),
    { key: publicKeyOf(cose), dsaEncoding: 'der' },
    signature,
  );
}

/** Whether any 32-byte window of `haystack` is the private scalar of the COSE public key `cose`. */
export function containsPrivateKeyOf(haystack: Uint8Array, cose: Uint8Array): boolean {
  const map = decodeCanonical(cose) as Map<number, unknown>;
  const x = Buffer.from(map.get(-2) as Uint8Array);
  for (let i = 0; i + 32 <= haystack.length; i++) {
    const ecdh = createECDH('prime256v1');
    try {
      ecdh.setPrivateKey(Buffer.from(haystack.subarray(i, i + 32)));
    } catch {
      continue;
    }
    if (ecdh.getPublicKey().subarray(1, 33).equals(x)) return true;
  }
  return false;
}
