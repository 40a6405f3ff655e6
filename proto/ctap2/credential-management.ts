import { LARGE_BLOB_KEY_BYTES } from './large-blobs.js';
import { members } from './members.js';

/** authenticatorCredentialManagement (CTAP 2.1 §6.8) sub-commands. */
export const CredentialManagementSubCommand = {
  GET_CREDS_METADATA: 0x01,
  ENUMERATE_RPS_BEGIN: 0x02,
  ENUMERATE_RPS_GET_NEXT_RP: 0x03,
  ENUMERATE_CREDENTIALS_BEGIN: 0x04,
  ENUMERATE_CREDENTIALS_GET_NEXT_CREDENTIAL: 0x05,
  DELETE_CREDENTIAL: 0x06,
  UPDATE_USER_INFORMATION: 0x07,
} as const;

export const CREDENTIAL_MANAGEMENT_SUB_COMMAND_NAMES: Readonly<Record<number, string>> = {
  [CredentialManagementSubCommand.GET_CREDS_METADATA]: 'getCredsMetadata',
  [CredentialManagementSubCommand.ENUMERATE_RPS_BEGIN]: 'enumerateRPsBegin',
  [CredentialManagementSubCommand.ENUMERATE_RPS_GET_NEXT_RP]: 'enumerateRPsGetNextRP',
  [CredentialManagementSubCommand.ENUMERATE_CREDENTIALS_BEGIN]: 'enumerateCredentialsBegin',
  [CredentialManagementSubCommand.ENUMERATE_CREDENTIALS_GET_NEXT_CREDENTIAL]: 'enumerateCredentialsGetNextCredential',
  [CredentialManagementSubCommand.DELETE_CREDENTIAL]: 'deleteCredential',
  [CredentialManagementSubCommand.UPDATE_USER_INFORMATION]: 'updateUserInformation',
};

/** authenticatorCredentialManagement request members (§6.8). */
export const CredentialManagementRequest = members({
  subCommand: { key: 0x01, type: 'uint', required: true },
  subCommandParams: { key: 0x02, type: 'map' },
  pinUvAuthProtocol: { key: 0x03, type: 'uint' },
  pinUvAuthParam: { key: 0x04, type: 'bytes' },
});

/** subCommandParams members (§6.8). */
export const CredentialManagementSubCommandParams = members({
  rpIDHash: { key: 0x01, type: 'bytes' },
  credentialID: { key: 0x02, type: 'map' },
  user: { key: 0x03, type: 'map' },
});

/** authenticatorCredentialManagement response members (§6.8). */
export const CredentialManagementResponse = members({
  existingResidentCredentialsCount: { key: 0x01, type: 'uint' },
  maxPossibleRemainingResidentCredentialsCount: { key: 0x02, type: 'uint' },
  rp: { key: 0x03, type: 'map' },
  rpIDHash: { key: 0x04, type: 'bytes' },
  totalRPs: { key: 0x05, type: 'uint' },
  user: { key: 0x06, type: 'map' },
  credentialID: { key: 0x07, type: 'map' },
  publicKey: { key: 0x08, type: 'map' },
  totalCredentials: { key: 0x09, type: 'uint' },
  credProtect: { key: 0x0a, type: 'uint' },
  /** §6.8.3: the credential's largeBlobKey (§12.3), when it has one; a holder of a cm token finds its blob by it. */
  largeBlobKey: { key: 0x0b, type: 'bytes', length: LARGE_BLOB_KEY_BYTES },
});
