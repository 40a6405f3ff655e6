import { decodeCanonical, encodeCanonical, type CborKey, type CborValue } from '../../proto/ctap2/canonical-cbor.js';
import type { CredProtectLevel } from '../../proto/ctap2/extensions/extension.js';
import { isCredProtectLevel } from '../../proto/ctap2/extensions/cred-protect.js';
import { Ctap2MemberError, decodeMembers, encodeMembers, members } from '../../proto/ctap2/members.js';
import { StoreKeys } from './fido2-store.js';
import { hex } from './bytes.js';
import { sha256 } from './sha256.js';

export interface UserEntity {
  id: Uint8Array;
  name?: string;
  displayName?: string;
}

/**
 * A discoverable credential's record, at fido2/rk/<hex SHA-256(rpId)>/<hex first 16 bytes of SHA-256(credential ID)>.
 * Value: a canonical CBOR map, the band's own flash format (not wire contract), laid out by `ResidentRecord` below.
 * The private key is not here: it travels sealed inside the credential ID. `created` is the global signature counter
 * at creation, unique per credential, so it orders credentials newest-first. `extensions` holds what extension
 * modules keep with the credential (credBlob), by extension id; records written before it existed have none.
 */
export interface ResidentCredential {
  storageKey: string;
  credentialId: Uint8Array;
  rpId: string;
  user: UserEntity;
  credProtect: CredProtectLevel;
  created: number;
  extensions: ReadonlyMap<string, CborValue>;
}

const ResidentRecord = members({
  credentialId: { key: 1, type: 'bytes', required: true },
  rpId: { key: 2, type: 'text', required: true },
  userId: { key: 3, type: 'bytes', required: true },
  userName: { key: 4, type: 'text' },
  userDisplayName: { key: 5, type: 'text' },
  credProtect: { key: 6, type: 'uint', required: true },
  created: { key: 7, type: 'uint', required: true },
  extensions: { key: 8, type: 'map' },
});

export function residentRpPrefix(rpIdHash: Uint8Array): string {
  return `${StoreKeys.residentPrefix}${hex(rpIdHash)}/`;
}

export function residentStorageKey(rpIdHash: Uint8Array, credentialId: Uint8Array): string {
  return `${residentRpPrefix(rpIdHash)}${hex(sha256(credentialId).subarray(0, 16))}`;
}

export function encodeResidentCredential(credential: Omit<ResidentCredential, 'storageKey'>): Uint8Array {
  return encodeCanonical(
    encodeMembers(ResidentRecord, {
      credentialId: credential.credentialId,
      rpId: credential.rpId,
      userId: credential.user.id,
      userName: credential.user.name,
      userDisplayName: credential.user.displayName,
      credProtect: credential.credProtect,
      created: credential.created,
      extensions: credential.extensions.size > 0 ? credential.extensions : undefined,
    }),
  );
}

function corrupt(storageKey: string, what: string): never {
  throw new Error(
    `resident credential record ${storageKey} is corrupt (${what}); delete it or reset the authenticator`,
  );
}

export function decodeResidentCredential(storageKey: string, bytes: Uint8Array): ResidentCredential {
  let value: CborValue;
  try {
    value = decodeCanonical(bytes);
  } catch {
    corrupt(storageKey, 'not canonical CBOR');
  }
  let record;
  try {
    record = decodeMembers(ResidentRecord, value, 'record');
  } catch (error) {
    if (error instanceof Ctap2MemberError) corrupt(storageKey, error.member || 'not a map');
    throw error;
  }
  if (!isCredProtectLevel(record.credProtect)) corrupt(storageKey, 'credProtect');
  const extensions = new Map<string, CborValue>();
  for (const [id, stored] of record.extensions ?? new Map<CborKey, CborValue>()) {
    if (typeof id !== 'string') corrupt(storageKey, 'extensions');
    extensions.set(id, stored);
  }
  return {
    storageKey,
    credentialId: record.credentialId,
    rpId: record.rpId,
    user: {
      id: record.userId,
      ...(record.userName !== undefined ? { name: record.userName } : {}),
      ...(record.userDisplayName !== undefined ? { displayName: record.userDisplayName } : {}),
    },
    credProtect: record.credProtect,
    created: record.created,
    extensions,
  };
}
