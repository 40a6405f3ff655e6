import { members } from './members.js';

/**
 * The WebAuthn dictionaries CTAP2 carries inside its maps (CTAP 2.1 §6.1 "PublicKeyCredential..." structures, keyed
 * by text as in WebAuthn §5.4).
 */
export const RpEntity = members({
  id: { key: 'id', type: 'text', required: true },
  name: { key: 'name', type: 'text' },
  /** Deprecated; type-checked and dropped. */
  icon: { key: 'icon', type: 'text' },
});

export const UserEntity = members({
  id: { key: 'id', type: 'bytes', required: true },
  name: { key: 'name', type: 'text' },
  displayName: { key: 'displayName', type: 'text' },
  /** Deprecated; type-checked and dropped. */
  icon: { key: 'icon', type: 'text' },
});

export const PublicKeyCredentialDescriptor = members({
  type: { key: 'type', type: 'text', required: true },
  id: { key: 'id', type: 'bytes', required: true },
  transports: { key: 'transports', type: 'array' },
});

export const PublicKeyCredentialParameters = members({
  type: { key: 'type', type: 'text', required: true },
  alg: { key: 'alg', type: 'int', required: true },
});

/** packed attestation statement (WebAuthn §8.2): `x5c` present for basic (batch) attestation, absent for self. */
export const PackedAttestationStatement = members({
  alg: { key: 'alg', type: 'int', required: true },
  sig: { key: 'sig', type: 'bytes', required: true },
  x5c: { key: 'x5c', type: 'array' },
});

/** The only credential type CTAP2 knows. */
export const PUBLIC_KEY_CREDENTIAL_TYPE = 'public-key';

/** The attestation statement format this band produces (WebAuthn §8.2). */
export const PACKED_ATTESTATION_FORMAT = 'packed';

/** WebAuthn L3 §7.1 step 18 (the credentialIdLength bound of §6.5.2): a credential ID is at most 1023 bytes. */
export const MAX_CREDENTIAL_ID_BYTES = 1023;
