import type { BandDevice, BandEmulator } from '../../firmware-sim/index.js';
import { ATTESTATION_MODEL } from '../../firmware-sim/ctap2/index.js';
import { newAttestationIdentity, type AttestationIdentity } from '../../firmware-sim/ctap2/attestation.js';
import { BAND_AAGUID } from '../../firmware-sim/fido2.js';
import { decodeCanonical, encodeCanonical, type CborMap, type CborValue } from '../../host/fido2/index.js';
import { Cose } from '../../proto/ctap2/cose.js';
import { MakeCredentialRequest, MakeCredentialResponse } from '../../proto/ctap2/make-credential.js';
import { PackedAttestationStatement } from '../../proto/ctap2/webauthn-entities.js';
import { BandMessageCodec, BandStateValues, ScreenValues, type BandMessage } from '../../proto/index.js';
import { Command, type Unit } from '../../transport/index.js';
import { U2fIns } from '../../proto/ctap1.js';
import { Ctap2Command } from '../../proto/ctap2/command.js';
import { LargeBlobsRequest } from '../../proto/ctap2/large-blobs.js';
import { CtapStatus } from '../../proto/ctap2/status.js';
import { BioEnrollmentResponse, EnrollSampleStatus } from '../../proto/ctap2/bio-enrollment.js';

/**
 * Firmware faults a band developer could plausibly ship, each a thin layer around the emulator, so the
 * conformance suite can be shown to name exactly the requirement each one breaks.
 */
export interface Fault {
  name: string;
  /** The requirement ids the suite must fail, and only these. */
  breaks: string[];
  wrap(emulator: BandEmulator): BandDevice;
}

/** `event` may return undefined to swallow the event. */
function layer(
  emulator: BandEmulator,
  patch: { reply?: (request: Unit, reply: Unit) => Unit; event?: (unit: Unit) => Unit | undefined },
): BandDevice {
  return {
    hostsCtap2: emulator.hostsCtap2,
    async handle(unit, ctx) {
      const reply = await emulator.handle(unit, ctx);
      return patch.reply ? patch.reply(unit, reply) : reply;
    },
    onEvent(listener) {
      return emulator.onEvent((unit) => {
        const out = patch.event ? patch.event(unit) : unit;
        if (out) listener(out);
      });
    },
  };
}

/** Rewrites the band's Error replies. */
function errors(
  emulator: BandEmulator,
  change: (error: NonNullable<Extract<BandMessage['body'], { case: 'error' }>>['value']) => void,
): BandDevice {
  return layer(emulator, {
    reply(_request, reply) {
      if (reply.command !== Command.BAND) return reply;
      const message = BandMessageCodec.decode(reply.payload);
      if (message.body?.case !== 'error') return reply;
      change(message.body.value);
      return { command: Command.BAND, payload: BandMessageCodec.encode(message) };
    },
  });
}

function eventKind(unit: Unit) {
  const message = BandMessageCodec.decode(unit.payload);
  return message.body?.case === 'event' ? message.body.value.kind : undefined;
}

/** The reply path keeps request_id in a uint16: ids above 65 535 come back truncated. */
export const truncatedRequestId: Fault = {
  name: 'request_id kept in 16 bits',
  breaks: ['PROTO-004'],
  wrap: (emulator) =>
    layer(emulator, {
      reply(_request, reply) {
        if (reply.command !== Command.BAND) return reply;
        const message = BandMessageCodec.decode(reply.payload);
        if (message.requestId <= 0xffff) return reply;
        return {
          command: Command.BAND,
          payload: BandMessageCodec.encode({ ...message, requestId: message.requestId & 0xffff }),
        };
      },
    }),
};

/** An off-by-one echo buffer: a PING of the largest size comes back without its last byte. */
export const pingDropsLastByte: Fault = {
  name: 'PING of 7609 bytes loses its last byte',
  breaks: ['FRAME-001'],
  wrap: (emulator) =>
    layer(emulator, {
      reply(request, reply) {
        if (request.command !== Command.PING || reply.command !== Command.PING || reply.payload.length < 7609)
          return reply;
        return { command: Command.PING, payload: reply.payload.slice(0, -1) };
      },
    }),
};

/**
 * A debugging aid left in: ScreenChanged events for the setup-code screen carry the code as an extra field 3.
 * A protobuf reader ignores the unknown field, so nothing but a look at the bytes notices.
 */
export const setupCodeInScreenChanged: Fault = {
  name: 'ScreenChanged reveals the setup code',
  breaks: ['ENROLL-002'],
  wrap: (emulator) =>
    layer(emulator, {
      event(unit) {
        const message = BandMessageCodec.decode(unit.payload);
        const kind = message.body?.case === 'event' ? message.body.value.kind : undefined;
        if (kind?.case !== 'screenChanged' || kind.value.screen !== 'SCREEN_SETUP_CODE') return unit;
        const code = emulator.band.enrollment.shownSetupCode ?? '';
        const screenChanged = [
          ...field(1, 0, varint(ScreenValues.indexOf(kind.value.screen))),
          ...field(2, 0, varint(BandStateValues.indexOf(kind.value.state))),
          ...field(3, 2, [...Buffer.from(code)]),
        ];
        const event = field(1, 2, screenChanged);
        return { command: Command.BAND, payload: Uint8Array.from(field(100, 2, event)) };
      },
    }),
};

/** More slips, each also caught by exactly one requirement. */
/** A plausible firmware bug: authenticatorLargeBlobs get ignores its offset, so every fragment is the array's start. */
export const largeBlobGetIgnoresOffset: Fault = {
  name: 'authenticatorLargeBlobs get ignores its offset (every fragment read from the start)',
  breaks: ['FIDO2-012'],
  wrap(emulator) {
    const device = layer(emulator, {});
    return {
      ...device,
      handle(unit, ctx) {
        if (unit.command !== Command.CBOR || unit.payload[0] !== Ctap2Command.LARGE_BLOBS)
          return emulator.handle(unit, ctx);
        const params = decodeCanonical(unit.payload.subarray(1)) as CborMap;
        if (!params.has(LargeBlobsRequest.get.key)) return emulator.handle(unit, ctx);
        params.set(LargeBlobsRequest.offset.key, 0);
        return emulator.handle(
          { command: Command.CBOR, payload: Uint8Array.of(Ctap2Command.LARGE_BLOBS, ...encodeCanonical(params)) },
          ctx,
        );
      },
    };
  },
};

export const MORE_FAULTS: Fault[] = [
  {
    name: 'WristChanged never sent',
    breaks: ['STATE-001'],
    wrap: (emulator) =>
      layer(emulator, { event: (unit) => (eventKind(unit)?.case === 'wristChanged' ? undefined : unit) }),
  },
  {
    name: 'no AuthenticationChanged when taken off the wrist',
    breaks: ['AUTH-004'],
    wrap: (emulator) =>
      layer(emulator, {
        event: (unit) => {
          const kind = eventKind(unit);
          return kind?.case === 'authenticationChanged' &&
            kind.value.reason === 'AUTHENTICATION_REASON_REMOVED_FROM_WRIST'
            ? undefined
            : unit;
        },
      }),
  },
  {
    name: 'refusals name no state',
    breaks: ['PROTO-009'],
    wrap: (emulator) =>
      errors(emulator, (error) => {
        error.state = 'BAND_STATE_UNSPECIFIED';
      }),
  },
  {
    name: 'garbage answered UNKNOWN_MESSAGE',
    breaks: ['PROTO-006'],
    wrap: (emulator) =>
      errors(emulator, (error) => {
        if (error.code === 'ERROR_CODE_MALFORMED_MESSAGE') error.code = 'ERROR_CODE_UNKNOWN_MESSAGE';
      }),
  },
  {
    name: 'WINK not implemented',
    breaks: ['FRAME-005'],
    wrap: (emulator) =>
      layer(emulator, {
        reply: (request, reply) =>
          request.command === Command.WINK ? { command: Command.ERROR, payload: Uint8Array.of(0x01) } : reply,
      }),
  },
  {
    name: 'getAssertion signs the wrong bytes',
    breaks: ['FIDO2-005'],
    wrap: (emulator) =>
      layer(emulator, {
        reply(request, reply) {
          if (
            request.command !== Command.CBOR ||
            request.payload[0] !== 0x02 ||
            reply.command !== Command.CBOR ||
            reply.payload[0] !== 0
          )
            return reply;
          const map = decodeCanonical(reply.payload.subarray(1)) as CborMap;
          const signature = new Uint8Array(map.get(3) as Uint8Array);
          signature[signature.length - 1] ^= 0x01;
          map.set(3, signature);
          return { command: Command.CBOR, payload: Uint8Array.of(0, ...encodeCanonical(map)) };
        },
      }),
  },
  {
    name: 'U2F authentication signs the wrong bytes',
    breaks: ['FIDO2-010'],
    wrap: (emulator) =>
      layer(emulator, {
        reply(request, reply) {
          // An AUTHENTICATE answered 9000 carries presence(1) ‖ counter(4) ‖ signature ‖ SW: spoil the signature.
          if (request.command !== Command.MSG || request.payload[1] !== U2fIns.AUTHENTICATE || reply.payload.length < 8)
            return reply;
          const payload = new Uint8Array(reply.payload);
          payload[payload.length - 3] ^= 0x01;
          return { command: Command.MSG, payload };
        },
      }),
  },
  {
    name: 'bio enrollment reports a poor-quality sample as good',
    breaks: ['FIDO2-013'],
    wrap: (emulator) =>
      layer(emulator, {
        // The firmware rejects the sample (it does not count) but tells the platform FP_GOOD: the user is never
        // told to touch again, and remainingSamples stands still behind a "good" sample.
        reply(request, reply) {
          if (
            request.command !== Command.CBOR ||
            request.payload[0] !== Ctap2Command.BIO_ENROLLMENT ||
            reply.payload[0] !== CtapStatus.CTAP2_OK ||
            reply.payload.length === 1
          )
            return reply;
          const map = decodeCanonical(reply.payload.subarray(1)) as CborMap;
          const status = BioEnrollmentResponse.lastEnrollSampleStatus.key;
          if (map.get(status) === EnrollSampleStatus.CTAP2_ENROLL_FEEDBACK_FP_POOR_QUALITY)
            map.set(status, EnrollSampleStatus.CTAP2_ENROLL_FEEDBACK_FP_GOOD);
          return { command: Command.CBOR, payload: Uint8Array.of(0, ...encodeCanonical(map)) };
        },
      }),
  },
  {
    name: "makeCredential attests with another model's batch certificate (its AAGUID and root)",
    breaks: ['FIDO2-014'],
    wrap: (emulator) => {
      // Another model's identity, as a band flashed with the wrong factory data would hold; it signs what it attests.
      const other = newAttestationIdentity((n) => emulator.band.random.bytes(n), 'system', {
        aaguid: new Uint8Array(16).fill(0x42),
        model: 'another model',
      });
      return reattest(emulator, (reply) => (reply.epAtt ? undefined : other));
    },
  },
  {
    name: 'enterprise attestation answered with a batch certificate that names no band',
    breaks: ['FIDO2-015'],
    wrap: (emulator) => {
      // A valid batch certificate of this model (its AAGUID, its root), but epAtt true: nothing says which band.
      const batch = newAttestationIdentity((n) => emulator.band.random.bytes(n), 'system', {
        aaguid: BAND_AAGUID,
        model: ATTESTATION_MODEL,
      });
      return reattest(emulator, (reply) => (reply.epAtt ? batch : undefined));
    },
  },
  {
    name: 'authenticatorConfig answers CTAP2_OK to any caller',
    breaks: ['FIDO2-011'],
    wrap: (emulator) =>
      layer(emulator, {
        reply: (request, reply) =>
          request.command === Command.CBOR && request.payload[0] === Ctap2Command.CONFIG
            ? { command: Command.CBOR, payload: Uint8Array.of(CtapStatus.CTAP2_OK) }
            : reply,
      }),
  },
  largeBlobGetIgnoresOffset,
];

/**
 * Rewrites successful makeCredential replies: where `identity` picks one, the packed statement is signed by that
 * identity's key over authData ‖ clientDataHash (read from the request) and carries its certificate.
 */
function reattest(
  emulator: BandEmulator,
  identity: (reply: { epAtt: boolean }) => AttestationIdentity | undefined,
): BandDevice {
  return layer(emulator, {
    reply(request, reply) {
      if (
        request.command !== Command.CBOR ||
        request.payload[0] !== Ctap2Command.MAKE_CREDENTIAL ||
        reply.command !== Command.CBOR ||
        reply.payload[0] !== CtapStatus.CTAP2_OK
      )
        return reply;
      const map = decodeCanonical(reply.payload.subarray(1)) as CborMap;
      const chosen = identity({ epAtt: map.get(MakeCredentialResponse.epAtt.key) === true });
      if (chosen === undefined) return reply;
      const params = decodeCanonical(request.payload.subarray(1)) as CborMap;
      const clientDataHash = params.get(MakeCredentialRequest.clientDataHash.key) as Uint8Array;
      const authData = map.get(MakeCredentialResponse.authData.key) as Uint8Array;
      map.set(
        MakeCredentialResponse.attStmt.key,
        new Map<string, CborValue>([
          [PackedAttestationStatement.alg.key, Cose.ALG_ES256],
          [PackedAttestationStatement.sig.key, chosen.key.sign(Uint8Array.from([...authData, ...clientDataHash]))],
          [PackedAttestationStatement.x5c.key, [chosen.certificate]],
        ]),
      );
      return { command: Command.CBOR, payload: Uint8Array.of(CtapStatus.CTAP2_OK, ...encodeCanonical(map)) };
    },
  });
}

export const FAULTS: Fault[] = [truncatedRequestId, pingDropsLastByte, setupCodeInScreenChanged];

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

/** One protobuf field: wire type 0 (varint, `body` already encoded) or 2 (length-delimited). */
function field(number: number, wireType: 0 | 2, body: number[]): number[] {
  return [...varint((number << 3) | wireType), ...(wireType === 2 ? varint(body.length) : []), ...body];
}
