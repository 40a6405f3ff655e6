// The host library: what a Band Application links. Talk to a band (BandClient, Fido2Client), run the flows a
// user goes through (delete user data, enrollment, self-service re-enrollment), and keep the enterprise's view
// (Directory, policy, relying parties).
export { BandClient, type BandClientOptions, type BandEvent } from './band-client.js';
export type { RequestName, RequestOf, ReplyOf } from '../proto/index.js';
export { BandChannel, type CallOptions, type Lane } from './channel.js';
export { DebugLink } from './debug-link.js';
export { AuthenticationFailedError, BandClientError, BandError, type BandClientErrorCode } from './errors.js';
export { EventWaiter } from './event-waiter.js';

export { describeInstruction, type Instruction, type UserInteraction } from './user-interaction.js';
export { SimulatedUser } from './simulated-user.js';
export { ConsoleUser } from './console-user.js';
export { deleteUserData, type DeleteUserDataOptions } from './delete-user-data.js';
export { authenticate, type AuthenticateOptions } from './authenticate.js';
export { enroll, type EnrollOptions, type EnrollProgress, type EnrollRequest, type EnrollResult } from './enroll.js';

export * from './fido2/index.js';
export { BandWebAuthn } from './band-webauthn.js';
export * from './directory/index.js';
export * from './relying-party/index.js';
export * from './re-enrollment/index.js';
// The conformance suite firmware engineers run against the emulator or a real band (docs/conformance.md).
export {
  runConformance,
  type ConformanceOptions,
  type ConformanceReport,
  type RequirementResult,
} from './conformance/index.js';
export * as conformance from './conformance/index.js';
