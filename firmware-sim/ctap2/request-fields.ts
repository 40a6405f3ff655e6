import type { CborKey, CborMap, CborValue } from '../../proto/ctap2/canonical-cbor.js';
import { CtapStatus, fail } from './ctap-failure.js';

/**
 * Typed reads of request fields with the spec's error codes: an absent required field is
 * CTAP2_ERR_MISSING_PARAMETER, a field of the wrong CBOR type is CTAP2_ERR_CBOR_UNEXPECTED_TYPE. Keys a command does
 * not know are never looked at, so they are ignored (CTAP 2.1 §6 is forward-compatible: new optional members may
 * appear in requests from newer platforms).
 */

function label(key: CborKey, where: string): string {
  return `${where} member ${typeof key === 'number' ? `0x${key.toString(16).padStart(2, '0')}` : JSON.stringify(key)}`;
}

function typeOf(value: CborValue): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return 'byte string';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Map) return 'map';
  if (typeof value === 'number' || typeof value === 'bigint')
    return value < 0 ? 'negative integer' : 'unsigned integer';
  if (typeof value === 'string') return 'text string';
  return typeof value;
}

function wrongType(key: CborKey, where: string, expected: string, got: CborValue): never {
  fail(CtapStatus.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, `${label(key, where)} must be a ${expected}; got a ${typeOf(got)}`);
}

function present(map: CborMap, key: CborKey, where: string, required: boolean): CborValue | undefined {
  const value = map.get(key);
  if (value === undefined && required)
    fail(CtapStatus.CTAP2_ERR_MISSING_PARAMETER, `${label(key, where)} is required but absent`);
  return value;
}

export function asMap(value: CborValue, what: string): CborMap {
  if (!(value instanceof Map)) {
    fail(CtapStatus.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, `${what} must be a CBOR map; got a ${typeOf(value)}`);
  }
  return value;
}

export function bytesField(map: CborMap, key: CborKey, where: string, required: true): Uint8Array;
export function bytesField(map: CborMap, key: CborKey, where: string, required: false): Uint8Array | undefined;
export function bytesField(map: CborMap, key: CborKey, where: string, required: boolean): Uint8Array | undefined;
export function bytesField(map: CborMap, key: CborKey, where: string, required: boolean): Uint8Array | undefined {
  const value = present(map, key, where, required);
  if (value === undefined) return undefined;
  if (!(value instanceof Uint8Array)) wrongType(key, where, 'byte string', value);
  return value;
}

export function textField(map: CborMap, key: CborKey, where: string, required: true): string;
export function textField(map: CborMap, key: CborKey, where: string, required: false): string | undefined;
export function textField(map: CborMap, key: CborKey, where: string, required: boolean): string | undefined;
export function textField(map: CborMap, key: CborKey, where: string, required: boolean): string | undefined {
  const value = present(map, key, where, required);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') wrongType(key, where, 'text string', value);
  return value;
}

/** An unsigned integer small enough for the fields CTAP defines (protocol numbers, sub-commands, bit masks). */
export function uintField(map: CborMap, key: CborKey, where: string, required: true): number;
export function uintField(map: CborMap, key: CborKey, where: string, required: false): number | undefined;
export function uintField(map: CborMap, key: CborKey, where: string, required: boolean): number | undefined;
export function uintField(map: CborMap, key: CborKey, where: string, required: boolean): number | undefined {
  const value = present(map, key, where, required);
  if (value === undefined) return undefined;
  if (!((typeof value === 'number' || typeof value === 'bigint') && value >= 0))
    wrongType(key, where, 'unsigned integer', value);
  if (typeof value === 'bigint' || value > 0xffffffff) {
    fail(
      CtapStatus.CTAP1_ERR_INVALID_PARAMETER,
      `${label(key, where)} is ${value}, beyond any value this field defines`,
    );
  }
  return value;
}

/** A signed integer (COSE algorithm identifiers, COSE key labels). */
export function intField(map: CborMap, key: CborKey, where: string, required: true): number;
export function intField(map: CborMap, key: CborKey, where: string, required: false): number | undefined;
export function intField(map: CborMap, key: CborKey, where: string, required: boolean): number | undefined;
export function intField(map: CborMap, key: CborKey, where: string, required: boolean): number | undefined {
  const value = present(map, key, where, required);
  if (value === undefined) return undefined;
  if (typeof value === 'bigint') return value < 0n ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  if (typeof value !== 'number') wrongType(key, where, 'integer', value);
  return value;
}

export function boolField(map: CborMap, key: CborKey, where: string): boolean | undefined {
  const value = map.get(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') wrongType(key, where, 'boolean', value);
  return value;
}

export function mapField(map: CborMap, key: CborKey, where: string, required: true): CborMap;
export function mapField(map: CborMap, key: CborKey, where: string, required: false): CborMap | undefined;
export function mapField(map: CborMap, key: CborKey, where: string, required: boolean): CborMap | undefined;
export function mapField(map: CborMap, key: CborKey, where: string, required: boolean): CborMap | undefined {
  const value = present(map, key, where, required);
  if (value === undefined) return undefined;
  if (!(value instanceof Map)) wrongType(key, where, 'map', value);
  return value;
}

export function arrayField(map: CborMap, key: CborKey, where: string, required: true): CborValue[];
export function arrayField(map: CborMap, key: CborKey, where: string, required: false): CborValue[] | undefined;
export function arrayField(map: CborMap, key: CborKey, where: string, required: boolean): CborValue[] | undefined;
export function arrayField(map: CborMap, key: CborKey, where: string, required: boolean): CborValue[] | undefined {
  const value = present(map, key, where, required);
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) wrongType(key, where, 'array', value);
  return value;
}
