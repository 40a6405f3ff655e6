import { credBlob } from './cred-blob.js';
import { credProtect } from './cred-protect.js';
import type { CredProtectLevel, Ctap2Extension } from './extension.js';
import { hmacSecret, type HmacSecretOutputs, type HmacSecretSalts } from './hmac-secret.js';
import { largeBlobKey } from './large-blob-key.js';
import { minPinLength } from './min-pin-length.js';

/**
 * The extensions this stack implements, both halves (CTAP 2.1 §12). The band offers every one in getInfo and
 * processes them in this order; Fido2Client builds inputs and reads outputs through the same modules. Adding an
 * extension: one module next to these, a line here, and its client-facing types below.
 */
export const CTAP2_EXTENSIONS: readonly Ctap2Extension<unknown, unknown, unknown, unknown>[] = [
  credProtect,
  hmacSecret,
  credBlob,
  minPinLength,
  largeBlobKey,
] as readonly Ctap2Extension<unknown, unknown, unknown, unknown>[];

/** What Fido2Client.makeCredential takes in `extensions`, by each module's client name. */
export interface MakeCredentialExtensionInputs {
  credProtect?: CredProtectLevel;
  hmacSecret?: boolean;
  credBlob?: Uint8Array;
  minPinLength?: boolean;
  /** Ask for a key to encrypt the credential's large blob with (discoverable credentials only, §12.3). */
  largeBlobKey?: boolean;
}

/** What Fido2Client.makeCredential reports in `extensions`. */
export interface MakeCredentialExtensionOutputs {
  credProtect?: CredProtectLevel;
  hmacSecret?: boolean;
  /** Whether the authenticator stored the blob. */
  credBlob?: boolean;
  /** The authenticator's minimum PIN length, when this RP may know it. */
  minPinLength?: number;
  /** The credential's 32-byte largeBlobKey (§12.3), for Fido2Client.largeBlobs getBlob/putBlob. */
  largeBlobKey?: Uint8Array;
}

/** What Fido2Client.getAssertion takes in `extensions`. */
export interface GetAssertionExtensionInputs {
  hmacSecret?: HmacSecretSalts;
  /** Ask for the credential's blob. */
  credBlob?: boolean;
  /** Ask for each asserted credential's largeBlobKey. */
  largeBlobKey?: boolean;
}

/** What Fido2Client.getAssertion reports in `extensions`, per assertion. */
export interface GetAssertionExtensionOutputs {
  hmacSecret?: HmacSecretOutputs;
  credBlob?: Uint8Array;
  /** The credential's largeBlobKey, when it has one. */
  largeBlobKey?: Uint8Array;
}

export * from './extension.js';
export { credBlob, CRED_BLOB } from './cred-blob.js';
export { credProtect, CRED_PROTECT, CredProtect, credProtectAllows, isCredProtectLevel } from './cred-protect.js';
export {
  hmacSecret,
  HMAC_SECRET,
  HmacSecretGetInput,
  type HmacSecretOutputs,
  type HmacSecretSalts,
} from './hmac-secret.js';
export { minPinLength, MIN_PIN_LENGTH_EXTENSION } from './min-pin-length.js';
export { largeBlobKey, LARGE_BLOB_KEY, storedLargeBlobKey } from './large-blob-key.js';
