import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BandMessageCodec,
  DebugRequestCodec,
  HostMessageCodec,
  ProtoError,
  ScreenValues,
  type BandMessage,
  type HostMessage,
} from '../../proto/index.js';

describe('protobuf codecs', () => {
  it('round-trip host requests with every scalar kind', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0xffffffff }),
        fc.string({ maxLength: 64 }),
        fc.boolean(),
        (id, name, haptic) => {
          const msg: HostMessage = {
            requestId: id,
            body: { case: 'completeEnrollment', value: { userName: name, label: '', hapticFeedback: haptic } },
          };
          expect(HostMessageCodec.decode(HostMessageCodec.encode(msg))).toEqual(msg);
        },
      ),
    );
  });

  it('round-trip events with nested oneofs and enums', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ScreenValues), (screen) => {
        const msg: BandMessage = {
          requestId: 0,
          body: {
            case: 'event',
            value: { kind: { case: 'screenChanged', value: { screen, state: 'BAND_STATE_UNENROLLED' } } },
          },
        };
        expect(BandMessageCodec.decode(BandMessageCodec.encode(msg))).toEqual(msg);
      }),
    );
  });

  it('round-trip bytes and repeated fields', () => {
    const msg: BandMessage = {
      requestId: 9,
      body: {
        case: 'listFidoCredentials',
        value: { credentials: [{ rpId: 'example.com', credentialId: new Uint8Array([1, 2, 3]), userName: 'u' }] },
      },
    };
    const back = BandMessageCodec.decode(BandMessageCodec.encode(msg));
    expect(back.body?.case).toBe('listFidoCredentials');
    const creds = (back.body as Extract<BandMessage['body'], { case: 'listFidoCredentials' }>).value.credentials;
    expect(Uint8Array.from(creds[0].credentialId)).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('garbage either decodes to some message or fails with ProtoError MALFORMED, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        for (const codec of [HostMessageCodec, BandMessageCodec, DebugRequestCodec]) {
          try {
            codec.decode(bytes);
          } catch (error) {
            expect(error).toBeInstanceOf(ProtoError);
            expect((error as ProtoError).code).toBe('MALFORMED');
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses to encode an unknown oneof case or enum name, naming the choices', () => {
    expect(() => HostMessageCodec.encode({ requestId: 1, body: { case: 'nope', value: {} } } as never)).toThrow(
      /expected one of getInfo/,
    );
    expect(() =>
      DebugRequestCodec.encode({
        requestId: 1,
        action: { case: 'button', value: { button: 'BUTTON_MIDDLE' as never } },
      }),
    ).toThrow(/BUTTON_TOP/);
  });

  it('refuses an enum number outside the schema, and converts other value types as protobufjs fromObject does', () => {
    expect(() =>
      DebugRequestCodec.encode({ requestId: 1, action: { case: 'button', value: { button: 99 as never } } }),
    ).toThrow(/DebugRequest\.button\.button: expected one of/);
    const converted = HostMessageCodec.encode({
      requestId: '7' as never,
      body: { case: 'setLabel', value: { label: 'AB' } },
    });
    expect(HostMessageCodec.decode(converted)).toEqual({
      requestId: 7,
      body: { case: 'setLabel', value: { label: 'AB' } },
    });
    expect(HostMessageCodec.encode({ requestId: 7, body: { case: 'setLabel', value: { label: 'AB' } } })).toEqual(
      converted,
    );
  });

  it('refuses a uint32 that is negative, fractional or past 2^32-1 instead of wrapping it, and takes both ends', () => {
    const withId = (requestId: number): HostMessage => ({
      requestId,
      body: { case: 'setLabel', value: { label: 'A' } },
    });
    for (const bad of [-1, 1.5, 0x1_0000_0000, Number.NaN, Number.POSITIVE_INFINITY]) {
      let error: unknown;
      try {
        HostMessageCodec.encode(withId(bad));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ProtoError);
      expect((error as ProtoError).code).toBe('INVALID');
      expect((error as ProtoError).message).toMatch(/requestId: expected a whole number from 0 to 4294967295/);
    }
    for (const good of [0, 0xffffffff])
      expect(HostMessageCodec.decode(HostMessageCodec.encode(withId(good)))).toEqual(withId(good));
  });

  it('encodes each message into an array of its own size, on both encoding paths (a kept one pins no shared pool)', () => {
    const typed = DebugRequestCodec.encode({
      requestId: 7,
      action: { case: 'fingerOn', value: { finger: 'alice/right-index', poorQuality: false, liveness: true } },
    });
    // A message of more than 64 bytes (V8 keeps smaller arrays on its own heap either way).
    const large = HostMessageCodec.encode({
      requestId: 9,
      body: { case: 'completeEnrollment', value: { userName: 'u'.repeat(60), label: 'l'.repeat(12) } },
    });
    // A value protobufjs converts (a number as a string) takes the general path.
    const converted = HostMessageCodec.encode({
      requestId: '9' as unknown as number,
      body: { case: 'completeEnrollment', value: { userName: 'u'.repeat(60), label: 'l'.repeat(12) } },
    });
    expect(converted).toEqual(large);
    for (const bytes of [typed, large, converted]) {
      expect(bytes.byteOffset).toBe(0);
      expect(bytes.buffer.byteLength).toBe(bytes.length);
    }
    expect(large.length).toBeGreaterThan(64);
    expect(DebugRequestCodec.decode(typed).requestId).toBe(7);
  });
});
