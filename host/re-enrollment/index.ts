export {
  ReEnrollment,
  type ReEnrollmentDependencies,
  type ReEnrollmentProgress,
  type ReEnrollmentRun,
  type ReEnrollmentResult,
} from './orchestrator.js';
export { ReEnrollmentError, type ReEnrollmentErrorCode, type ReEnrollmentStep } from './errors.js';
export {
  FileProgressStore,
  MemoryProgressStore,
  ProgressStoreError,
  type ProgressStore,
  type ReEnrollmentJournal,
} from './progress-store.js';
export type { CeremonyOptions, WebAuthnClient } from './webauthn-client.js';
