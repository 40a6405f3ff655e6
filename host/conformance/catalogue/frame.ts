import { DebugRequestCodec, DebugResponseCodec } from '../../../proto/index.js';
import { Command } from '../../../transport/index.js';
import { awaitConfirm, makeCredentialRequest, parseReply, startCtap, Status, statusHex } from '../ctap.js';
import { check, enrolledBand, exchange, isAnswer, stillServing } from '../support.js';
import type { Requirement } from '../types.js';
import { sleep } from '../sleep.js';
import { describeUnit, equalBytes, frame, hex, HidErr, MAX_PAYLOAD, pattern, randomNonce } from '../wire.js';

const LAYER2 = 'docs/protocol.md §Layer 2';
const LAYER1A = 'docs/protocol.md §Layer 1a';

/** Sizes around every packet boundary of a CTAPHID message (57, then 59 per continuation) and the maximum. */
export const PING_SIZES = [0, 1, 56, 57, 58, 115, 116, 117, 1024, 4096, MAX_PAYLOAD - 1, MAX_PAYLOAD];

export const FRAME: Requirement[] = [
  {
    id: 'FRAME-001',
    title: `PING echoes its payload unchanged at sizes from 0 to ${MAX_PAYLOAD} bytes, every packet boundary included`,
    source: `${LAYER2}; CTAP 2.1 §11.2.9 CTAPHID_PING`,
    needs: [],
    timeoutMs: 120_000,
    async run(ctx) {
      for (const size of PING_SIZES) {
        const data = pattern(size, size);
        const reply = await exchange(
          ctx,
          { command: Command.PING, payload: data },
          isAnswer,
          `a PING echo of ${size} bytes`,
          Math.max(ctx.callTimeoutMs, 15_000),
        );
        check(reply.command === Command.PING, `PING of ${size} bytes answered by PING`, describeUnit(reply));
        check(
          equalBytes(reply.payload, data),
          `the ${size}-byte PING payload echoed unchanged`,
          reply.payload.length === data.length
            ? `different bytes (${hex(reply.payload)})`
            : `${reply.payload.length} bytes`,
        );
      }
    },
  },
  {
    id: 'FRAME-002',
    title:
      'INIT answers 17 bytes: the 8-byte nonce, a usable channel id, CTAPHID protocol 2, the CBOR bit exactly when FIDO2',
    source: `${LAYER2}; CTAP 2.1 §11.2.9 CTAPHID_INIT`,
    needs: [],
    async run(ctx) {
      const nonce = randomNonce();
      const reply = await exchange(ctx, { command: Command.INIT, payload: nonce }, isAnswer, 'an INIT reply');
      check(reply.command === Command.INIT, 'INIT answered by INIT', describeUnit(reply));
      const p = reply.payload;
      check(p.length === 17, 'a 17-byte INIT reply', `${p.length} bytes (${hex(p)})`);
      check(equalBytes(p.subarray(0, 8), nonce), `the nonce ${hex(nonce)} echoed`, hex(p.subarray(0, 8)));
      const cid = new DataView(p.buffer, p.byteOffset, p.length).getUint32(8);
      check(cid !== 0 && cid !== 0xffffffff, 'a channel id other than 0 and 0xffffffff', `0x${cid.toString(16)}`);
      if (ctx.hid)
        check(
          cid === ctx.hid.channel,
          `INIT on our channel to keep it (0x${ctx.hid.channel.toString(16)})`,
          `0x${cid.toString(16)}`,
        );
      check(p[12] === 2, 'CTAPHID protocol version 2', String(p[12]));
      if (ctx.profile.info) {
        const fido2 = ctx.profile.capabilities.has('CAPABILITY_FIDO2');
        check(
          ((p[16] & 0x04) !== 0) === fido2,
          `the CBOR capability bit (0x04) ${fido2 ? 'set on a band advertising' : 'clear on a band without'} CAPABILITY_FIDO2`,
          `capabilities 0x${p[16].toString(16)}`,
        );
      }
      await stillServing(ctx, 'INIT');
    },
  },
  {
    id: 'FRAME-003',
    title: 'an unknown command is answered ERROR INVALID_CMD (0x01), and the band keeps serving',
    source: `${LAYER2}; CTAP 2.1 §11.2.9 CTAPHID_ERROR`,
    needs: [],
    async run(ctx) {
      for (const command of [0x20, 0x5a]) {
        const reply = await exchange(
          ctx,
          { command, payload: Uint8Array.of(1, 2, 3) },
          isAnswer,
          `an answer to command 0x${command.toString(16)}`,
        );
        check(
          reply.command === Command.ERROR && reply.payload[0] === HidErr.INVALID_CMD,
          `command 0x${command.toString(16)} answered ERROR INVALID_CMD`,
          describeUnit(reply),
        );
      }
      await stillServing(ctx, 'unknown commands');
    },
  },
  {
    id: 'FRAME-004',
    title: 'CANCEL with no request in flight is harmless: no answer, and the next request is served',
    source: `${LAYER2} (CANCEL: "none"); CTAP 2.1 §11.2.9 CTAPHID_CANCEL`,
    needs: [],
    async run(ctx) {
      const after = ctx.units.length;
      await ctx.transport.send({ command: Command.CANCEL, payload: new Uint8Array(0) });
      const answers = await ctx.units.collect(isAnswer, { after, ms: 300, signal: ctx.signal });
      check(answers.length === 0, 'no answer to a CANCEL', answers.map(describeUnit).join(', '));
      await stillServing(ctx, 'CANCEL');
    },
  },
  {
    id: 'FRAME-005',
    title: 'WINK is answered with an empty WINK',
    source: `${LAYER2}; CTAP 2.1 §11.2.9 CTAPHID_WINK`,
    needs: [],
    async run(ctx) {
      const reply = await exchange(
        ctx,
        { command: Command.WINK, payload: new Uint8Array(0) },
        isAnswer,
        'a WINK reply',
      );
      check(reply.command === Command.WINK && reply.payload.length === 0, 'an empty WINK reply', describeUnit(reply));
    },
  },
  {
    id: 'FRAME-006',
    title:
      'DEBUG (0x42) is answered with a DebugResponse when CAPABILITY_DEBUG_LINK is advertised, ERROR INVALID_CMD otherwise',
    source: `${LAYER2}; debug.proto`,
    needs: [],
    async run(ctx) {
      const payload = DebugRequestCodec.encode({ requestId: 77, action: { case: 'readScreen', value: {} } });
      const reply = await exchange(ctx, { command: Command.DEBUG, payload }, isAnswer, 'an answer to DEBUG');
      if (!ctx.profile.capabilities.has('CAPABILITY_DEBUG_LINK')) {
        check(
          reply.command === Command.ERROR && reply.payload[0] === HidErr.INVALID_CMD,
          'ERROR INVALID_CMD from a band without the debug link',
          describeUnit(reply),
        );
        return;
      }
      check(
        reply.command === Command.DEBUG,
        'a DEBUG reply from a band advertising CAPABILITY_DEBUG_LINK',
        describeUnit(reply),
      );
      let requestId: number | undefined;
      let result: string | undefined;
      try {
        const decoded = DebugResponseCodec.decode(reply.payload);
        requestId = decoded.requestId;
        result = decoded.result?.case;
      } catch {
        // reported below
      }
      check(
        requestId === 77 && result === 'screen',
        'DebugResponse{request_id 77, screen}',
        `request_id ${requestId}, ${result ?? `an undecodable payload ${hex(reply.payload)}`}`,
      );
    },
  },
  {
    id: 'FRAME-007',
    title: 'a frame longer than the largest valid frame is dropped without an answer, and the link keeps serving',
    source: LAYER1A,
    needs: ['framed'],
    async run(ctx) {
      const after = ctx.units.length;
      await ctx.framed!.writeBytes(frame(Command.PING, pattern(MAX_PAYLOAD + 1)));
      const answers = await ctx.units.collect(isAnswer, { after, ms: 500, signal: ctx.signal });
      check(
        answers.length === 0,
        `no answer to an oversize frame (${MAX_PAYLOAD + 1}-byte payload)`,
        answers.map(describeUnit).join(', '),
      );
      await stillServing(ctx, 'an oversize frame');
    },
  },
  {
    id: 'FRAME-008',
    title: 'a frame whose CRC-32 does not match is dropped without an answer, and the next frame is served',
    source: LAYER1A,
    needs: ['framed'],
    async run(ctx) {
      const after = ctx.units.length;
      await ctx.framed!.writeBytes(frame(Command.PING, pattern(20), { corruptCrc: true }));
      const answers = await ctx.units.collect(isAnswer, { after, ms: 300, signal: ctx.signal });
      check(answers.length === 0, 'no answer to a frame with a bad CRC', answers.map(describeUnit).join(', '));
      await stillServing(ctx, 'a frame with a bad CRC');
    },
  },
  {
    id: 'FRAME-009',
    title: 'garbage before a delimiter and empty frames are ignored: the band resynchronises at the next 0x00',
    source: LAYER1A,
    needs: ['framed'],
    async run(ctx) {
      const data = pattern(30, 3);
      const garbage = Uint8Array.of(0x07, 0x41, 0x99, 0x13, 0x37, 0xfe, 0x00, 0x00, 0x00);
      const wire = new Uint8Array([...garbage, ...frame(Command.PING, data), 0x00]);
      const after = ctx.units.length;
      await ctx.framed!.writeBytes(wire);
      const { item } = await ctx.units.waitFor(isAnswer, {
        after,
        timeoutMs: ctx.callTimeoutMs,
        what: 'the PING behind the garbage echoed',
        signal: ctx.signal,
      });
      check(
        item.command === Command.PING && equalBytes(item.payload, data),
        'the PING behind the garbage echoed',
        describeUnit(item),
      );
      const extra = await ctx.units.collect(isAnswer, { after: ctx.units.length, ms: 200, signal: ctx.signal });
      check(extra.length === 0, 'no answer to garbage or empty frames', extra.map(describeUnit).join(', '));
    },
  },
  {
    id: 'FRAME-010',
    title: 'one request at a time: a request while another waits gets ERROR CHANNEL_BUSY (0x06); the first is unharmed',
    source: `${LAYER2} ("One request is in flight per band")`,
    needs: ['debug-link', 'erase', 'fido2'],
    async run(ctx) {
      await enrolledBand(ctx);
      const pending = startCtap(ctx, makeCredentialRequest().payload, { timeoutMs: 20_000, onlyCbor: true });
      await awaitConfirm(ctx, pending, 'makeCredential');
      const after = ctx.units.length;
      await ctx.transport.send({ command: Command.PING, payload: pattern(8) });
      const busy = await ctx.units.waitFor((u) => u.command === Command.ERROR || u.command === Command.PING, {
        after,
        timeoutMs: ctx.callTimeoutMs,
        what: 'ERROR CHANNEL_BUSY for a PING sent while makeCredential waits',
        signal: ctx.signal,
      });
      check(
        busy.item.command === Command.ERROR && busy.item.payload[0] === HidErr.CHANNEL_BUSY,
        'ERROR CHANNEL_BUSY for a PING sent while makeCredential waits',
        describeUnit(busy.item),
      );
      await sleep(50, ctx.signal);
      check(!pending.answered(), 'makeCredential still waiting after the refused PING', 'it ended');
      await ctx.band.debug.press('BUTTON_TOP');
      const reply = parseReply(await pending.reply, 'authenticatorMakeCredential');
      check(
        reply.status === Status.OK,
        'the waiting makeCredential to succeed after the tap',
        `status ${statusHex(reply.status)}`,
      );
    },
  },
];
