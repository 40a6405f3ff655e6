/**
 * The codecs against real peers measured in the same process: serial frames against serialport's SLIP encoder and
 * its delimiter parser (the least any delimiter framing does), CTAPHID against Ledger's hid-framing, the band
 * protobuf codec against bare protobufjs on the same message.
 */
import { DelimiterParser } from '@serialport/parser-delimiter';
import { SlipDecoder, SlipEncoder } from '@serialport/parser-slip-encoder';
import { createRequire } from 'node:module';
import type createHIDframingType from '@ledgerhq/devices/hid-framing';
import protobuf from 'protobufjs';
import { descriptor } from '../../proto/descriptor.js';
import {
  BandMessageCodec,
  HostMessageCodec,
  type BandMessage,
  type HostMessage,
  type Init,
} from '../../proto/index.js';
import {
  Command,
  FrameStreamDecoder,
  Reassembler,
  decodeFrame,
  encodeFrame,
  packetize,
  type Unit,
} from '../../transport/index.js';
import type { Figure } from './figure.js';

// The package's ES build is not marked as a module; its CommonJS build loads everywhere.
const createHIDframing = (
  createRequire(import.meta.url)('@ledgerhq/devices/hid-framing') as { default: typeof createHIDframingType.default }
).default;

export const SIZES = [64, 1024, 7609] as const;

export function payloadOf(size: number): Uint8Array {
  // Every byte value, zeros included, so COBS does real work (an all-0xff payload would flatter it).
  return Uint8Array.from({ length: size }, (_, i) => (i * 131 + 7) & 0xff);
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array, what: string): void {
  if (!a || a.length !== b.length || !a.every((v, i) => v === b[i])) throw new Error(`${what}: the bytes changed`);
}

/** A synchronous delimiter parser: serialport's parsers emit during write(). */
function delimiterPeer(wire: Uint8Array): { op: () => Uint8Array | undefined } {
  const parser = new DelimiterParser({ delimiter: [0] });
  let last: Uint8Array | undefined;
  parser.on('data', (segment: Buffer) => (last = segment));
  const chunk = Buffer.from(wire);
  return {
    op() {
      last = undefined;
      parser.write(chunk);
      return last;
    },
  };
}

export function frameFigures(): Figure[] {
  const figures: Figure[] = [];
  for (const size of SIZES) {
    const payload = payloadOf(size);
    const unit: Unit = { command: Command.BAND, payload };
    const wire = encodeFrame(unit);
    const codec = () => decodeFrame(encodeFrame(unit).subarray(0, wire.length - 1)).payload;

    // SLIP: serialport's encoder piped into its decoder, the nearest ready-made serial framing.
    const encoder = new SlipEncoder();
    const decoder = new SlipDecoder();
    let slipOut: Uint8Array | undefined;
    encoder.on('data', (b: Buffer) => decoder.write(b));
    decoder.on('data', (b: Buffer) => (slipOut = b));
    const slipIn = Buffer.from(payload);
    const slip = () => {
      slipOut = undefined;
      encoder.write(slipIn);
      return slipOut;
    };
    figures.push({
      key: `frame_vs_slip_${size}`,
      label: `frame encode+decode vs SLIP (parser-slip-encoder), ${size} B`,
      project: codec,
      peer: slip,
      check: () => {
        sameBytes(codec(), payload, `frame ${size} B`);
        sameBytes(slip(), payload, `SLIP ${size} B`);
      },
    });

    const delimiter = delimiterPeer(wire);
    figures.push({
      key: `frame_vs_delimiter_${size}`,
      label: `frame encode+decode vs parser-delimiter alone, ${size} B`,
      target: size === 64 ? undefined : 0.3,
      project: codec,
      peer: delimiter.op,
      check: () => {
        sameBytes(codec(), payload, `frame ${size} B`);
        sameBytes(delimiter.op(), wire.subarray(0, wire.length - 1), `parser-delimiter ${size} B`);
      },
    });

    let received: Uint8Array | undefined;
    const stream = new FrameStreamDecoder({
      onUnit: (u) => (received = u.payload),
      onError: (e) => {
        throw e;
      },
    });
    const receive = () => {
      received = undefined;
      stream.write(wire);
      return received;
    };
    figures.push({
      key: `stream_vs_delimiter_${size}`,
      label: `frame stream receive path vs parser-delimiter alone, ${size} B`,
      target: size === 64 ? undefined : 0.25,
      project: receive,
      peer: delimiter.op,
      check: () => sameBytes(receive(), payload, `frame stream ${size} B`),
    });
  }
  return figures;
}

export function ctaphidFigures(): Figure[] {
  return SIZES.map((size) => {
    const payload = payloadOf(size);
    const cid = 0x01020304;
    const reassembler = new Reassembler();
    const project = () => {
      let done: Uint8Array | undefined;
      for (const report of packetize(cid, Command.BAND, payload)) {
        for (const item of reassembler.push(report)) {
          if (item instanceof Error) throw item;
          done = item.payload;
        }
      }
      return done;
    };
    // Ledger's framing of the same bytes over 64-byte reports: blocks out, then reduced back to the message.
    const framing = createHIDframing(0x0101, 64);
    const ledgerIn = Buffer.from(payload);
    const peer = () => {
      let acc: ReturnType<typeof framing.reduceResponse> | null = null;
      for (const block of framing.makeBlocks(ledgerIn)) acc = framing.reduceResponse(acc, Buffer.from(block.buffer));
      return framing.getReducedResult(acc);
    };
    return {
      key: `ctaphid_vs_ledger_${size}`,
      label: `CTAPHID packetise+reassemble vs @ledgerhq/devices hid-framing, ${size} B`,
      target: 5,
      project,
      peer,
      check: () => {
        sameBytes(project(), payload, `CTAPHID ${size} B`);
        sameBytes(peer() ?? undefined, payload, `hid-framing ${size} B`);
      },
    };
  });
}

export const GET_STATE_REPLY = {
  state: 'BAND_STATE_AUTHENTICATED',
  screen: 'SCREEN_AUTHENTICATED',
  onWrist: true,
  onCharger: false,
  enrolled: true,
  userName: 'tw-user2',
  label: 'TW-USER2',
  hapticFeedback: true,
  failedMatches: 0,
  fidoCredentialCount: 2,
  batteryPercent: 87,
  localUser: false,
} as const;

export const request: Init<HostMessage> = { requestId: 4242, body: { case: 'getState', value: {} } };
export const reply: Init<BandMessage> = { requestId: 4242, body: { case: 'getState', value: GET_STATE_REPLY } };

/**
 * Bare protobufjs on the same schema and the same messages: what a hand-written caller of protobufjs does
 * (fromObject + encode, decode + toObject with enum names), without the project's typed oneofs and checks.
 */
export function bareProtobuf(): () => number {
  const root = protobuf.Root.fromJSON(descriptor);
  const host = root.lookupType('band.v1.HostMessage');
  const band = root.lookupType('band.v1.BandMessage');
  const options: protobuf.IConversionOptions = { enums: String, longs: Number, defaults: true, oneofs: true };
  const hostPlain = { requestId: 4242, getState: {} };
  const bandPlain = { requestId: 4242, getState: { ...GET_STATE_REPLY } };
  return () => {
    const h = host.toObject(host.decode(host.encode(host.fromObject(hostPlain)).finish()), options);
    const b = band.toObject(band.decode(band.encode(band.fromObject(bandPlain)).finish()), options);
    return (h.requestId as number) + (b.requestId as number);
  };
}

export function protobufFigure(): Figure {
  const project = () => {
    const host = HostMessageCodec.decode(HostMessageCodec.encode(request));
    const band = BandMessageCodec.decode(BandMessageCodec.encode(reply));
    return host.requestId + band.requestId;
  };
  return {
    key: 'protobuf_vs_protobufjs',
    label: 'band protobuf GetState request+reply vs bare protobufjs',
    target: 0.7,
    project,
    peer: bareProtobuf(),
    check() {
      const band = BandMessageCodec.decode(BandMessageCodec.encode(reply));
      if (
        JSON.stringify(band) !== JSON.stringify({ requestId: 4242, body: { case: 'getState', value: GET_STATE_REPLY } })
      )
        throw new Error(`protobuf: GetState reply did not survive the round trip: ${JSON.stringify(band)}`);
    },
  };
}

/** Not a timing: serial bytes on the wire per payload byte at 1 KiB (COBS + command + CRC + delimiter). */
export function wireOverhead(): { project: number; peer: number; ratio: number; min: number; max: number } {
  const wire = encodeFrame({ command: Command.BAND, payload: payloadOf(1024) }).length;
  const ratio = wire / 1024;
  return { project: wire, peer: 1024, ratio, min: ratio, max: ratio };
}
