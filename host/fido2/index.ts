export {
  Fido2Client,
  type MakeCredentialRequest,
  type MakeCredentialResult,
  type GetAssertionRequest,
  type AssertionResult,
  type ClientDataSource,
} from './fido2-client.js';
export { ClientPin, type ProtocolChoice } from './client-pin.js';
export { AuthenticatorConfig, type SetMinPinLengthOptions } from './authenticator-config.js';
export {
  BioEnrollment,
  BioEnrollmentError,
  type EnrollOptions,
  type EnrollSample,
  type FingerprintSensorInfo,
  type FingerprintTemplate,
} from './bio-enrollment.js';
export { EnterpriseAttestation, type EnterpriseAttestationKind } from '../../proto/ctap2/make-credential.js';
export { CredentialManagement, type ResidentRp, type ResidentCredentialInfo } from './credential-management.js';
export {
  LargeBlobs,
  LargeBlobError,
  largeBlobEntrySize,
  sealLargeBlob,
  type LargeBlobArray,
  type LargeBlobCompression,
  type LargeBlobErrorCode,
  type LargeBlobWriteOptions,
  type PutBlobOptions,
} from './large-blobs.js';
export { CtapChannel, type Transact, type TransactOptions } from './ctap-channel.js';
export { CtapError, Fido2ProtocolError } from './ctap-error.js';
export { CtapStatus, ctapStatusName, type CtapStatusCode, type CtapStatusName } from '../../proto/ctap2/status.js';
export { PinUvAuthToken, Permission } from './pin-uv-auth-token.js';
export { buildClientData, type ClientData, type ClientDataInput } from './client-data.js';
export { parseAuthenticatorData, type AuthenticatorData } from './authenticator-data.js';
export { type AuthenticatorInfo } from './authenticator-info.js';
export { registrationResponseJSON, authenticationResponseJSON } from './webauthn-json.js';
export {
  encodeCanonical,
  decodeCanonical,
  CborError,
  type CborValue,
  type CborMap,
  type CborInput,
} from '../../proto/ctap2/canonical-cbor.js';
export type {
  GetAssertionExtensionInputs,
  GetAssertionExtensionOutputs,
  HmacSecretOutputs,
  HmacSecretSalts,
  MakeCredentialExtensionInputs,
  MakeCredentialExtensionOutputs,
} from '../../proto/ctap2/extensions/index.js';
