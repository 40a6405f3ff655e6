import { decodeCanonical, encodeCanonical, type CborMap } from '../../proto/ctap2/canonical-cbor.js';
import { StoreKeys } from './fido2-store.js';
import { hex, sha256 } from './sha256.js';

export interface UserEntity {
  id: Uint8Array;
  name?: string;
  displayName?: string;
}

/**
 * A discoverable credential's record, at fido2/rk/<hex SHA-256(rpId)>/<hex first 16 bytes of SHA-256(credential ID)>.
 * Value: canonical CBOR map {1: credential ID, 2: rpId, 3: user.id, 4: user.name?, 5: user.displayName?,
 * 6: credProtect, 7: created}. The private key is not here: it travels sealed inside the credential ID.
 * `created` is the global signature counter at creation, unique per credential, so it orders credentials newest-first.
 */
export interface ResidentCredential {
  storageKey: string;
  credentialId: Uint8Array;
  rpId: string;
  user: UserEntity;
  credProtect: 1 | 2 | 3;
  created: number;
}

export function residentRpPrefix(rpIdHash: Uint8Array): string {
  return `${StoreKeys.residentPrefix}${hex(rpIdHash)}/`;
}

export function residentStorageKey(rpIdHash: Uint8Array, credentialId: Uint8Array): string {
  return `${residentRpPrefix(rpIdHash)}${hex(sha256(credentialId).subarray(0, 16))}`;
}

export function encodeResidentCredential(credential: Omit<ResidentCredential, 'storageKey'>): Uint8Array {
  return encodeCanonical(
    new Map<number, Uint8Array | string | number | undefined>([
      [1, credential.credentialId],
      [2, credential.rpId],
      [3, credential.user.id],
      [4, credential.user.name],
      [5, credential.user.displayName],
      [6, credential.credProtect],
      [7, credential.created],
    ]),
  );
}

function corrupt(storageKey: string, what: string): never {
  throw new Error(
    `resident credential record ${storageKey} is corrupt (${what}); delete it or reset the authenticator`,
  );
}

export function decodeResidentCredential(storageKey: string, bytes: Uint8Array): ResidentCredential {
  let map: CborMap;
  try {
    const value = decodeCanonical(bytes);
    if (!(value instanceof Map)) corrupt(storageKey, 'not a map');
    map = value;
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('resident credential record')) throw error;
    corrupt(storageKey, 'not canonical CBOR');
  }
  const credentialId = map.get(1);
  const rpId = map.get(2);
  const userId = map.get(3);
  const name = map.get(4);
  const displayName = map.get(5);
  const credProtect = map.get(6);
  const created = map.get(7);
  if (!(credentialId instanceof Uint8Array)) corrupt(storageKey, 'credential ID');
  if (typeof rpId !== 'string') corrupt(storageKey, 'rpId');
  if (!(userId instanceof Uint8Array)) corrupt(storageKey, 'user id');
  if (name !== undefined && typeof name !== 'string') corrupt(storageKey, 'user name');
  if (displayName !== undefined && typeof displayName !== 'string') corrupt(storageKey, 'user displayName');
  if (credProtect !== 1 && credProtect !== 2 && credProtect !== 3) corrupt(storageKey, 'credProtect');
  if (typeof created !== 'number') corrupt(storageKey, 'created');
  return {
    storageKey,
    credentialId,
    rpId,
    user: {
      id: userId,
      ...(name !== undefined ? { name } : {}),
      ...(displayName !== undefined ? { displayName } : {}),
    },
    credProtect,
    created,
  };
}
