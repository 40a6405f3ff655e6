import type { CborKey, CborMap, CborValue } from '../../proto/ctap2/canonical-cbor.js';
import { Fido2ProtocolError } from './ctap-error.js';

/** Typed reads of authenticator replies: a missing or mistyped member is a Fido2ProtocolError naming it. */
function read<T>(
  map: CborMap,
  key: CborKey,
  operation: string,
  expected: string,
  guard: (v: CborValue) => v is CborValue & T,
  required: boolean,
): T | undefined {
  const value = map.get(key);
  if (value === undefined) {
    if (required)
      throw new Fido2ProtocolError(`${operation}: the response lacks member ${JSON.stringify(key)} (${expected})`);
    return undefined;
  }
  if (!guard(value))
    throw new Fido2ProtocolError(`${operation}: response member ${JSON.stringify(key)} should be a ${expected}`);
  return value;
}

const isBytes = (v: CborValue): v is Uint8Array => v instanceof Uint8Array;
const isText = (v: CborValue): v is string => typeof v === 'string';
const isUint = (v: CborValue): v is number => typeof v === 'number' && v >= 0;
const isInt = (v: CborValue): v is number => typeof v === 'number';
const isBool = (v: CborValue): v is boolean => typeof v === 'boolean';
const isMap = (v: CborValue): v is CborMap => v instanceof Map;
const isArray = (v: CborValue): v is CborValue[] => Array.isArray(v);

export const reply = {
  bytes: (m: CborMap, k: CborKey, op: string) => read(m, k, op, 'byte string', isBytes, true) as Uint8Array,
  text: (m: CborMap, k: CborKey, op: string) => read(m, k, op, 'text string', isText, true) as string,
  uint: (m: CborMap, k: CborKey, op: string) => read(m, k, op, 'unsigned integer', isUint, true) as number,
  int: (m: CborMap, k: CborKey, op: string) => read(m, k, op, 'integer', isInt, true) as number,
  map: (m: CborMap, k: CborKey, op: string) => read(m, k, op, 'map', isMap, true) as CborMap,
  array: (m: CborMap, k: CborKey, op: string) => read(m, k, op, 'array', isArray, true) as CborValue[],
  optBytes: (m: CborMap, k: CborKey, op: string) => read(m, k, op, 'byte string', isBytes, false),
  optText: (m: CborMap, k: CborKey, op: string) => read(m, k, op, 'text string', isText, false),
  optUint: (m: CborMap, k: CborKey, op: string) => read(m, k, op, 'unsigned integer', isUint, false),
  optBool: (m: CborMap, k: CborKey, op: string) => read(m, k, op, 'boolean', isBool, false),
  optMap: (m: CborMap, k: CborKey, op: string) => read(m, k, op, 'map', isMap, false),
  optArray: (m: CborMap, k: CborKey, op: string) => read(m, k, op, 'array', isArray, false),
};

export function requireReply(value: CborMap | undefined, operation: string): CborMap {
  if (value === undefined)
    throw new Fido2ProtocolError(`${operation}: the authenticator returned OK without the expected response map`);
  return value;
}
