export type { Directory } from './directory.js';
export * from './errors.js';
export * from './model.js';
export { MemoryDirectory, type MemoryDirectoryOptions } from './memory-directory.js';
export { FileDirectory, DEFAULT_DIRECTORY_PATH, type FileDirectoryOptions } from './file-directory.js';
export {
  DIRECTORY_FILE_FORMAT,
  DIRECTORY_FILE_VERSION,
  decodeDirectoryFile,
  encodeDirectoryFile,
} from './directory-file-format.js';
export { findViolations, assertInvariants, type InvariantViolation } from './invariants.js';
export { SERIAL_NUMBER_PATTERN } from '../../proto/index.js';
export { isSerialNumber, assertSerialNumber } from './serial-number.js';
export { normalizeDeviceId } from './device-id.js';
export * from './queries.js';
export * from './policy.js';
export * from './apply-re-enrollment.js';
export * from './admin.js';
export * from './user-properties.js';
export * from './changes.js';
export { writeFileAtomic } from './atomic-file.js';
