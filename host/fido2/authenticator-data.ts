import { CborError, decodeCanonicalPrefix, type CborMap } from '../../proto/ctap2/canonical-cbor.js';
import { Fido2ProtocolError } from './ctap-error.js';

export interface AuthenticatorData {
  rpIdHash: Uint8Array;
  flags: {
    userPresent: boolean;
    userVerified: boolean;
    attestedCredentialData: boolean;
    extensionData: boolean;
    raw: number;
  };
  signCount: number;
  attestedCredentialData?: {
    aaguid: Uint8Array;
    credentialId: Uint8Array;
    /** The COSE_Key exactly as the authenticator encoded it. */
    publicKey: Uint8Array;
    publicKeyMap: CborMap;
  };
  extensions?: CborMap;
}

function map(bytes: Uint8Array, offset: number, what: string): { value: CborMap; end: number } {
  try {
    const { value, end } = decodeCanonicalPrefix(bytes, offset);
    if (!(value instanceof Map)) throw new Fido2ProtocolError(`authenticatorData ${what} is not a CBOR map`);
    return { value, end };
  } catch (error) {
    if (error instanceof CborError)
      throw new Fido2ProtocolError(`authenticatorData ${what}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** Parses authenticatorData (WebAuthn §6.1), checking that the flags agree with what follows the fixed header. */
export function parseAuthenticatorData(bytes: Uint8Array): AuthenticatorData {
  if (bytes.length < 37)
    throw new Fido2ProtocolError(`authenticatorData is ${bytes.length} bytes; at least 37 expected`);
  const raw = bytes[32];
  const flags = {
    userPresent: (raw & 0x01) !== 0,
    userVerified: (raw & 0x04) !== 0,
    attestedCredentialData: (raw & 0x40) !== 0,
    extensionData: (raw & 0x80) !== 0,
    raw,
  };
  const signCount = new DataView(bytes.buffer, bytes.byteOffset + 33, 4).getUint32(0);
  const out: AuthenticatorData = { rpIdHash: bytes.slice(0, 32), flags, signCount };
  let offset = 37;
  if (flags.attestedCredentialData) {
    if (bytes.length < offset + 18)
      throw new Fido2ProtocolError('authenticatorData is too short for attested credential data');
    const aaguid = bytes.slice(offset, offset + 16);
    const idLength = (bytes[offset + 16] << 8) | bytes[offset + 17];
    offset += 18;
    if (bytes.length < offset + idLength)
      throw new Fido2ProtocolError(`authenticatorData credential ID claims ${idLength} bytes beyond its end`);
    const credentialId = bytes.slice(offset, offset + idLength);
    offset += idLength;
    const key = map(bytes, offset, 'credential public key');
    out.attestedCredentialData = {
      aaguid,
      credentialId,
      publicKey: bytes.slice(offset, key.end),
      publicKeyMap: key.value,
    };
    offset = key.end;
  }
  if (flags.extensionData) {
    const extensions = map(bytes, offset, 'extensions');
    out.extensions = extensions.value;
    offset = extensions.end;
  }
  if (offset !== bytes.length)
    throw new Fido2ProtocolError(`authenticatorData has ${bytes.length - offset} unexplained trailing byte(s)`);
  return out;
}
