/**
 * band-stack for host applications: what a Band Application links.
 *
 * - Talk to a band: {@link openBand} gives a {@link BandClient} (the band protocol, its events, and
 *   {@link Fido2Client} for CTAP2 on the same link).
 * - Run what a user does: {@link ReEnrollment} (self-service re-enrollment, with progress events),
 *   {@link registerKey}, and the single flows {@link deleteUserData}, {@link enroll}, {@link authenticate}.
 *   Each asks the person through a {@link UserInteraction}: {@link ConsoleUser} on a terminal,
 *   {@link SimulatedUser} over a test band's debug link.
 * - Keep the enterprise's view: a {@link Directory} ({@link FileDirectory}, {@link MemoryDirectory}, or your
 *   server), changed by {@link DirectoryAdmin}, shown with {@link userProperties}; relying parties behind
 *   {@link RelyingParty}, {@link WebAuthnRelyingParty} built in.
 *
 * Failures are typed: {@link BandClientError}, {@link BandError}, {@link AuthenticationFailedError},
 * {@link CtapError}, {@link Fido2ProtocolError}, {@link BioEnrollmentError}, {@link DirectoryError},
 * {@link RelyingPartyError}, {@link ReEnrollmentError}, {@link TransportError}. Specialists have subpaths:
 * `band-stack/transport`, `band-stack/proto`, `band-stack/firmware-sim`, `band-stack/conformance`.
 * docs/host-guide.md walks through a complete host application.
 *
 * @packageDocumentation
 */

// Talking to a band
export { openBand, type OpenBandOptions } from './open-band.js';
export { BandClient, type BandClientOptions, type BandEvent, type BandEventsOptions } from './band-client.js';
export type { HeartbeatOptions } from './heartbeat.js';
export type { CallOptions } from './channel.js';
export {
  Fido2Client,
  type MakeCredentialRequest,
  type MakeCredentialResult,
  type GetAssertionRequest,
  type AssertionResult,
} from './fido2/fido2-client.js';

// What a user does with a band
export { ReEnrollment } from './re-enrollment/orchestrator.js';
export type {
  ReEnrollmentDependencies,
  ReEnrollmentProgress,
  ReEnrollmentRun,
  ReEnrollmentResult,
} from './re-enrollment/orchestrator.js';
export type { ReEnrollmentStep } from './re-enrollment/errors.js';
export { FileProgressStore, MemoryProgressStore, type ProgressStore } from './re-enrollment/progress-store.js';
export { registerKey, type RegisterKeyProgress, type RegisterKeyRequest } from './register-key.js';
export { deleteUserData } from './delete-user-data.js';
export { enroll, type EnrollProgress } from './enroll.js';
export { authenticate } from './authenticate.js';
export { BandWebAuthn, type BandWebAuthnOptions } from './band-webauthn.js';

// The person holding the band
export type { Instruction, UserInteraction } from './user-interaction.js';
export { ConsoleUser } from './console-user.js';
export { SimulatedUser } from './simulated-user.js';

// The enterprise directory
export type { Directory } from './directory/directory.js';
export { FileDirectory } from './directory/file-directory.js';
export { MemoryDirectory } from './directory/memory-directory.js';
export { DirectoryAdmin, type BandRegistration } from './directory/admin.js';
export type { DeviceId } from './directory/device-id.js';
export type {
  Association,
  DirectoryBand,
  DirectoryDraft,
  DirectorySnapshot,
  DirectoryUser,
  Policy,
} from './directory/model.js';
export { userProperties, type UserPropertiesRow } from './directory/user-properties.js';

// Relying parties
export type { RegisteredCredential, RelyingParty } from './relying-party/relying-party.js';
export { WebAuthnRelyingParty, type WebAuthnRelyingPartyOptions } from './relying-party/webauthn-relying-party.js';
export type { AttestationRequirement } from './relying-party/attestation-policy.js';

// Errors
export { AuthenticationFailedError, BandClientError, BandError } from './errors.js';
export { CtapError, Fido2ProtocolError } from './fido2/ctap-error.js';
export { LargeBlobError } from './fido2/large-blobs.js';
export { BioEnrollmentError } from './fido2/bio-enrollment.js';
export { DirectoryError } from './directory/errors.js';
export { RelyingPartyError, type AttestationRefusal } from './relying-party/errors.js';
export { ReEnrollmentError } from './re-enrollment/errors.js';
export { TransportError } from '../transport/index.js';
