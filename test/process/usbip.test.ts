import { createHash } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeCanonical, type CborInput } from '../../proto/ctap2/canonical-cbor.js';
import { BandClient } from '../../host/index.js';
import { BROADCAST_CID, Command, KeepaliveStatus, connectTcp } from '../../transport/index.js';
import { OpStatus } from '../../transport/usbip-codec.js';
import { UsbipTestClient } from '../transport/usbip-client.js';
import { killAll, requireBuilt, startBandsim, type Bandsim } from './processes.js';

beforeAll(requireBuilt);
afterEach(killAll);

const portOf = (address: string | undefined) => Number(address?.split(':').pop());
const clients: UsbipTestClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
});

async function attach(band: Bandsim): Promise<UsbipTestClient> {
  const c = await UsbipTestClient.connect(portOf(band.endpoints.usbip));
  clients.push(c);
  return c;
}

async function channel(c: UsbipTestClient): Promise<number> {
  const init = await c.ctaphid(BROADCAST_CID, Command.INIT, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
  return new DataView(init.payload.buffer, init.payload.byteOffset).getUint32(8);
}

/** authenticatorMakeCredential (CTAP 2.1 §6.1) for rp "usbip.example", ES256. */
function makeCredentialRequest(): Uint8Array {
  const request = new Map<number, CborInput>([
    [1, Uint8Array.from(createHash('sha256').update('client data').digest())],
    [2, new Map([['id', 'usbip.example']])],
    [
      3,
      new Map<string, CborInput>([
        ['id', new TextEncoder().encode('user-1')],
        ['name', 'user-1'],
      ]),
    ],
    [
      4,
      [
        new Map<string, string | number>([
          ['alg', -7],
          ['type', 'public-key'],
        ]),
      ],
    ],
  ]);
  return Uint8Array.of(0x01, ...encodeCanonical(request));
}

describe('bandsim --usbip, a process serving the band as a USB key', () => {
  it('waits over USB for a touch given through the debug link on TCP: one band behind both endpoints', async () => {
    const band = await startBandsim([
      '--usbip',
      '127.0.0.1:0',
      '--tcp',
      '127.0.0.1:0',
      '--debug-link',
      '--preset',
      'authenticated',
      '--user',
      'tw-user2',
    ]);
    const c = await attach(band);
    expect((await c.import('1-1')).status).toBe(OpStatus.OK);
    const cid = await channel(c);
    // The rig's hands on the same band, over TCP: the debug link has its own slot while a request waits.
    const [host, port] = (band.endpoints.tcp ?? '').split(':');
    const handsLink = await connectTcp(host, Number(port));
    const hands = new BandClient(handsLink);
    const statuses: number[] = [];
    let pressed: Promise<unknown> | undefined;
    const reply = await c.ctaphid(cid, Command.CBOR, makeCredentialRequest(), (status) => {
      statuses.push(status);
      // The band asks for presence (KEEPALIVE UPNEEDED through the interrupt IN endpoint): the hand presses.
      if (status === KeepaliveStatus.UPNEEDED && !pressed) {
        pressed = hands.debug.press('BUTTON_TOP');
      }
    });
    expect(statuses).toContain(KeepaliveStatus.UPNEEDED);
    await pressed;
    hands.close();
    await handsLink.close();
    expect(reply.command).toBe(Command.CBOR);
    expect(reply.payload[0]).toBe(0); // CTAP2_OK: the credential was made
    expect(reply.payload.length).toBeGreaterThan(100);
  });

  it('refuses a second importer, takes a new one after the first detaches, and logs each', async () => {
    const band = await startBandsim(['--usbip', '127.0.0.1:0', '--auto-presence']);
    const first = await attach(band);
    expect((await first.import('1-1')).status).toBe(OpStatus.OK);
    const second = await attach(band);
    expect(await second.import('1-1')).toEqual({ code: 3, status: OpStatus.DEV_BUSY });
    await band.waitForLine(/^usbip refused import of 1-1 by 127\.0\.0\.1:\d+ \(status 2\)$/);
    await first.close();
    await band.waitForLine(/^usbip detached by 127\.0\.0\.1:\d+ \(closed\)$/);
    expect((await second.import('1-1')).status).toBe(OpStatus.OK);
    expect((await channel(second)) >>> 0).not.toBe(BROADCAST_CID);
    expect(band.child.exitCode).toBeNull();
  });

  it('stops on SIGTERM with a device attached, closing the importer without an error', async () => {
    const band = await startBandsim(['--usbip', '127.0.0.1:0']);
    const c = await attach(band);
    expect((await c.import('1-1')).status).toBe(OpStatus.OK);
    await channel(c);
    c.submit({ endpoint: 1, direction: 1 }); // usbhid's pending IN URB
    const exit = await band.stop();
    expect(exit.code).toBe(0);
    await c.closed;
    expect(c.error).toBeUndefined();
    expect(band.output()).toMatch(/usbip detached by .* \(server-closed\)/);
  });

  it('refuses a bad --usbip address as a usage error', async () => {
    const run = startBandsim(['--usbip', 'nowhere']);
    await expect(run).rejects.toThrow(/expected --usbip HOST:PORT/);
  });
});
