import type { CborValue } from '../../proto/ctap2/canonical-cbor.js';
import { PUBLIC_KEY_CREDENTIAL_TYPE, PublicKeyCredentialDescriptor } from '../../proto/ctap2/webauthn-entities.js';
import { parseRequestMembers } from '../../proto/ctap2/ctap-failure.js';

/**
 * Reads an excludeList/allowList (arrays of PublicKeyCredentialDescriptor {type, id, transports?}). Every entry is
 * type-checked; entries of a type other than "public-key" are skipped as WebAuthn asks for unknown credential types.
 */
export function credentialIdsOf(list: CborValue[], where: string): Uint8Array[] {
  const ids: Uint8Array[] = [];
  list.forEach((entry, index) => {
    const { type, id } = parseRequestMembers(PublicKeyCredentialDescriptor, entry, `${where}[${index}]`);
    if (type === PUBLIC_KEY_CREDENTIAL_TYPE) ids.push(id);
  });
  return ids;
}
