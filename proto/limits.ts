/**
 * The band's capacity limits, each written once. The band enforces them, hosts and the conformance suite check
 * against them, and docs/ quotes them (test/proto/docs-numbers.test.ts holds the docs to these values).
 */

/**
 * Discoverable (resident) credentials the band's flash holds: its CTAP2 maxResidentCredentials (CTAP 2.1 §6.4
 * remainingDiscoverableCredentials counts down from it) and the most ListFidoCredentialsResponse lists.
 */
export const MAX_DISCOVERABLE_CREDENTIALS = 50;

/** CTAP 2.1 §6.4 maxCredentialCountInList: allowList / excludeList entries the band reads in one request. */
export const MAX_CREDENTIAL_COUNT_IN_LIST = 16;

/**
 * The WebAuthn user name the band keeps with a discoverable credential (band.proto FidoCredential.user_name): at
 * most 64 bytes, as CTAP 2.1 §6.1.2 lets an authenticator shorten user.name to keep its records bounded.
 */
export const MAX_FIDO_USER_NAME_BYTES = 64;

/** band.proto Error.message: what a refusal says to people, at most 200 bytes of UTF-8. */
export const MAX_ERROR_MESSAGE_BYTES = 200;

/** CTAP 2.1 §6.5.5.1: a PIN is at least 4 code points ... */
export const MIN_PIN_LENGTH = 4;
/** ... and at most 63 bytes of UTF-8, so that it fits the 64-byte padded block with a 0x00 after it. */
export const MAX_PIN_BYTES = 63;
export const PADDED_PIN_BYTES = MAX_PIN_BYTES + 1;

/** CTAP 2.1 §6.4 maxCredBlobLength: the longest credBlob (§12.2) the band keeps with a credential; 32 is the least allowed. */
export const MAX_CRED_BLOB_LENGTH = 32;

/**
 * CTAP 2.1 §6.4 maxRPIDsForSetMinPINLength: how many RP IDs authenticatorConfig setMinPINLength (§6.11.4) may allow to
 * read the minimum PIN length through the minPinLength extension. They live in one flash record, so a small bound.
 */
export const MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH = 8;

/**
 * CTAP 2.1 §6.4 maxSerializedLargeBlobArray: the largest serialized large-blob array (§6.10), its 16-byte hash
 * included, that the band keeps; the spec's least is 1024. 4 KiB: the band's flash journal is compacted at 64 KiB and
 * also holds the discoverable credentials (50 records of about 250 bytes), so the array and a write of a new one
 * fit beside them with room to spare, and the pending write is one static 4 KiB RAM buffer. It is smaller than one
 * fragment (maxMsgSize − 64), so a platform reads or writes the whole array in one command.
 */
export const MAX_SERIALIZED_LARGE_BLOB_ARRAY = 4096;
