import type { CborValue } from '../../proto/ctap2/canonical-cbor.js';
import { arrayField, asMap, bytesField, textField } from './request-fields.js';

/**
 * Reads an excludeList/allowList (arrays of PublicKeyCredentialDescriptor {type, id, transports?}). Every entry is
 * type-checked; entries of a type other than "public-key" are skipped as WebAuthn asks for unknown credential types.
 */
export function credentialIdsOf(list: CborValue[], where: string): Uint8Array[] {
  const ids: Uint8Array[] = [];
  list.forEach((entry, index) => {
    const label = `${where}[${index}]`;
    const descriptor = asMap(entry, label);
    const type = textField(descriptor, 'type', label, true);
    const id = bytesField(descriptor, 'id', label, true);
    arrayField(descriptor, 'transports', label, false);
    if (type === 'public-key') ids.push(id);
  });
  return ids;
}
