import { members } from './members.js';

/** authenticatorClientPIN (CTAP 2.1 §6.5.5) sub-commands. */
export const ClientPinSubCommand = {
  GET_PIN_RETRIES: 0x01,
  GET_KEY_AGREEMENT: 0x02,
  SET_PIN: 0x03,
  CHANGE_PIN: 0x04,
  GET_PIN_TOKEN: 0x05,
  GET_PIN_UV_AUTH_TOKEN_USING_UV_WITH_PERMISSIONS: 0x06,
  GET_UV_RETRIES: 0x07,
  GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS: 0x09,
} as const;

/** The spec's names of the sub-commands, for traces. */
export const CLIENT_PIN_SUB_COMMAND_NAMES: Readonly<Record<number, string>> = {
  [ClientPinSubCommand.GET_PIN_RETRIES]: 'getPINRetries',
  [ClientPinSubCommand.GET_KEY_AGREEMENT]: 'getKeyAgreement',
  [ClientPinSubCommand.SET_PIN]: 'setPIN',
  [ClientPinSubCommand.CHANGE_PIN]: 'changePIN',
  [ClientPinSubCommand.GET_PIN_TOKEN]: 'getPinToken',
  [ClientPinSubCommand.GET_PIN_UV_AUTH_TOKEN_USING_UV_WITH_PERMISSIONS]: 'getPinUvAuthTokenUsingUvWithPermissions',
  [ClientPinSubCommand.GET_UV_RETRIES]: 'getUVRetries',
  [ClientPinSubCommand.GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS]: 'getPinUvAuthTokenUsingPinWithPermissions',
};

/** authenticatorClientPIN request members (§6.5.5.1). */
export const ClientPinRequest = members({
  pinUvAuthProtocol: { key: 0x01, type: 'uint' },
  subCommand: { key: 0x02, type: 'uint', required: true },
  keyAgreement: { key: 0x03, type: 'map' },
  pinUvAuthParam: { key: 0x04, type: 'bytes' },
  newPinEnc: { key: 0x05, type: 'bytes' },
  pinHashEnc: { key: 0x06, type: 'bytes' },
  permissions: { key: 0x09, type: 'uint' },
  rpId: { key: 0x0a, type: 'text' },
});

/** authenticatorClientPIN response members (§6.5.5.2). */
export const ClientPinResponse = members({
  keyAgreement: { key: 0x01, type: 'map' },
  pinUvAuthToken: { key: 0x02, type: 'bytes' },
  pinRetries: { key: 0x03, type: 'uint' },
  powerCycleState: { key: 0x04, type: 'bool' },
  uvRetries: { key: 0x05, type: 'uint' },
});

/** pinUvAuthToken permissions (§6.5.5.7), a bit mask. */
export const Permission = {
  MAKE_CREDENTIAL: 0x01,
  GET_ASSERTION: 0x02,
  CREDENTIAL_MANAGEMENT: 0x04,
  BIO_ENROLLMENT: 0x08,
  LARGE_BLOB_WRITE: 0x10,
  AUTHENTICATOR_CONFIG: 0x20,
} as const;

/** PIN/UV auth protocol identifiers (§6.5.6 one, §6.5.7 two). */
export const PinUvAuthProtocolId = { ONE: 1, TWO: 2 } as const;
