export * from './errors.js';
export type { AttestationRequirement } from './attestation-policy.js';
export type * from './relying-party.js';
export {
  WebAuthnRelyingParty,
  SUPPORTED_ALGORITHM_IDS,
  type WebAuthnRelyingPartyOptions,
} from './webauthn-relying-party.js';
export {
  RELYING_PARTY_FILE_FORMAT,
  RELYING_PARTY_FILE_VERSION,
  type RelyingPartyState,
  type RelyingPartyUserRecord,
} from './relying-party-state.js';
