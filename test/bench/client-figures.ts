/**
 * BandClient round trips: over the loopback against the bare codec floor (protobufjs encoding and decoding the
 * same request and reply, the least any RPC over this schema does), and over a socat pty pair against a raw
 * 64-byte echo through serialport on a pty pair of its own.
 */
import { spawnSync } from 'node:child_process';
import type { BandDevice } from '../../firmware-sim/band-device.js';
import { serveBand } from '../../firmware-sim/serve.js';
import { BandClient } from '../../host/index.js';
import { BandMessageCodec, HostMessageCodec } from '../../proto/index.js';
import { Command, loopbackPair, openSerial, type Transport } from '../../transport/index.js';
import { socatPair } from '../transport/socat-pair.js';
import { GET_STATE_REPLY, bareProtobuf } from './codec-figures.js';
import type { Figure } from './figure.js';

/** Just enough band for the client: echoes PING, answers every BAND request with the GetState reply. */
const minimalBand: BandDevice = {
  handle(unit) {
    if (unit.command !== Command.BAND) return Promise.resolve(unit);
    const { requestId } = HostMessageCodec.decode(unit.payload);
    return Promise.resolve({
      command: Command.BAND,
      payload: BandMessageCodec.encode({ requestId, body: { case: 'getState', value: GET_STATE_REPLY } }),
    });
  },
  onEvent: () => () => undefined,
};

function checkState(state: { userName?: string }): void {
  if (state.userName !== 'tw-user2') throw new Error(`BandClient: unexpected GetState reply ${JSON.stringify(state)}`);
}

export function loopbackFigure(): { figure: Figure; close(): Promise<void> } {
  const [clientSide, bandSide] = loopbackPair();
  const serving = serveBand(minimalBand, bandSide);
  const client = new BandClient(clientSide, { timeoutMs: 30_000 });
  return {
    figure: {
      key: 'client_loopback_vs_codec',
      label: 'BandClient.getState over the loopback vs bare protobufjs request+reply',
      target: 0.2,
      project: () => client.getState(),
      peer: bareProtobuf(),
      check: async () => checkState(await client.getState()),
    },
    async close() {
      client.close();
      serving.stop();
      await clientSide.close();
    },
  };
}

export function socatAvailable(): boolean {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
}

async function openRaw(path: string) {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  return port;
}

/** Two pty pairs: one carries the raw echo (serialport both ends), the other the band protocol. */
export async function ptyFigures(): Promise<{ figures: Figure[]; close(): Promise<void> }> {
  const rawPair = await socatPair();
  const rpcPair = await socatPair();
  const [rawA, rawB] = await Promise.all([openRaw(rawPair.paths[0]), openRaw(rawPair.paths[1])]);
  rawB.on('data', (chunk) => rawB.write(chunk, () => undefined));
  const echoed = { want: 0, got: 0, done: undefined as (() => void) | undefined };
  rawA.on('data', (chunk) => {
    echoed.got += chunk.length;
    if (echoed.got >= echoed.want) echoed.done?.();
  });
  const block = Buffer.alloc(64, 0x5a);
  const rawEcho = () =>
    new Promise<void>((resolve, reject) => {
      echoed.want = 64;
      echoed.got = 0;
      echoed.done = resolve;
      rawA.write(block, (e) => e && reject(e));
    });

  const bandSide: Transport = await openSerial(rpcPair.paths[1]);
  const serving = serveBand(minimalBand, bandSide);
  const hostSide = await openSerial(rpcPair.paths[0]);
  const client = new BandClient(hostSide, { timeoutMs: 30_000 });
  const ping = new Uint8Array(64).fill(0x5a);

  const figures: Figure[] = [
    {
      key: 'pty_getstate_vs_raw_echo',
      label: 'BandClient.getState over a socat pty vs raw 64-byte echo (serialport)',
      target: 0.8,
      project: () => client.getState(),
      peer: rawEcho,
      check: async () => checkState(await client.getState()),
    },
    {
      key: 'pty_ping_vs_raw_echo',
      label: 'BandClient.ping(64 B) over a socat pty vs raw 64-byte echo (serialport)',
      target: 0.8,
      project: () => client.ping(ping),
      peer: rawEcho,
      async check() {
        const back = await client.ping(ping);
        if (back.length !== 64 || back.some((b) => b !== 0x5a)) throw new Error('ping: the echo changed');
      },
    },
  ];
  return {
    figures,
    async close() {
      client.close();
      serving.stop();
      await Promise.all([hostSide.close(), bandSide.close()]).catch(() => undefined);
      await Promise.all(
        [rawA, rawB].map((p) => new Promise<void>((resolve) => (p.isOpen ? p.close(() => resolve()) : resolve()))),
      );
      await Promise.all([rawPair.kill(), rpcPair.kill()]);
    },
  };
}
