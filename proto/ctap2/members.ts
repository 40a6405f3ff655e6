import type { CborInput, CborKey, CborMap, CborValue } from './canonical-cbor.js';

/**
 * Typed CBOR maps: a CTAP2 request, response or nested structure is declared once as a table of members
 * (name -> key, CBOR type, required), and both sides go through it. The band decodes a request into a typed struct
 * at its edge and the host decodes a response the same way; code past the edge reads `params.clientDataHash`, never
 * `map.get(1)` (the shape of OpenSK's typed parameter structs). Encoding takes the same names.
 */
export type MemberType = 'bytes' | 'text' | 'uint' | 'int' | 'bool' | 'map' | 'array' | 'any';

export interface Member {
  readonly key: CborKey;
  readonly type: MemberType;
  readonly required?: boolean;
  /** A byte string's exact length, where the spec fixes one (e.g. a 32-byte key); another length is out of range. */
  readonly length?: number;
}

export type Members = Readonly<Record<string, Member>>;

type Decoded1<T extends MemberType> = T extends 'bytes'
  ? Uint8Array
  : T extends 'text'
    ? string
    : T extends 'uint' | 'int'
      ? number
      : T extends 'bool'
        ? boolean
        : T extends 'map'
          ? CborMap
          : T extends 'array'
            ? CborValue[]
            : CborValue;

type Encoded1<T extends MemberType> = T extends 'bytes'
  ? Uint8Array
  : T extends 'text'
    ? string
    : T extends 'uint' | 'int'
      ? number
      : T extends 'bool'
        ? boolean
        : T extends 'array'
          ? readonly CborInput[]
          : CborInput;

type RequiredNames<S extends Members> = { [K in keyof S]: S[K]['required'] extends true ? K : never }[keyof S];
type OptionalNames<S extends Members> = Exclude<keyof S, RequiredNames<S>>;

/** The typed struct a member table decodes to: required members present, optional ones possibly undefined. */
export type Decoded<S extends Members> = { [K in RequiredNames<S>]: Decoded1<S[K]['type']> } & {
  [K in OptionalNames<S>]?: Decoded1<S[K]['type']>;
};

/** What encoding a member table takes: required members must be given; undefined members are left out. */
export type Encodable<S extends Members> = { [K in RequiredNames<S>]: Encoded1<S[K]['type']> } & {
  [K in OptionalNames<S>]?: Encoded1<S[K]['type']> | undefined;
};

/** Declares a member table; keeps the literal types so Decoded/Encodable can follow them. */
export function members<const S extends Members>(spec: S): S {
  return spec;
}

export type MemberErrorReason = 'missing' | 'wrong-type' | 'out-of-range' | 'not-a-map';

/**
 * A CBOR map does not fit its member table. The band answers it with a CTAP status (see `memberErrorStatus` in
 * firmware-sim/ctap2/request-fields.ts), the host reports the authenticator's reply as a protocol error.
 */
export class Ctap2MemberError extends Error {
  override readonly name = 'Ctap2MemberError';
  constructor(
    readonly reason: MemberErrorReason,
    /** The member's name in the spec, e.g. 'clientDataHash'; '' for the map itself. */
    readonly member: string,
    readonly key: CborKey | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** "member 0x01 (clientDataHash)" / "member \"id\"": how error messages name a member. */
export function memberLabel(name: string, key: CborKey): string {
  return typeof key === 'number' ? `member 0x${key.toString(16).padStart(2, '0')} (${name})` : `member "${key}"`;
}

export function cborTypeName(value: CborValue): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return 'byte string';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Map) return 'map';
  if (typeof value === 'number' || typeof value === 'bigint')
    return value < 0 ? 'negative integer' : 'unsigned integer';
  if (typeof value === 'string') return 'text string';
  return typeof value;
}

const EXPECTED: Record<MemberType, string> = {
  bytes: 'byte string',
  text: 'text string',
  uint: 'unsigned integer',
  int: 'integer',
  bool: 'boolean',
  map: 'map',
  array: 'array',
  any: 'value',
};

/** The largest unsigned value any CTAP2 integer member defines (counts, sub-commands, bit masks are 32-bit). */
const UINT_MEMBER_MAX = 0xffffffff;

function wrongType(name: string, member: Member, value: CborValue, where: string): never {
  throw new Ctap2MemberError(
    'wrong-type',
    name,
    member.key,
    `${where} ${memberLabel(name, member.key)} must be a ${EXPECTED[member.type]}; got a ${cborTypeName(value)}`,
  );
}

function decodeValue(name: string, member: Member, value: CborValue, where: string): CborValue {
  // No closure for the error: this runs for every member of every request and reply.
  switch (member.type) {
    case 'bytes':
      if (!(value instanceof Uint8Array)) return wrongType(name, member, value, where);
      if (member.length !== undefined && value.length !== member.length)
        throw new Ctap2MemberError(
          'out-of-range',
          name,
          member.key,
          `${where} ${memberLabel(name, member.key)} must be ${member.length} bytes; got ${value.length}`,
        );
      return value;
    case 'text':
      return typeof value === 'string' ? value : wrongType(name, member, value, where);
    case 'bool':
      return typeof value === 'boolean' ? value : wrongType(name, member, value, where);
    case 'map':
      return value instanceof Map ? value : wrongType(name, member, value, where);
    case 'array':
      return Array.isArray(value) ? value : wrongType(name, member, value, where);
    case 'any':
      return value;
    case 'int':
      // COSE labels and algorithm identifiers: an integer beyond 53 bits names nothing CTAP defines.
      if (typeof value === 'bigint') return value < 0n ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
      return typeof value === 'number' ? value : wrongType(name, member, value, where);
    case 'uint': {
      if (!(typeof value === 'number' || typeof value === 'bigint') || value < 0)
        return wrongType(name, member, value, where);
      if (typeof value === 'bigint' || value > UINT_MEMBER_MAX) {
        throw new Ctap2MemberError(
          'out-of-range',
          name,
          member.key,
          `${where} ${memberLabel(name, member.key)} is ${value.toString()}, beyond any value this member defines`,
        );
      }
      return value;
    }
  }
}

/** A table's [name, member] pairs, listed once per table: every request and reply goes through one. */
const tableEntries = new WeakMap<Members, readonly (readonly [string, Member])[]>();
function entriesOf(spec: Members): readonly (readonly [string, Member])[] {
  let entries = tableEntries.get(spec);
  if (entries === undefined) {
    entries = Object.entries(spec);
    tableEntries.set(spec, entries);
  }
  return entries;
}

/**
 * Reads `map` through its member table, in the table's order. Members the table does not know are ignored (CTAP 2.1
 * §6 is forward-compatible: newer platforms may send members an older authenticator does not know).
 */
export function decodeMembers<const S extends Members>(spec: S, map: CborValue, where: string): Decoded<S> {
  if (!(map instanceof Map))
    throw new Ctap2MemberError('not-a-map', '', undefined, `${where} must be a CBOR map; got a ${cborTypeName(map)}`);
  const out: Record<string, CborValue> = {};
  for (const [name, member] of entriesOf(spec)) {
    const value = map.get(member.key);
    if (value === undefined) {
      if (member.required === true)
        throw new Ctap2MemberError(
          'missing',
          name,
          member.key,
          `${where} ${memberLabel(name, member.key)} is required but absent`,
        );
      continue;
    }
    out[name] = decodeValue(name, member, value, where);
  }
  return out as Decoded<S>;
}

/** Builds the CBOR map of a member table from named values; undefined members are left out by the encoder. */
export function encodeMembers<const S extends Members>(spec: S, values: Encodable<S>): Map<CborKey, CborInput> {
  const out = new Map<CborKey, CborInput>();
  const named = values as Record<string, CborInput | undefined>;
  for (const [name, member] of entriesOf(spec)) {
    const value = named[name];
    if (value !== undefined) out.set(member.key, value);
  }
  return out;
}

/** key -> name of a member table (for traces and error messages). */
export function memberNames(spec: Members): Map<CborKey, string> {
  return new Map(Object.entries(spec).map(([name, member]) => [member.key, name]));
}
