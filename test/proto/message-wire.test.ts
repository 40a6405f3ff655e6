/**
 * The codecs' generated wire functions (proto/message-wire.ts) against protobufjs itself on the same schema: the
 * same bytes for every message protobufjs' fromObject + encode writes, and for any input the same decoded object
 * (protobufjs' decode + toObject with enum names and defaults, oneofs as `{ case, value }`) or the same error.
 */
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { descriptor } from '../../proto/descriptor.js';
import {
  BandMessageCodec,
  DebugRequestCodec,
  DebugResponseCodec,
  HostMessageCodec,
  ProtoError,
  type MessageCodec,
} from '../../proto/index.js';

const root = protobuf.Root.fromJSON(descriptor);
root.resolveAll();
const TO_OBJECT: protobuf.IConversionOptions = { enums: String, longs: Number, defaults: true, oneofs: true };
const CODECS: [string, MessageCodec<unknown>][] = [
  ['HostMessage', HostMessageCodec],
  ['BandMessage', BandMessageCodec],
  ['DebugRequest', DebugRequestCodec],
  ['DebugResponse', DebugResponseCodec],
];
const typeOf = (name: string) => root.lookupType(`band.v1.${name}`);

/** protobufjs' toObject form to the codec's: oneofs as `{ case, value }`, unset messages left out. */
function typed(type: protobuf.Type, plain: Record<string, any>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const value = (field: protobuf.Field, v: any): unknown => {
    const t = field.resolvedType;
    if (!(t instanceof protobuf.Type)) return v;
    return field.repeated ? v.map((e: any) => typed(t, e)) : typed(t, v);
  };
  for (const field of type.fieldsArray) {
    if (field.partOf || plain[field.name] == null) continue;
    out[field.name] = value(field, plain[field.name]);
  }
  for (const oneof of type.oneofsArray) {
    const which = plain[oneof.name];
    if (which) out[oneof.name] = { case: which, value: value(type.fields[which], plain[which]) };
  }
  return out;
}

/** The codec's form to protobufjs' plain one (what fromObject takes). */
function flat(type: protobuf.Type, message: Record<string, any>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const value = (field: protobuf.Field, v: any): unknown => {
    const t = field.resolvedType;
    if (!(t instanceof protobuf.Type)) return v;
    return field.repeated ? v.map((e: any) => flat(t, e)) : flat(t, v);
  };
  for (const [key, v] of Object.entries(message)) {
    if (v == null) continue;
    if (type.oneofs?.[key]) out[v.case] = value(type.fields[v.case], v.value ?? {});
    else out[key] = value(type.fields[key], v);
  }
  return out;
}

/** The same message with every enum given by its number. */
function numbered(type: protobuf.Type, message: Record<string, any>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const value = (field: protobuf.Field, v: any): unknown => {
    const t = field.resolvedType;
    if (t instanceof protobuf.Enum) return field.repeated ? v.map((e: string) => t.values[e]) : t.values[v];
    if (!(t instanceof protobuf.Type)) return v;
    return field.repeated ? v.map((e: any) => numbered(t, e)) : numbered(t, v);
  };
  for (const [key, v] of Object.entries(message)) {
    if (type.oneofs?.[key]) out[key] = { case: v.case, value: value(type.fields[v.case], v.value) };
    else out[key] = value(type.fields[key], v);
  }
  return out;
}

type Outcome = { value: unknown } | { error: string };

function byProtobufjs(type: protobuf.Type, bytes: Uint8Array): Outcome {
  try {
    return { value: typed(type, type.toObject(type.decode(bytes), TO_OBJECT)) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function byCodec(codec: MessageCodec<unknown>, bytes: Uint8Array): Outcome {
  try {
    return { value: codec.decode(bytes) };
  } catch (error) {
    expect(error).toBeInstanceOf(ProtoError);
    expect((error as ProtoError).code).toBe('MALFORMED');
    return { error: ((error as ProtoError).cause as Error).message };
  }
}

/** Messages of `type` as a caller writes them, every field kind of the schema with its default values included. */
function messageOf(type: protobuf.Type, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const valueOf = (field: protobuf.Field): fc.Arbitrary<unknown> => {
    const t = field.resolvedType;
    if (t instanceof protobuf.Type) return messageOf(t, depth + 1);
    if (t instanceof protobuf.Enum) return fc.constantFrom(...Object.keys(t.values));
    switch (field.type) {
      case 'uint32':
        return fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff }));
      case 'bool':
        return fc.boolean();
      case 'string':
        return fc.oneof(fc.constant(''), fc.string({ unit: 'grapheme', maxLength: 12 }));
      case 'bytes':
        return fc.uint8Array({ maxLength: 20 });
      default:
        throw new Error(`no arbitrary for ${field.type}`);
    }
  };
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of type.fieldsArray) {
    if (field.partOf) continue;
    record[field.name] = field.repeated ? fc.array(valueOf(field), { maxLength: 3 }) : valueOf(field);
  }
  for (const oneof of type.oneofsArray) {
    record[oneof.name] = fc.oneof(
      ...oneof.fieldsArray.map((field) => valueOf(field).map((value) => ({ case: field.name, value }))),
    );
  }
  return fc.record(record, { requiredKeys: [] });
}

describe('generated wire functions (proto/message-wire.ts)', () => {
  for (const [name, codec] of CODECS) {
    const type = typeOf(name);

    it(`${name}: the bytes protobufjs fromObject + encode writes, decoded as protobufjs decode + toObject`, () => {
      fc.assert(
        fc.property(messageOf(type), (message) => {
          const bytes = codec.encode(message);
          expect(Buffer.from(bytes).toString('hex')).toBe(
            Buffer.from(type.encode(type.fromObject(flat(type, message))).finish()).toString('hex'),
          );
          for (const input of [bytes, new Uint8Array(bytes), Buffer.from(bytes)]) {
            const decoded = byCodec(codec, input);
            expect(isDeepStrictEqual(decoded, byProtobufjs(type, input)), JSON.stringify(decoded)).toBe(true);
          }
        }),
        { numRuns: 400 },
      );
    });

    it(`${name}: numbers for enum names, and null or undefined for a field, write the same bytes`, () => {
      fc.assert(
        fc.property(messageOf(type), fc.constantFrom(null, undefined), (message, absent) => {
          const hex = (m: unknown) => Buffer.from(codec.encode(m as never)).toString('hex');
          const reference = hex(message);
          expect(hex(numbered(type, message))).toBe(reference);
          expect(hex({ ...message, extra: absent })).toBe(reference);
          const { requestId: _dropped, ...rest } = message;
          expect(hex({ ...message, requestId: absent })).toBe(hex(rest));
        }),
        { numRuns: 200 },
      );
    });

    it(`${name}: garbage, cut and joined messages decode to what protobufjs gives, or fail as it does`, () => {
      const garbage = fc.oneof(
        fc.uint8Array({ maxLength: 120 }),
        // Valid messages cut short, with a byte changed, or two of them joined (protobuf merges them).
        fc.tuple(messageOf(type), fc.nat(), fc.nat(255)).map(([m, at, byte]) => {
          const bytes = Uint8Array.from(codec.encode(m));
          if (bytes.length) bytes[at % bytes.length] = byte;
          return bytes;
        }),
        fc.tuple(messageOf(type), fc.nat()).map(([m, cut]) => {
          const bytes = codec.encode(m);
          return bytes.subarray(0, cut % (bytes.length + 1));
        }),
        fc.tuple(messageOf(type), messageOf(type)).map(([a, b]) => Buffer.concat([codec.encode(a), codec.encode(b)])),
      );
      fc.assert(
        fc.property(garbage, (bytes) => {
          const decoded = byCodec(codec, bytes);
          expect(isDeepStrictEqual(decoded, byProtobufjs(type, bytes)), JSON.stringify(decoded)).toBe(true);
        }),
        { numRuns: 3000 },
      );
    });
  }

  it('groups of unknown fields nested past protobufjs depth limit fail at the same depth inside a message', () => {
    // DebugResponse.screen (depth 1) holding field 9 as 99 and then 100 nested start-group tags.
    for (const levels of [98, 99, 100, 101]) {
      const inner = Buffer.concat([Buffer.alloc(levels, 0x4b), Buffer.alloc(levels, 0x4c)]);
      const bytes = Buffer.concat([Buffer.from([0x5a, ...varint(inner.length)]), inner]);
      const type = typeOf('DebugResponse');
      expect(isDeepStrictEqual(byCodec(DebugResponseCodec, bytes), byProtobufjs(type, bytes))).toBe(true);
    }
  });

  it('an empty message skips unknown fields as protobufjs does (it passes the whole tag as the field number)', () => {
    const type = typeOf('HostMessage');
    // get_state (field 11) holding: a field 0, a group closed by another field's end tag, a well-formed group.
    for (const inner of [[0x02, 0x00], [0x0b, 0x0c], [0x0b, 0x14], [0x08, 0x01], [0x00]]) {
      const bytes = Uint8Array.from([0x5a, inner.length, ...inner]);
      const outcome = byCodec(HostMessageCodec, bytes);
      expect(isDeepStrictEqual(outcome, byProtobufjs(type, bytes)), JSON.stringify(outcome)).toBe(true);
    }
  });

  it('refuses what is not exactly a message, with the errors of the general path', () => {
    expect(() => HostMessageCodec.encode({ requestId: 1, extra: 1 } as never)).toThrow(
      /HostMessage has no field 'extra'/,
    );
    expect(() =>
      BandMessageCodec.encode({ requestId: 1, body: { case: 'getState', value: { state: 'NOPE' as never } } }),
    ).toThrow(/expected one of BAND_STATE_UNSPECIFIED/);
    expect(() => BandMessageCodec.encode({ requestId: 1, body: { case: 'nope' as never, value: {} } })).toThrow(
      /expected one of getInfo/,
    );
    // The flat form protobufjs takes still works, as it always did.
    expect(HostMessageCodec.encode({ requestId: 1, getState: {} } as never)).toEqual(
      HostMessageCodec.encode({ requestId: 1, body: { case: 'getState', value: {} } }),
    );
    expect(HostMessageCodec.encode(undefined as never)).toEqual(HostMessageCodec.encode({}));
  });
});

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
