import { members } from './members.js';

/** authenticatorGetInfo (CTAP 2.1 §6.4) response members. */
export const AuthenticatorGetInfoResponse = members({
  versions: { key: 0x01, type: 'array', required: true },
  extensions: { key: 0x02, type: 'array' },
  aaguid: { key: 0x03, type: 'bytes', required: true },
  options: { key: 0x04, type: 'map' },
  maxMsgSize: { key: 0x05, type: 'uint' },
  pinUvAuthProtocols: { key: 0x06, type: 'array' },
  maxCredentialCountInList: { key: 0x07, type: 'uint' },
  maxCredentialIdLength: { key: 0x08, type: 'uint' },
  transports: { key: 0x09, type: 'array' },
  algorithms: { key: 0x0a, type: 'array' },
  maxSerializedLargeBlobArray: { key: 0x0b, type: 'uint' },
  forcePINChange: { key: 0x0c, type: 'bool' },
  minPINLength: { key: 0x0d, type: 'uint' },
  firmwareVersion: { key: 0x0e, type: 'uint' },
  maxCredBlobLength: { key: 0x0f, type: 'uint' },
  maxRPIDsForSetMinPINLength: { key: 0x10, type: 'uint' },
  preferredPlatformUvAttempts: { key: 0x11, type: 'uint' },
  uvModality: { key: 0x12, type: 'uint' },
  certifications: { key: 0x13, type: 'map' },
  remainingDiscoverableCredentials: { key: 0x14, type: 'uint' },
  vendorPrototypeConfigCommands: { key: 0x15, type: 'array' },
});

/** §6.4 maxMsgSize: what a platform assumes when getInfo leaves it out. */
export const DEFAULT_MAX_MSG_SIZE = 1024;

/** uvModality values (§6.4 member 0x12): the FIDO Registry's USER_VERIFY_* bits. */
export const UvModality = { FINGERPRINT_INTERNAL: 0x02 } as const;

/** getInfo versions strings (§6.4). */
export const Ctap2Version = {
  FIDO_2_0: 'FIDO_2_0',
  FIDO_2_1_PRE: 'FIDO_2_1_PRE',
  FIDO_2_1: 'FIDO_2_1',
  U2F_V2: 'U2F_V2',
} as const;

/**
 * Option ids: the keys of getInfo's options map (§6.4) and, for rk/up/uv, of the makeCredential/getAssertion options
 * parameter (§6.1, §6.2).
 */
export const OptionId = {
  plat: 'plat',
  rk: 'rk',
  clientPin: 'clientPin',
  up: 'up',
  uv: 'uv',
  pinUvAuthToken: 'pinUvAuthToken',
  noMcGaPermissionsWithClientPin: 'noMcGaPermissionsWithClientPin',
  largeBlobs: 'largeBlobs',
  ep: 'ep',
  bioEnroll: 'bioEnroll',
  userVerificationMgmtPreview: 'userVerificationMgmtPreview',
  uvBioEnroll: 'uvBioEnroll',
  authnrCfg: 'authnrCfg',
  uvAcfg: 'uvAcfg',
  credMgmt: 'credMgmt',
  credentialMgmtPreview: 'credentialMgmtPreview',
  setMinPINLength: 'setMinPINLength',
  makeCredUvNotRqd: 'makeCredUvNotRqd',
  alwaysUv: 'alwaysUv',
} as const;
export type OptionIdName = keyof typeof OptionId;

/** The ceremony options parameter of makeCredential (§6.1 member 0x07) and getAssertion (§6.2 member 0x05). */
export const CeremonyOptions = members({
  rk: { key: OptionId.rk, type: 'bool' },
  up: { key: OptionId.up, type: 'bool' },
  uv: { key: OptionId.uv, type: 'bool' },
});
