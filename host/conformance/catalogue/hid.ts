import { Command } from '../../../transport/index.js';
import { awaitConfirm, makeCredentialRequest, parseReply, startCtap, Status, statusHex } from '../ctap.js';
import { check, enrolledBand, isAnswer, stillServing } from '../support.js';
import type { ConformanceContext, Requirement } from '../types.js';
import { Recorder } from '../unit-log.js';
import {
  BROADCAST,
  cidHex,
  contReport,
  describeReport,
  describeUnit,
  equalBytes,
  HidErr,
  INIT_DATA,
  initReport,
  MAX_PAYLOAD,
  parseReport,
  pattern,
  randomNonce,
} from '../wire.js';

const CTAPHID = 'CTAP 2.1 §11.2.4';

/** Every report arriving on the link from now on, whatever its channel. */
function reportLog(ctx: ConformanceContext): Recorder<Uint8Array> {
  const log = new Recorder<Uint8Array>(describeReport);
  const off = ctx.hid!.onReport((report) => log.push(report));
  ctx.signal.addEventListener('abort', off, { once: true });
  return log;
}

const isError = (code: number, cid: number) => (report: Uint8Array) => {
  const p = parseReport(report);
  return p.cid === cid && p.command === Command.ERROR && p.data[0] === code;
};

const onChannel = (cid: number) => (report: Uint8Array) =>
  parseReport(report).cid === cid && parseReport(report).command !== undefined;

/** INIT on the broadcast channel: a second channel of our own, as a second host would get. */
async function allocateChannel(
  ctx: ConformanceContext,
  log: Recorder<Uint8Array>,
): Promise<{ cid: number; reply: Uint8Array }> {
  const nonce = randomNonce();
  const after = log.length;
  await ctx.hid!.writeReport(initReport(BROADCAST, Command.INIT, 8, nonce));
  const { item } = await log.waitFor(
    (r) => {
      const p = parseReport(r);
      return p.cid === BROADCAST && p.command === Command.INIT && equalBytes(p.data.subarray(0, 8), nonce);
    },
    {
      after,
      timeoutMs: ctx.callTimeoutMs,
      what: 'an INIT reply on the broadcast channel echoing our nonce',
      signal: ctx.signal,
    },
  );
  const p = parseReport(item);
  const cid = new DataView(p.data.buffer, p.data.byteOffset, p.data.length).getUint32(8);
  return { cid, reply: item };
}

/** The first report of a `length`-byte PING on `cid`; the rest is left unsent. */
function firstPacketOnly(cid: number, length: number): Uint8Array {
  return initReport(cid, Command.PING, length, pattern(length));
}

export const HID: Requirement[] = [
  {
    id: 'HID-001',
    title:
      'INIT on the broadcast channel is answered there with our nonce and a new channel id (not 0, broadcast or ours)',
    source: `${CTAPHID}; CTAP 2.1 §11.2.9 CTAPHID_INIT`,
    needs: ['hid'],
    async run(ctx) {
      const log = reportLog(ctx);
      const { cid, reply } = await allocateChannel(ctx, log);
      const p = parseReport(reply);
      check(p.length === 17, 'a 17-byte INIT reply', `${p.length} bytes`);
      check(
        cid !== 0 && cid !== BROADCAST && cid !== ctx.hid!.channel,
        `a fresh channel id (ours is ${cidHex(ctx.hid!.channel)})`,
        cidHex(cid),
      );
      check(p.data[12] === 2, 'CTAPHID protocol version 2', String(p.data[12]));
      const again = await allocateChannel(ctx, log);
      check(
        again.cid !== cid && again.cid !== ctx.hid!.channel,
        'a different channel id for each INIT on the broadcast channel',
        `${cidHex(again.cid)} twice`,
      );
    },
  },
  {
    id: 'HID-002',
    title: "a reply travels on its request's channel: a PING from a second channel is echoed there, not on ours",
    source: CTAPHID,
    needs: ['hid'],
    async run(ctx) {
      const log = reportLog(ctx);
      const { cid } = await allocateChannel(ctx, log);
      const data = pattern(20, 9);
      const after = log.length;
      const ours = ctx.units.length;
      await ctx.hid!.writeReport(initReport(cid, Command.PING, data.length, data));
      const { item } = await log.waitFor(
        (r) => parseReport(r).command !== undefined && parseReport(r).cid !== BROADCAST,
        {
          after,
          timeoutMs: ctx.callTimeoutMs,
          what: `a PING echo on ${cidHex(cid)}`,
          signal: ctx.signal,
        },
      );
      const p = parseReport(item);
      check(
        p.cid === cid && p.command === Command.PING && equalBytes(p.data, data),
        `the PING echoed on ${cidHex(cid)}`,
        describeReport(item),
      );
      const stray = ctx.units.since(ours).filter(isAnswer);
      check(
        stray.length === 0,
        `nothing on our channel ${cidHex(ctx.hid!.channel)}`,
        stray.map(describeUnit).join(', '),
      );
    },
  },
  {
    id: 'HID-003',
    title:
      "a second channel's packet while a message is half-sent gets ERROR CHANNEL_BUSY; the first message completes",
    source: `${CTAPHID}; CTAP 2.1 §11.2.9 CTAPHID_ERROR`,
    needs: ['hid'],
    async run(ctx) {
      const log = reportLog(ctx);
      const { cid: second } = await allocateChannel(ctx, log);
      const mine = ctx.hid!.channel;
      const data = pattern(100, 1);
      const after = log.length;
      const ours = ctx.units.length;
      await ctx.hid!.writeReport(initReport(mine, Command.PING, data.length, data));
      await ctx.hid!.writeReport(initReport(second, Command.PING, 4, pattern(4)));
      await log.waitFor(isError(HidErr.CHANNEL_BUSY, second), {
        after,
        timeoutMs: ctx.callTimeoutMs,
        what: `ERROR CHANNEL_BUSY on ${cidHex(second)} while ${cidHex(mine)} is mid-message`,
        signal: ctx.signal,
      });
      await ctx.hid!.writeReport(contReport(mine, 0, data.subarray(INIT_DATA)));
      const { item } = await ctx.units.waitFor(isAnswer, {
        after: ours,
        timeoutMs: ctx.callTimeoutMs,
        what: 'our 100-byte PING echoed',
        signal: ctx.signal,
      });
      check(
        item.command === Command.PING && equalBytes(item.payload, data),
        'our 100-byte PING echoed once completed',
        describeUnit(item),
      );
    },
  },
  {
    id: 'HID-004',
    title: 'a second channel gets ERROR CHANNEL_BUSY while a request on another channel waits for the user',
    source: `${CTAPHID}; CTAP 2.1 §11.2.9 CTAPHID_ERROR`,
    needs: ['hid', 'debug-link', 'erase', 'fido2'],
    async run(ctx) {
      await enrolledBand(ctx);
      const log = reportLog(ctx);
      const { cid: second } = await allocateChannel(ctx, log);
      const pending = startCtap(ctx, makeCredentialRequest().payload, { timeoutMs: 20_000 });
      await awaitConfirm(ctx, pending, 'makeCredential');
      const after = log.length;
      await ctx.hid!.writeReport(initReport(second, Command.PING, 4, pattern(4)));
      const { item } = await log.waitFor(onChannel(second), {
        after,
        timeoutMs: ctx.callTimeoutMs,
        what: `an answer on ${cidHex(second)}`,
        signal: ctx.signal,
      });
      check(
        isError(HidErr.CHANNEL_BUSY, second)(item),
        `ERROR CHANNEL_BUSY on ${cidHex(second)}`,
        describeReport(item),
      );
      await ctx.band.debug.press('BUTTON_TOP');
      const reply = parseReply(await pending.reply, 'authenticatorMakeCredential');
      check(reply.status === Status.OK, 'the waiting request to finish normally', `status ${statusHex(reply.status)}`);
    },
  },
  {
    id: 'HID-005',
    title: 'a continuation packet out of sequence gets ERROR INVALID_SEQ, and the band keeps serving',
    source: `${CTAPHID}; CTAP 2.1 §11.2.9 CTAPHID_ERROR`,
    needs: ['hid'],
    async run(ctx) {
      const mine = ctx.hid!.channel;
      const ours = ctx.units.length;
      await ctx.hid!.writeReport(firstPacketOnly(mine, 200));
      await ctx.hid!.writeReport(contReport(mine, 1, pattern(59)));
      const { item } = await ctx.units.waitFor(isAnswer, {
        after: ours,
        timeoutMs: ctx.callTimeoutMs,
        what: 'ERROR INVALID_SEQ for seq 1 after the init packet',
        signal: ctx.signal,
      });
      check(
        item.command === Command.ERROR && item.payload[0] === HidErr.INVALID_SEQ,
        'ERROR INVALID_SEQ for seq 1 after the init packet',
        describeUnit(item),
      );
      await stillServing(ctx, 'INVALID_SEQ');
    },
  },
  {
    id: 'HID-006',
    title: 'a message left unfinished is abandoned with ERROR MSG_TIMEOUT without waiting for another packet',
    source: `${CTAPHID}; CTAP 2.1 §11.2.9 CTAPHID_ERROR`,
    needs: ['hid'],
    async run(ctx) {
      const ours = ctx.units.length;
      await ctx.hid!.writeReport(firstPacketOnly(ctx.hid!.channel, 200));
      const { item } = await ctx.units.waitFor(isAnswer, {
        after: ours,
        timeoutMs: 3_000,
        what: 'ERROR MSG_TIMEOUT for a half-sent message',
        signal: ctx.signal,
      });
      check(
        item.command === Command.ERROR && item.payload[0] === HidErr.MSG_TIMEOUT,
        'ERROR MSG_TIMEOUT for a half-sent message',
        describeUnit(item),
      );
      await stillServing(ctx, 'MSG_TIMEOUT');
    },
  },
  {
    id: 'HID-007',
    title: `an init packet announcing more than ${MAX_PAYLOAD} bytes gets ERROR INVALID_LEN, and the band keeps serving`,
    source: `${CTAPHID}; docs/protocol.md §Layer 2`,
    needs: ['hid'],
    async run(ctx) {
      const ours = ctx.units.length;
      await ctx.hid!.writeReport(firstPacketOnly(ctx.hid!.channel, MAX_PAYLOAD + 1));
      const { item } = await ctx.units.waitFor(isAnswer, {
        after: ours,
        timeoutMs: ctx.callTimeoutMs,
        what: `ERROR INVALID_LEN for a ${MAX_PAYLOAD + 1}-byte message`,
        signal: ctx.signal,
      });
      check(
        item.command === Command.ERROR && item.payload[0] === HidErr.INVALID_LEN,
        `ERROR INVALID_LEN for a ${MAX_PAYLOAD + 1}-byte message`,
        describeUnit(item),
      );
      await stillServing(ctx, 'INVALID_LEN');
    },
  },
  {
    id: 'HID-008',
    title: 'a command other than INIT on the broadcast channel gets ERROR INVALID_CHANNEL',
    source: CTAPHID,
    needs: ['hid'],
    async run(ctx) {
      const log = reportLog(ctx);
      const after = log.length;
      await ctx.hid!.writeReport(initReport(BROADCAST, Command.PING, 4, pattern(4)));
      const { item } = await log.waitFor(onChannel(BROADCAST), {
        after,
        timeoutMs: ctx.callTimeoutMs,
        what: 'an answer on the broadcast channel',
        signal: ctx.signal,
      });
      check(
        isError(HidErr.INVALID_CHANNEL, BROADCAST)(item),
        'ERROR INVALID_CHANNEL on the broadcast channel',
        describeReport(item),
      );
      await stillServing(ctx, 'INVALID_CHANNEL');
    },
  },
  {
    id: 'HID-009',
    title: 'INIT on our own channel resynchronises it: a half-sent message is dropped silently and the channel is kept',
    source: `${CTAPHID}; CTAP 2.1 §11.2.9 CTAPHID_INIT`,
    needs: ['hid'],
    async run(ctx) {
      const mine = ctx.hid!.channel;
      const nonce = randomNonce();
      const ours = ctx.units.length;
      await ctx.hid!.writeReport(firstPacketOnly(mine, 200));
      await ctx.hid!.writeReport(initReport(mine, Command.INIT, 8, nonce));
      const { item } = await ctx.units.waitFor(isAnswer, {
        after: ours,
        timeoutMs: ctx.callTimeoutMs,
        what: 'an INIT reply on our channel',
        signal: ctx.signal,
      });
      check(item.command === Command.INIT, 'an INIT reply on our channel', describeUnit(item));
      const cid =
        item.payload.length >= 12
          ? new DataView(item.payload.buffer, item.payload.byteOffset, item.payload.length).getUint32(8)
          : -1;
      check(
        equalBytes(item.payload.subarray(0, 8), nonce) && cid === mine,
        `our nonce and our channel ${cidHex(mine)} back`,
        `channel ${cid === -1 ? '(none)' : cidHex(cid)}`,
      );
      const late = await ctx.units.collect((u) => u.command === Command.ERROR, {
        after: ours,
        ms: 800,
        signal: ctx.signal,
      });
      check(late.length === 0, 'no ERROR for the abandoned message', late.map(describeUnit).join(', '));
      await stillServing(ctx, 'INIT on our channel');
    },
  },
];
