import { createCipheriv, createDecipheriv } from 'node:crypto';

/**
 * Credential IDs carry their own private key, sealed so only this authenticator (and only this enrollment) can
 * open them — WebAuthn's "encrypted public key credential source" form. Format, 63 bytes:
 *
 *   offset 0   version       0x01
 *   offset 1   nonce         12 random bytes
 *   offset 13  ciphertext    34 bytes = AES-256-GCM(flags(1) || credProtect(1) || privateKey(32))
 *   offset 47  tag           16 bytes
 *
 *   key  = HKDF(master secret, "credential-id wrap")   (master-keys.ts)
 *   AAD  = version || SHA-256(rpId)                    binds the ID to its relying party
 *   flags bit 0 = discoverable: such an ID is honoured only while its fido2/rk/ record exists, so deleting the
 *   record (credentialManagement deleteCredential, or an rk overwrite) ends the credential although the ID still
 *   decrypts.
 *
 * Wiping fido2/master makes every earlier ID undecryptable: all credentials, resident or not, end with the wipe.
 */
export const CREDENTIAL_ID_VERSION = 0x01;
export const CREDENTIAL_ID_LENGTH = 63;

export interface CredentialSecret {
  privateKey: Uint8Array;
  credProtect: 1 | 2 | 3;
  discoverable: boolean;
}

function aad(rpIdHash: Uint8Array): Uint8Array {
  const out = new Uint8Array(33);
  out[0] = CREDENTIAL_ID_VERSION;
  out.set(rpIdHash, 1);
  return out;
}

export function sealCredentialId(
  wrapKey: Uint8Array,
  rpIdHash: Uint8Array,
  secret: CredentialSecret,
  nonce: Uint8Array,
): Uint8Array {
  if (nonce.length !== 12) throw new Error(`credential ID nonce must be 12 bytes; got ${nonce.length}`);
  if (secret.privateKey.length !== 32)
    throw new Error(`credential private key must be 32 bytes; got ${secret.privateKey.length}`);
  const plaintext = new Uint8Array(34);
  plaintext[0] = secret.discoverable ? 1 : 0;
  plaintext[1] = secret.credProtect;
  plaintext.set(secret.privateKey, 2);
  const cipher = createCipheriv('aes-256-gcm', wrapKey, nonce);
  cipher.setAAD(aad(rpIdHash));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const id = new Uint8Array(CREDENTIAL_ID_LENGTH);
  id[0] = CREDENTIAL_ID_VERSION;
  id.set(nonce, 1);
  id.set(ciphertext, 13);
  id.set(cipher.getAuthTag(), 47);
  plaintext.fill(0);
  return id;
}

/** undefined for any ID this enrollment did not make for this RP (other authenticators' IDs, other RPs, garbage). */
export function openCredentialId(
  wrapKey: Uint8Array,
  rpIdHash: Uint8Array,
  id: Uint8Array,
): CredentialSecret | undefined {
  if (id.length !== CREDENTIAL_ID_LENGTH || id[0] !== CREDENTIAL_ID_VERSION) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', wrapKey, id.subarray(1, 13));
  decipher.setAAD(aad(rpIdHash));
  decipher.setAuthTag(id.subarray(47, 63));
  let plaintext: Buffer;
  try {
    plaintext = Buffer.concat([decipher.update(id.subarray(13, 47)), decipher.final()]);
  } catch {
    return undefined;
  }
  const credProtect = plaintext[1];
  if ((plaintext[0] & ~1) !== 0 || (credProtect !== 1 && credProtect !== 2 && credProtect !== 3)) return undefined;
  return { discoverable: (plaintext[0] & 1) === 1, credProtect, privateKey: new Uint8Array(plaintext.subarray(2, 34)) };
}
