import protobuf from 'protobufjs';
import { descriptor } from './descriptor.js';
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

const root = protobuf.Root.fromJSON(descriptor);
const TO_OBJECT: protobuf.IConversionOptions = { enums: String, longs: Number, defaults: true, oneofs: true };

function toWire(type: protobuf.Type, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || v === null) continue;
    const oneof = type.oneofs?.[key];
    if (oneof) {
      const { case: which, value: inner } = v as { case: string; value: unknown };
      const field = type.fields[which];
      if (!field || field.partOf !== oneof) {
        throw new ProtoError(
          'INVALID',
          `${type.name}.${key}: expected one of ${oneof.oneof.join(', ')}, got '${which}'`,
        );
      }
      out[which] = convertField(field, inner ?? {}, toWire);
      continue;
    }
    const field = type.fields[key];
    if (!field) throw new ProtoError('INVALID', `${type.name} has no field '${key}'; check the schema in proto/`);
    out[key] = convertField(field, v, toWire);
  }
  return out;
}

function fromWire(type: protobuf.Type, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    if (field.partOf) continue;
    const v = value[field.name];
    if (v === null || v === undefined) continue;
    out[field.name] = convertField(field, v, fromWire);
  }
  for (const oneof of type.oneofsArray) {
    const which = value[oneof.name] as string | undefined;
    if (!which) continue;
    out[oneof.name] = { case: which, value: convertField(type.fields[which], value[which], fromWire) };
  }
  return out;
}

function convertField(
  field: protobuf.Field,
  v: unknown,
  convert: (t: protobuf.Type, v: Record<string, unknown>) => Record<string, unknown>,
): unknown {
  const t = field.resolve().resolvedType;
  if (!(t instanceof protobuf.Type)) return v;
  if (field.repeated) return (v as Record<string, unknown>[]).map((e) => convert(t, e));
  return convert(t, v as Record<string, unknown>);
}

/** fromObject silently maps an unknown enum name to 0; a typo must be an error instead. */
function checkEnums(type: protobuf.Type, plain: Record<string, unknown>, path: string): void {
  for (const [key, v] of Object.entries(plain)) {
    const field = type.fields[key];
    const t = field.resolve().resolvedType;
    const values = field.repeated ? (v as unknown[]) : [v];
    for (const e of values) {
      if (t instanceof protobuf.Enum && typeof e === 'string' && !(e in t.values)) {
        throw new ProtoError(
          'INVALID',
          `${path}.${key}: expected one of ${Object.keys(t.values).join(', ')}, got '${e}'`,
        );
      }
      if (t instanceof protobuf.Type) checkEnums(t, e as Record<string, unknown>, `${path}.${key}`);
    }
  }
}

export interface MessageCodec<T> {
  encode(message: Init<T>): Uint8Array;
  /** Throws ProtoError('MALFORMED') when `bytes` is not a valid encoding. */
  decode(bytes: Uint8Array): T;
}

function codec<T>(name: string): MessageCodec<T> {
  const type = root.lookupType(`band.v1.${name}`);
  return {
    encode(message) {
      const plain = toWire(type, message as Record<string, unknown>);
      checkEnums(type, plain, name);
      const built = type.fromObject(plain);
      const problem = type.verify(built);
      if (problem) throw new ProtoError('INVALID', `cannot encode ${name}: ${problem}`);
      return type.encode(built).finish();
    },
    decode(bytes) {
      let decoded: protobuf.Message;
      try {
        decoded = type.decode(bytes);
      } catch (cause) {
        throw new ProtoError(
          'MALFORMED',
          `expected a protobuf ${name} (${bytes.length} bytes received): ${(cause as Error).message}`,
          { cause },
        );
      }
      return fromWire(type, type.toObject(decoded, TO_OBJECT)) as T;
    },
  };
}

export const HostMessageCodec = codec<HostMessage>('HostMessage');
export const BandMessageCodec = codec<BandMessage>('BandMessage');
export const DebugRequestCodec = codec<DebugRequest>('DebugRequest');
export const DebugResponseCodec = codec<DebugResponse>('DebugResponse');

/** Protocol version this code speaks. A host refuses a band with another major version. */
export const PROTOCOL_VERSION = { major: 1, minor: 0 } as const;
