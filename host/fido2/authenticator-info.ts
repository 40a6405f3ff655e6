import type { CborMap } from '../../proto/ctap2/canonical-cbor.js';
import { Fido2ProtocolError } from './ctap-error.js';
import { reply } from './reply-fields.js';

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
  firmwareVersion?: number;
  remainingDiscoverableCredentials?: number;
}

const OP = 'authenticatorGetInfo';

function strings(value: unknown[], what: string): string[] {
  if (!value.every((v): v is string => typeof v === 'string'))
    throw new Fido2ProtocolError(`${OP}: ${what} must be text strings`);
  return value;
}

export function parseAuthenticatorInfo(map: CborMap): AuthenticatorInfo {
  const options: Record<string, boolean> = {};
  for (const [key, value] of reply.optMap(map, 0x04, OP) ?? new Map()) {
    if (typeof key !== 'string' || typeof value !== 'boolean')
      throw new Fido2ProtocolError(`${OP}: options must map text to booleans`);
    options[key] = value;
  }
  const protocols = reply.optArray(map, 0x06, OP) ?? [];
  if (!protocols.every((p): p is number => typeof p === 'number'))
    throw new Fido2ProtocolError(`${OP}: pinUvAuthProtocols must be integers`);
  const algorithms = (reply.optArray(map, 0x0a, OP) ?? []).map((entry) => {
    if (!(entry instanceof Map)) throw new Fido2ProtocolError(`${OP}: algorithms entries must be maps`);
    return { type: reply.text(entry, 'type', OP), alg: reply.int(entry, 'alg', OP) };
  });
  const info: AuthenticatorInfo = {
    versions: strings(reply.array(map, 0x01, OP), 'versions'),
    extensions: strings(reply.optArray(map, 0x02, OP) ?? [], 'extensions'),
    aaguid: reply.bytes(map, 0x03, OP),
    options,
    pinUvAuthProtocols: protocols,
    transports: strings(reply.optArray(map, 0x09, OP) ?? [], 'transports'),
    algorithms,
  };
  const optional: [keyof AuthenticatorInfo, number][] = [
    ['maxMsgSize', 0x05],
    ['maxCredentialCountInList', 0x07],
    ['maxCredentialIdLength', 0x08],
    ['minPinLength', 0x0d],
    ['firmwareVersion', 0x0e],
    ['remainingDiscoverableCredentials', 0x14],
  ];
  for (const [name, key] of optional) {
    const value = reply.optUint(map, key, OP);
    if (value !== undefined) (info as unknown as Record<string, number>)[name] = value;
  }
  return info;
}
