import { createRequire } from 'node:module';
import type * as Protobuf from 'protobufjs';
import protobuf from 'protobufjs/minimal.js';
import { descriptor } from './descriptor.js';
import * as wire from './message-wire.js';
import type { BandMessage, DebugRequest, DebugResponse, HostMessage } from './types.js';

/** A payload that is not the message it should be, or a message that cannot be encoded. */
export class ProtoError extends Error {
  override readonly name = 'ProtoError';
  constructor(
    readonly code: 'MALFORMED' | 'INVALID',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What a caller may pass to encode: every field optional, oneofs as `{ case, value }`. */
export type Init<T> = T extends Uint8Array
  ? Uint8Array
  : T extends (infer E)[]
    ? Init<E>[]
    : T extends { case: infer C; value: infer V }
      ? { case: C; value: Init<V> }
      : T extends object
        ? { [K in keyof T]?: Init<T[K]> }
        : T;

/**
 * The schema's reflection (full protobufjs: its parser, Root, Type, converters), for the general encoding path only.
 * A well-typed message never needs it, so it is loaded and built at the first message that does: a process that
 * only sends well-typed messages (a band, a host) is spared its modules and objects, a few MB of heap and RSS each.
 * protobufjs is CommonJS, so require loads it synchronously; its Reader and Writer are the ones imported above.
 */
let reflection: { protobuf: typeof Protobuf; root: Protobuf.Root } | undefined;

function reflect(): { protobuf: typeof Protobuf; root: Protobuf.Root } {
  if (reflection === undefined) {
    const full = createRequire(import.meta.url)('protobufjs') as typeof Protobuf;
    reflection = { protobuf: full, root: full.Root.fromJSON(descriptor) };
  }
  return reflection;
}

/**
 * What the codec's general encoding path (a message the generated encoder does not take as it is: values to convert,
 * or a mistake to name) needs to know of one message type, worked out once per type.
 */
interface FieldPlan {
  name: string;
  repeated: boolean;
  /** The oneof this field belongs to, if any. */
  partOf?: string;
  message?: TypePlan;
  /** The JavaScript type protobufjs' encoder takes as it is ('bytes': a Uint8Array); others go through fromObject. */
  scalar?: 'string' | 'boolean' | 'number' | 'bytes';
  enumValues?: Record<string, number>;
  enumIds?: Record<number, string>;
  /** A uint32 field: a number outside 0..2^32-1, or not an integer, is refused (protobufjs would wrap it). */
  uint32?: true;
}

interface TypePlan {
  type: Protobuf.Type;
  fields: Map<string, FieldPlan>;
  /** What a key of a message object names: a field, or a oneof (`{ case, value }`). */
  members: Map<string, FieldPlan | OneofPlan>;
}

interface OneofPlan {
  name: string;
  choices: string[];
  oneof: true;
}

const plans = new Map<Protobuf.Type, TypePlan>();

/** The schema's scalar types (proto/band.proto, debug.proto) as the JavaScript values their encoders take. */
const SCALARS: Record<string, FieldPlan['scalar']> = {
  string: 'string',
  bool: 'boolean',
  uint32: 'number',
  int32: 'number',
  sint32: 'number',
  fixed32: 'number',
  sfixed32: 'number',
  double: 'number',
  float: 'number',
  bytes: 'bytes',
};

/**
 * Set by toWire when a value is not of the type protobufjs' encoder takes as it is (a number as a string, bytes as
 * base64): the message then goes through fromObject, which converts such values as it always did.
 */
let needsConversion = false;

function planOf(type: Protobuf.Type): TypePlan {
  let plan = plans.get(type);
  if (plan) return plan;
  const { protobuf } = reflect();
  plan = { type, fields: new Map(), members: new Map() };
  // Registered before its fields are planned, so a recursive type finds itself.
  plans.set(type, plan);
  for (const field of type.fieldsArray) {
    const resolved = field.resolve().resolvedType;
    const fieldPlan: FieldPlan = { name: field.name, repeated: field.repeated };
    if (field.partOf) fieldPlan.partOf = field.partOf.name;
    if (resolved instanceof protobuf.Type) fieldPlan.message = planOf(resolved);
    if (resolved instanceof protobuf.Enum) {
      fieldPlan.enumValues = resolved.values;
      fieldPlan.enumIds = resolved.valuesById;
    }
    if (!resolved) fieldPlan.scalar = SCALARS[field.type];
    if (field.type === 'uint32') fieldPlan.uint32 = true;
    plan.fields.set(field.name, fieldPlan);
  }
  for (const [name, field] of plan.fields) plan.members.set(name, field);
  for (const oneof of type.oneofsArray)
    plan.members.set(oneof.name, { name: oneof.name, choices: oneof.oneof, oneof: true });
  return plan;
}

/**
 * `{ case, value }` oneofs flattened into protobufjs' plain form, unknown fields and oneof cases refused, enum
 * names checked (fromObject would silently map an unknown name to 0; a typo must be an error instead).
 */
function toWire(plan: TypePlan, value: Record<string, unknown>, path: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in value) {
    const v = value[key];
    if (v === undefined || v === null) continue;
    const member = plan.members.get(key);
    if (member === undefined) {
      throw new ProtoError('INVALID', `${plan.type.name} has no field '${key}'; check the schema in proto/`);
    }
    if ('oneof' in member) {
      const { case: which, value: inner } = v as { case: string; value: unknown };
      const field = plan.fields.get(which);
      if (!field || field.partOf !== member.name) {
        throw new ProtoError(
          'INVALID',
          `${plan.type.name}.${key}: expected one of ${member.choices.join(', ')}, got '${which}'`,
        );
      }
      out[which] = toWireField(field, inner ?? {}, path);
      continue;
    }
    out[key] = toWireField(member, v, path);
  }
  return out;
}

/** `path` names the message holding the field; the field's own path is only built for an error. */
function toWireField(field: FieldPlan, v: unknown, path: string): unknown {
  if (field.repeated) {
    if (!Array.isArray(v)) {
      needsConversion = true;
      return v;
    }
    return v.map((e) => toWireValue(field, e, path));
  }
  return toWireValue(field, v, path);
}

function toWireValue(field: FieldPlan, v: unknown, path: string): unknown {
  if (field.message) return toWire(field.message, v as Record<string, unknown>, `${path}.${field.name}`);
  if (field.enumValues) return enumNumber(field, v, path);
  if (field.uint32 && typeof v === 'number' && !(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) {
    throw new ProtoError(
      'INVALID',
      `${path}.${field.name}: expected a whole number from 0 to 4294967295 (uint32), got ${v}`,
    );
  }
  if (field.scalar === 'bytes' ? !(v instanceof Uint8Array) : typeof v !== field.scalar) needsConversion = true;
  return v;
}

/** An enum value by name or number, as the number the encoder writes. */
function enumNumber(field: FieldPlan, e: unknown, path: string): number {
  if (typeof e === 'string' && Object.hasOwn(field.enumValues!, e)) return field.enumValues![e];
  if (typeof e === 'number' && Object.hasOwn(field.enumIds!, e)) return e;
  throw new ProtoError(
    'INVALID',
    `${path}.${field.name}: expected one of ${Object.keys(field.enumValues!).join(', ')}, got '${String(e)}'`,
  );
}

export interface MessageCodec<T> {
  encode(message: Init<T>): Uint8Array;
  /** Throws ProtoError('MALFORMED') when `bytes` is not a valid encoding. */
  decode(bytes: Uint8Array): T;
}

/** A message's generated wire functions (proto/message-wire.ts, from proto/gen-codec.mjs). */
interface WireFunctions<T> {
  encode(message: Record<string, unknown>, writer: protobuf.Writer): boolean;
  decode(reader: protobuf.Reader, length: undefined, depth: number, into: undefined): T;
}

/**
 * The written bytes in an array of their own. finish() would cut them from Node's 8 KiB Buffer pool, and an encoded
 * message that is kept (a request in flight while the band waits for a person) kept its whole pool slab alive: 333
 * of 1,000 waiting bands' requests held 2.7 MB that way (heap snapshot, test/bench/fleet.ts). Arrays up to 64 bytes,
 * most messages, stay on V8's heap; the copy is the one finish() makes.
 */
function finishExact(writer: protobuf.Writer): Uint8Array {
  return writer.finishInto(new Uint8Array(writer.pos));
}

function codec<T>(name: string, generated: WireFunctions<T>): MessageCodec<T> {
  let general: { type: Protobuf.Type; plan: TypePlan } | undefined;
  return {
    encode(message) {
      // The generated encoder writes a message whose fields, oneof cases, enums and value types are exactly as the
      // types say, in one pass (what toWire + protobufjs' encode below write, byte for byte). Anything else takes
      // the general path, which converts or refuses it.
      if (typeof message === 'object' && message !== null) {
        const writer = protobuf.Writer.create();
        if (generated.encode(message as Record<string, unknown>, writer)) return finishExact(writer);
      }
      // toWire checks every field name, oneof case and enum. A message whose values are all of the types the
      // encoder takes is encoded as it is; otherwise fromObject converts them by the schema first (a verify() of
      // what fromObject built would only find what it had just made right).
      if (general === undefined) {
        const type = reflect().root.lookupType(`band.v1.${name}`);
        general = { type, plan: planOf(type) };
      }
      const { type, plan } = general;
      needsConversion = false;
      const wire = toWire(plan, message as Record<string, unknown>, name);
      return finishExact(type.encode(needsConversion ? type.fromObject(wire) : wire));
    },
    decode(bytes) {
      try {
        // What protobufjs' decode + toObject gave (defaults filled in, enum names), with oneofs as `{ case, value }`,
        // read straight into the typed object.
        return generated.decode(protobuf.Reader.create(bytes), undefined, 0, undefined);
      } catch (cause) {
        throw new ProtoError(
          'MALFORMED',
          `expected a protobuf ${name} (${bytes.length} bytes received): ${(cause as Error).message}`,
          { cause },
        );
      }
    },
  };
}

export const HostMessageCodec = codec<HostMessage>('HostMessage', {
  encode: wire.encodeHostMessage,
  decode: wire.decodeHostMessage,
});
export const BandMessageCodec = codec<BandMessage>('BandMessage', {
  encode: wire.encodeBandMessage,
  decode: wire.decodeBandMessage,
});
export const DebugRequestCodec = codec<DebugRequest>('DebugRequest', {
  encode: wire.encodeDebugRequest,
  decode: wire.decodeDebugRequest,
});
export const DebugResponseCodec = codec<DebugResponse>('DebugResponse', {
  encode: wire.encodeDebugResponse,
  decode: wire.decodeDebugResponse,
});

/** Protocol version this code speaks. A host refuses a band with another major version. */
export const PROTOCOL_VERSION = { major: 1, minor: 0 } as const;
