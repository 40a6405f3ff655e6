import type { CborMap } from '../../proto/ctap2/canonical-cbor.js';
import { AuthenticatorGetInfoResponse } from '../../proto/ctap2/get-info.js';
import { PublicKeyCredentialParameters } from '../../proto/ctap2/webauthn-entities.js';
import { Fido2ProtocolError } from './ctap-error.js';
import { decodeReply } from './reply-fields.js';

/** authenticatorGetInfo (CTAP 2.1 §6.4), typed. */
export interface AuthenticatorInfo {
  versions: string[];
  extensions: string[];
  aaguid: Uint8Array;
  options: Record<string, boolean>;
  maxMsgSize?: number;
  pinUvAuthProtocols: number[];
  maxCredentialCountInList?: number;
  maxCredentialIdLength?: number;
  transports: string[];
  algorithms: { type: string; alg: number }[];
  minPinLength?: number;
  /** The PIN must be changed before a token is issued (authenticatorConfig setMinPINLength). */
  forcePinChange?: boolean;
  firmwareVersion?: number;
  maxCredBlobLength?: number;
  maxRPIDsForSetMinPINLength?: number;
  remainingDiscoverableCredentials?: number;
  /** The largest serialized large-blob array the authenticator keeps (with the `largeBlobs` option, §6.10). */
  maxSerializedLargeBlobArray?: number;
}

const OP = 'authenticatorGetInfo';

function strings(value: unknown[], what: string): string[] {
  if (!value.every((v): v is string => typeof v === 'string'))
    throw new Fido2ProtocolError(`${OP}: ${what} must be text strings`);
  return value;
}

export function parseAuthenticatorInfo(map: CborMap): AuthenticatorInfo {
  const info = decodeReply(AuthenticatorGetInfoResponse, map, OP);
  const options: Record<string, boolean> = {};
  for (const [key, value] of info.options ?? new Map()) {
    if (typeof key !== 'string' || typeof value !== 'boolean')
      throw new Fido2ProtocolError(`${OP}: options must map text to booleans`);
    options[key] = value;
  }
  const protocols = info.pinUvAuthProtocols ?? [];
  if (!protocols.every((p): p is number => typeof p === 'number'))
    throw new Fido2ProtocolError(`${OP}: pinUvAuthProtocols must be integers`);
  const algorithms = (info.algorithms ?? []).map((entry) => {
    if (!(entry instanceof Map)) throw new Fido2ProtocolError(`${OP}: algorithms entries must be maps`);
    const { type, alg } = decodeReply(PublicKeyCredentialParameters, entry, `${OP} algorithms`);
    return { type, alg };
  });
  return {
    versions: strings(info.versions, 'versions'),
    extensions: strings(info.extensions ?? [], 'extensions'),
    aaguid: info.aaguid,
    options,
    pinUvAuthProtocols: protocols,
    transports: strings(info.transports ?? [], 'transports'),
    algorithms,
    ...(info.maxMsgSize !== undefined ? { maxMsgSize: info.maxMsgSize } : {}),
    ...(info.maxCredentialCountInList !== undefined ? { maxCredentialCountInList: info.maxCredentialCountInList } : {}),
    ...(info.maxCredentialIdLength !== undefined ? { maxCredentialIdLength: info.maxCredentialIdLength } : {}),
    ...(info.minPINLength !== undefined ? { minPinLength: info.minPINLength } : {}),
    ...(info.forcePINChange !== undefined ? { forcePinChange: info.forcePINChange } : {}),
    ...(info.firmwareVersion !== undefined ? { firmwareVersion: info.firmwareVersion } : {}),
    ...(info.maxCredBlobLength !== undefined ? { maxCredBlobLength: info.maxCredBlobLength } : {}),
    ...(info.maxRPIDsForSetMinPINLength !== undefined
      ? { maxRPIDsForSetMinPINLength: info.maxRPIDsForSetMinPINLength }
      : {}),
    ...(info.remainingDiscoverableCredentials !== undefined
      ? { remainingDiscoverableCredentials: info.remainingDiscoverableCredentials }
      : {}),
    ...(info.maxSerializedLargeBlobArray !== undefined
      ? { maxSerializedLargeBlobArray: info.maxSerializedLargeBlobArray }
      : {}),
  };
}
