import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import {
  BandMessageCodec,
  DebugRequestCodec,
  DebugResponseCodec,
  HostMessageCodec,
  type MessageCodec,
} from '../../proto/index.js';
import { descriptor } from '../../proto/descriptor.js';

/**
 * The golden vectors' format (proto/vectors/README.md): JSON, every byte string as lower-case hex, every
 * decoded meaning in the shape the TypeScript codecs give (proto3 JSON field names, enums by name, scalars with
 * their defaults, a oneof as {"case", "value"}), with bytes fields as hex.
 */
export const TOP_LEVEL = ['HostMessage', 'BandMessage', 'DebugRequest', 'DebugResponse'] as const;
export type TopLevel = (typeof TOP_LEVEL)[number];

export const CODECS: Record<TopLevel, MessageCodec<unknown>> = {
  HostMessage: HostMessageCodec,
  BandMessage: BandMessageCodec,
  DebugRequest: DebugRequestCodec,
  DebugResponse: DebugResponseCodec,
};

export const schema = protobuf.Root.fromJSON(descriptor);
export const typeOf = (name: string): protobuf.Type => schema.lookupType(`band.v1.${name}`);

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function unhex(text: string): Uint8Array {
  if (!/^([0-9a-f]{2})*$/.test(text)) throw new Error(`expected lower-case hex, got ${JSON.stringify(text)}`);
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** A decoded message as vector JSON: bytes become hex. */
export function toJson(value: unknown): Json {
  if (value instanceof Uint8Array) return hex(value);
  if (Array.isArray(value)) return value.map(toJson);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  return value as Json;
}

/** Vector JSON back to what a codec encodes: the schema says which strings are hex bytes. */
export function fromJson(type: protobuf.Type, json: Record<string, Json>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    const oneof = type.oneofs?.[key];
    if (oneof) {
      const { case: which, value: inner } = value as { case: string; value: Json };
      out[key] = { case: which, value: fieldFromJson(type.fields[which], inner) };
      continue;
    }
    const field = type.fields[key];
    if (!field) throw new Error(`${type.name} has no field ${key}`);
    out[key] = field.repeated ? (value as Json[]).map((v) => fieldFromJson(field, v)) : fieldFromJson(field, value);
  }
  return out;
}

function fieldFromJson(field: protobuf.Field, value: Json): unknown {
  if (field.type === 'bytes') return unhex(value as string);
  const resolved = field.resolve().resolvedType;
  if (resolved instanceof protobuf.Type) return fromJson(resolved, value as Record<string, Json>);
  return value;
}

/** The bounds nanopb compiles, read from the committed proto/*.options (generated from the schema's comments). */
export interface OptionBounds {
  /** `Message.field` (proto names) -> maximum bytes (strings: without the NUL) or entries. */
  max: Map<string, number>;
  /** `Message.field` of fields left to a callback because their only bound is the whole unit. */
  callbacks: Set<string>;
}

export function readOptionBounds(repoRoot: string): OptionBounds {
  const max = new Map<string, number>();
  const callbacks = new Set<string>();
  for (const file of ['band.options', 'debug.options']) {
    for (const line of readFileSync(`${repoRoot}/proto/${file}`, 'utf8').split('\n')) {
      const m = /^band\.v1\.(\w+\.\w+) (max_size|max_count|type):(\S+)$/.exec(line);
      if (!m) continue;
      const [, name, option, value] = m;
      if (option === 'type') callbacks.add(name);
      else max.set(name, Number(value) - (option === 'max_size' && isString(name) ? 1 : 0));
    }
  }
  return { max, callbacks };
}

function isString(name: string): boolean {
  const [message, field] = name.split('.');
  return typeOf(message).fieldsArray.find((f) => f.name === camel(field))?.type === 'string';
}

export function camel(protoName: string): string {
  return protoName.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
