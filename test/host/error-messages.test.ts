import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BandClient, BandClientError, openBand, TransportError } from '../../host/index.js';
import { bandctl } from '../support/bandctl.js';

/**
 * A library error says what happened and what to do once: a wrapped cause is named by class and code and kept
 * whole in `cause`, never pasted in with its own advice ("…; reconnect; reconnect and retry").
 */
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A TCP peer that accepts, reads the first bytes and hangs up: a band that died under the first call. */
async function hangUpOnFirstRequest(): Promise<string> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('data', () => socket.destroy());
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  const { port } = server.address() as { port: number };
  return `tcp:127.0.0.1:${port}`;
}

/** How many times a message tells the reader to try again. */
const retries = (message: string) => message.match(/\b(retry|reconnect|run the command again)\b/g)?.length ?? 0;

describe('library error messages: what happened and what to do, once; causes as data', () => {
  it('a band that hangs up under a call: BandClientError DISCONNECTED whose cause is the TransportError', async () => {
    const uri = await hangUpOnFirstRequest();
    const error = await openBand(uri, { timeoutMs: 30_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BandClientError);
    expect(error).toMatchObject({ code: 'DISCONNECTED' });
    const cause = (error as Error).cause;
    expect(cause).toBeInstanceOf(TransportError);
    expect(cause).toMatchObject({ code: 'DISCONNECTED' });
    const message = (error as Error).message;
    // The cause is named, not repeated, and the advice comes once.
    expect(message).toContain('TransportError DISCONNECTED');
    expect(message).not.toContain((cause as Error).message);
    expect(retries(message)).toBe(1);
  });

  it('a call after the link closed: DISCONNECTED again, advice once, the first loss still the cause', async () => {
    const uri = await hangUpOnFirstRequest();
    const { openTransport } = await import('../../transport/index.js');
    const transport = await openTransport(uri);
    const client = new BandClient(transport, { timeoutMs: 30_000 });
    try {
      await expect(client.getState()).rejects.toMatchObject({ code: 'DISCONNECTED' });
      const again = await client.getState().catch((e: unknown) => e);
      expect(again).toBeInstanceOf(BandClientError);
      expect(again).toMatchObject({ code: 'DISCONNECTED', cause: expect.any(TransportError) });
      expect(retries((again as Error).message)).toBe(1);
      // The transport's own "closed" error names the loss by code rather than nesting its text.
      const sent = await transport.send({ command: 0x01, payload: new Uint8Array(0) }).catch((e: unknown) => e);
      expect(sent).toBeInstanceOf(TransportError);
      expect(sent).toMatchObject({ code: 'CLOSED', cause: expect.any(TransportError) });
      expect((sent as Error).message).not.toContain(((sent as Error).cause as Error).message);
    } finally {
      client.close();
      await transport.close();
    }
  });

  it('bandctl says the same loss in its own words, one line, one thing to do', async () => {
    const uri = await hangUpOnFirstRequest();
    const run = await bandctl(['--transport', uri, 'state']);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      `bandctl: the link to the band at ${uri} closed; check the band is still running, then run the command again\n`,
    );
    const json = await bandctl(['--transport', uri, 'state', '--json']);
    expect(json.json()).toMatchObject({ ok: false, error: { code: 'DISCONNECTED' } });
  });
});

describe("bandctl speaks in flags where the library's sentence names API calls", () => {
  it('a bad --device-id points at bandctl info --json, not getInfo()', async () => {
    const run = await bandctl([
      'directory',
      'add-band',
      'AAAH-00125',
      '--device-id',
      'xyz',
      '--directory',
      '/nonexistent/d.json',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `bandctl: directory add-band: --device-id: expected the band's device ID, 16 bytes as 32 hex digits, got "xyz"; copy it from 'bandctl info --json' (deviceId)\n`,
    );
  });
});
