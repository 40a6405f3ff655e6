import { encodeCanonical, type CborInput } from '../../proto/ctap2/canonical-cbor.js';

/** authenticatorData flag bits (WebAuthn §6.1). */
export const AuthDataFlag = { UP: 0x01, UV: 0x04, AT: 0x40, ED: 0x80 } as const;

export interface AttestedCredentialData {
  aaguid: Uint8Array;
  credentialId: Uint8Array;
  /** COSE_Key of the credential public key. */
  publicKey: CborInput;
}

/**
 * rpIdHash(32) || flags(1) || signCount(4, big-endian) || [attestedCredentialData] || [extensions]. The AT and ED
 * flags follow from what is present, so a caller cannot set one without the data.
 */
export function buildAuthData(parts: {
  rpIdHash: Uint8Array;
  flags: number;
  signCount: number;
  attested?: AttestedCredentialData;
  extensions?: ReadonlyMap<string, CborInput>;
}): Uint8Array {
  let flags = parts.flags & (AuthDataFlag.UP | AuthDataFlag.UV);
  const chunks: Uint8Array[] = [];
  if (parts.attested !== undefined) {
    flags |= AuthDataFlag.AT;
    const { aaguid, credentialId, publicKey } = parts.attested;
    const length = new Uint8Array(2);
    new DataView(length.buffer).setUint16(0, credentialId.length);
    chunks.push(aaguid, length, credentialId, encodeCanonical(publicKey));
  }
  if (parts.extensions !== undefined && parts.extensions.size > 0) {
    flags |= AuthDataFlag.ED;
    chunks.push(encodeCanonical(parts.extensions));
  }
  const head = new Uint8Array(37);
  head.set(parts.rpIdHash, 0);
  head[32] = flags;
  new DataView(head.buffer).setUint32(33, parts.signCount);
  const out = new Uint8Array(head.length + chunks.reduce((n, c) => n + c.length, 0));
  out.set(head, 0);
  let offset = head.length;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
