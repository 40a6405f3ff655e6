import { afterEach, describe, expect, it } from 'vitest';
import type { BandDevice, DeviceContext } from '../../firmware-sim/band-device.js';
import { serveBand } from '../../firmware-sim/serve.js';
import { BandClient, BandClientError, BandError } from '../../host/index.js';
import { BandMessageCodec, HostMessageCodec, type Init, type BandMessage } from '../../proto/index.js';
import { Command, HidError, loopbackPair, type Unit } from '../../transport/index.js';

/**
 * A scripted device for the client's own behaviour (matching, busy, timeout, abort, disconnect,
 * version refusal). The real band is exercised in test/band and test/conformance.
 */
function scriptedDevice(
  reply: (msg: ReturnType<typeof HostMessageCodec.decode>, ctx: DeviceContext) => Promise<Init<BandMessage> | null>,
) {
  const listeners = new Set<(u: Unit) => void>();
  const device: BandDevice & { emit(m: Init<BandMessage>): void } = {
    async handle(unit, ctx) {
      if (unit.command === Command.PING) return unit;
      const msg = HostMessageCodec.decode(unit.payload);
      const out = await reply(msg, ctx);
      if (!out) return new Promise<Unit>(() => undefined);
      return { command: Command.BAND, payload: BandMessageCodec.encode(out) };
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit(m) {
      for (const l of listeners) l({ command: Command.BAND, payload: BandMessageCodec.encode(m) });
    },
  };
  return device;
}

const info = (major: number): Init<BandMessage>['body'] => ({
  case: 'getInfo',
  value: {
    protocolVersion: { major, minor: 0 },
    serialNumber: 'AAAH-00125',
    deviceId: new Uint8Array(16),
    firmwareVersion: 't',
  },
});

function setup(device: BandDevice, timeoutMs = 1_000) {
  const [host, band] = loopbackPair();
  const serving = serveBand(device, band);
  const client = new BandClient(host, { timeoutMs });
  cleanups.push(async () => {
    client.close();
    serving.stop();
    await host.close();
  });
  return { client, host, band };
}
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('BandClient', () => {
  it('matches replies by request_id and returns typed bodies', async () => {
    const { client } = setup(scriptedDevice(async (m) => ({ requestId: m.requestId, body: info(1) })));
    const got = await client.getInfo();
    expect(got.serialNumber).toBe('AAAH-00125');
    expect(client.bandInfo?.serialNumber).toBe('AAAH-00125');
  });

  it('a CTAPHID ERROR reply is a DEVICE_ERROR carrying the CTAPHID code as a typed field', async () => {
    const busy: BandDevice = {
      handle: async () => ({ command: Command.ERROR, payload: Uint8Array.of(HidError.CHANNEL_BUSY) }),
      onEvent: () => () => undefined,
    };
    const { client } = setup(busy);
    const error = await client.getInfo().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BandClientError);
    expect(error).toMatchObject({ code: 'DEVICE_ERROR', hidError: HidError.CHANNEL_BUSY });
    expect((error as Error).message).toMatch(/CTAPHID ERROR CHANNEL_BUSY \(0x06\)/);
  });

  it('refuses a band whose major protocol version it does not speak', async () => {
    const { host } = setup(scriptedDevice(async (m) => ({ requestId: m.requestId, body: info(2) })));
    const error = await BandClient.connect(host).catch((e) => e);
    expect(error).toBeInstanceOf(BandClientError);
    expect(error.code).toBe('UNSUPPORTED_VERSION');
    expect(error.message).toMatch(/speaks band protocol 2\.0; this host speaks 1\.x/);
  });

  it('turns a band Error into a BandError with code and state', async () => {
    const { client } = setup(
      scriptedDevice(async (m) => ({
        requestId: m.requestId,
        body: {
          case: 'error',
          value: { code: 'ERROR_CODE_WRONG_STATE', message: 'not now', state: 'BAND_STATE_UNENROLLED' },
        },
      })),
    );
    const error = await client.startCapture().catch((e) => e);
    expect(error).toBeInstanceOf(BandError);
    expect(error.code).toBe('ERROR_CODE_WRONG_STATE');
    expect(error.state).toBe('BAND_STATE_UNENROLLED');
  });

  it('gives a second concurrent caller a clear BUSY error, not interleaved bytes', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { client } = setup(
      scriptedDevice(async (m) => {
        await gate;
        return { requestId: m.requestId, body: { case: 'getState', value: {} } };
      }),
    );
    const first = client.getState();
    const second = await client.getInfo().catch((e) => e);
    expect(second.code).toBe('BUSY');
    release();
    await expect(first).resolves.toBeDefined();
    await expect(client.getState()).resolves.toBeDefined();
  });

  it('times out, then serves the next call (a late stray reply is ignored)', async () => {
    let n = 0;
    const { client } = setup(
      scriptedDevice(async (m) => {
        if (n++ === 0) await new Promise((r) => setTimeout(r, 80));
        return { requestId: m.requestId, body: { case: 'getState', value: { userName: `call ${m.requestId}` } } };
      }),
      30,
    );
    const error = await client.getState().catch((e) => e);
    expect(error.code).toBe('TIMEOUT');
    await new Promise((r) => setTimeout(r, 100));
    const next = await client.getState({ timeoutMs: 1_000 });
    expect(next.userName).toBe('call 2');
    expect(client.droppedUnits).toBe(1);
  });

  it('waits out a timeout longer than Node can time (about 24.8 days) instead of firing at once', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      let answer: (() => void) | undefined;
      const { client } = setup(
        scriptedDevice(async (m) => {
          await new Promise<void>((r) => (answer = r));
          return { requestId: m.requestId, body: { case: 'getState', value: { userName: 'a month later' } } };
        }),
      );
      const call = client.getState({ timeoutMs: 30 * 24 * 3600 * 1000 });
      let settled = false;
      void call.then(
        () => (settled = true),
        () => (settled = true),
      );
      await new Promise((r) => setTimeout(r, 50));
      expect(settled).toBe(false);
      answer!();
      expect((await call).userName).toBe('a month later');
      expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('honours AbortSignal', async () => {
    const { client } = setup(scriptedDevice(async () => null));
    const controller = new AbortController();
    const call = client.getState({ signal: controller.signal });
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(client.getState({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('rejects the call in flight with DISCONNECTED when the link dies', async () => {
    const { client, band } = setup(scriptedDevice(async () => null));
    const call = expect(client.getState()).rejects.toMatchObject({ code: 'DISCONNECTED' });
    await band.close();
    await call;
    await expect(client.getState()).rejects.toMatchObject({ code: 'DISCONNECTED' });
  });

  it('delivers events through the async iterator, filtered and until an event', async () => {
    const device = scriptedDevice(async (m) => ({ requestId: m.requestId, body: info(1) }));
    const { client } = setup(device);
    const it = client.events();
    const wiped = client.events({ filter: (e) => e.case === 'userDataDeleted' });
    const untilWiped = client.events({ until: (e) => e.case === 'userDataDeleted' });
    device.emit({
      requestId: 0,
      body: { case: 'event', value: { kind: { case: 'wristChanged', value: { onWrist: true } } } },
    });
    device.emit({ requestId: 0, body: { case: 'event', value: { kind: { case: 'userDataDeleted', value: {} } } } });
    expect((await it.next()).value).toEqual({ case: 'wristChanged', value: { onWrist: true } });
    expect((await it.next()).value).toEqual({ case: 'userDataDeleted', value: {} });
    expect((await wiped.next()).value).toEqual({ case: 'userDataDeleted', value: {} });
    await wiped.return!();
    const seen = [];
    for await (const event of untilWiped) seen.push(event.case);
    expect(seen).toEqual(['wristChanged', 'userDataDeleted']);
    await it.return!();
    expect((await it.next()).done).toBe(true);
  });

  it('PING echoes through the real framing', async () => {
    const { client } = setup(scriptedDevice(async () => null));
    const data = new Uint8Array(7000).map((_, i) => i & 0xff);
    expect(Uint8Array.from(await client.ping(data))).toEqual(data);
  });
});
