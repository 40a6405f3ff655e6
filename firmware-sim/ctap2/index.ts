export { Ctap2Authenticator, type Ctap2Observer } from './authenticator.js';
export {
  UserPresenceTimeoutError,
  ATTESTATION_MODES,
  type AttestationMode,
  type Ctap2Config,
  type BioSensor,
  type BioTemplate,
  type Ctap2Env,
  type UserPresencePurpose,
  type UserPresenceRequest,
} from './env.js';
export { CtapStatus, ctapStatusName, type CtapStatusCode, type CtapStatusName } from '../../proto/ctap2/status.js';
export { Ctap2Command } from '../../proto/ctap2/command.js';
export { FIDO2_PREFIX, StoreKeys, MAX_PIN_RETRIES } from './fido2-store.js';
export { CREDENTIAL_ID_LENGTH } from './credential-id.js';
export { RESET_WINDOW_MS } from './reset.js';
export { MAX_MSG_SIZE } from './get-info.js';
export {
  encodeCanonical,
  decodeCanonical,
  CborError,
  type CborValue,
  type CborMap,
  type CborInput,
} from '../../proto/ctap2/canonical-cbor.js';
export { decodeResidentCredential, type ResidentCredential, type UserEntity } from './resident-credential.js';
export {
  ATTESTATION_MODEL,
  ATTESTATION_STORE_KEY,
  ENTERPRISE_ATTESTATION_STORE_KEY,
  modelAttestationRoot,
  type AttestationRoot,
} from './attestation.js';
export {
  ENTERPRISE_RP_IDS_STORE_KEY,
  EnterpriseProvisioningError,
  MAX_ENTERPRISE_RP_IDS,
  enterpriseRpIds,
  enterpriseRpIdsProblem,
  provisionEnterpriseRpIds,
} from './enterprise-attestation.js';
