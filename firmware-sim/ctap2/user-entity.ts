import type { CborInput, CborMap } from '../../proto/ctap2/canonical-cbor.js';
import { encodeMembers } from '../../proto/ctap2/members.js';
import { UserEntity as UserEntityMembers } from '../../proto/ctap2/webauthn-entities.js';
import { CtapStatus, fail } from './ctap-failure.js';
import { parseRequestMembers } from '../../proto/ctap2/ctap-failure.js';
import { MAX_FIDO_USER_NAME_BYTES } from '../../proto/limits.js';
import type { UserEntity } from './resident-credential.js';

/** WebAuthn §5.4.3: a user handle is at most 64 bytes. */
export const MAX_USER_ID_LENGTH = 64;
/** CTAP 2.1 §6.1.2 lets the authenticator shorten name and displayName; proto's bound keeps flash records bounded. */
const MAX_STORED_NAME_BYTES = MAX_FIDO_USER_NAME_BYTES;

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length <= maxBytes) return text;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const size = new TextEncoder().encode(ch).length;
    if (used + size > maxBytes) break;
    out += ch;
    used += size;
  }
  return out;
}

/** PublicKeyCredentialUserEntity {id, name?, displayName?, icon?}; icon is type-checked and dropped (deprecated). */
export function parseUserEntity(map: CborMap, where: string): UserEntity {
  const { id, name, displayName } = parseRequestMembers(UserEntityMembers, map, where);
  if (id.length > MAX_USER_ID_LENGTH) {
    fail(
      CtapStatus.CTAP1_ERR_INVALID_PARAMETER,
      `${where} id is ${id.length} bytes; WebAuthn allows at most ${MAX_USER_ID_LENGTH}`,
    );
  }
  return {
    id,
    ...(name !== undefined ? { name: truncateUtf8(name, MAX_STORED_NAME_BYTES) } : {}),
    ...(displayName !== undefined ? { displayName: truncateUtf8(displayName, MAX_STORED_NAME_BYTES) } : {}),
  };
}

/** The user entity as a response member; name and displayName only when the caller may see them. */
export function userEntityResponse(user: UserEntity, includeNames: boolean): CborInput {
  return encodeMembers(UserEntityMembers, {
    id: user.id,
    name: includeNames ? user.name : undefined,
    displayName: includeNames ? user.displayName : undefined,
  });
}
