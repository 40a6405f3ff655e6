import { connect } from 'node:net';
import { decode as decodeCbor } from 'cbor-x';
import { afterEach, describe, expect, it } from 'vitest';
import { BAND_AAGUID, BandEmulator, CtapHidDevice, testWorld } from '../../firmware-sim/index.js';
import { Command } from '../../transport/index.js';
import { BROADCAST_CID, packetize } from '../../transport/ctaphid.js';
import { FIDO_REPORT_DESCRIPTOR } from '../../transport/usb-fido-hid.js';
import { OpStatus, UrbStatus, UsbDirection } from '../../transport/usbip-codec.js';
import { listenUsbip, type UsbipServer, type UsbipServerEvent } from '../../transport/usbip-server.js';
import { UsbipTestClient } from './usbip-client.js';
import { until } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The band behind the interrupt endpoints, as bandsim --usbip builds it. */
async function bandOverUsbip() {
  const world = testWorld({ seed: 'usbip' });
  const band = new BandEmulator({ world, serialNumber: 'AAAH-00125', autoPresence: true });
  const hid = new CtapHidDevice(band, { random: (n) => world.random.bytes(n) });
  const events: UsbipServerEvent[] = [];
  const server: UsbipServer = await listenUsbip(
    '127.0.0.1',
    0,
    {
      strings: { manufacturer: 'band-stack', product: 'Band AAAH-00125 (bandsim)', serialNumber: 'AAAH-00125' },
      onReport: (report, reply) => hid.receive(report, reply),
    },
    { onEvent: (event) => events.push(event) },
  );
  cleanups.push(() => band.close());
  cleanups.push(() => hid.close());
  cleanups.push(() => server.close());
  return { server, events, port: server.address.port };
}

async function client(port: number) {
  const c = await UsbipTestClient.connect(port);
  cleanups.push(() => c.close());
  return c;
}

async function attached(port: number) {
  const c = await client(port);
  expect((await c.import('1-1')).status).toBe(OpStatus.OK);
  return c;
}

const text = (bytes: Uint8Array) => String.fromCharCode(...new Uint16Array(bytes.slice(2).buffer));
const getDescriptor = (c: UsbipTestClient, value: number, length: number, requestType = 0x80, index = 0) =>
  c.control({ requestType, request: 6, value, index, length });

const exchange = (c: UsbipTestClient, cid: number, command: number, payload: Uint8Array) =>
  c.ctaphid(cid, command, payload);

describe('USB/IP server with the band behind it (real TCP on loopback)', () => {
  it('answers several device lists on one stream, then an import on the same stream', async () => {
    const { port } = await bandOverUsbip();
    const c = await client(port);
    const [first] = await c.devlist();
    expect(first).toMatchObject({
      busId: '1-1',
      idVendor: 0x1209,
      idProduct: 0x0001,
      speed: 2,
      interfaces: [{ interfaceClass: 3, interfaceSubClass: 0, interfaceProtocol: 0 }],
    });
    expect(await c.devlist()).toEqual([first]);
    expect(await c.import('9-9')).toEqual({ code: 3, status: OpStatus.NODEV });
    const imported = await c.import('1-1');
    expect(imported.status).toBe(OpStatus.OK);
    expect(imported.device).toMatchObject({ busId: '1-1', busNum: 1, devNum: 2 });
  });

  it('enumerates like a FIDO security key: descriptors, strings, configuration, SET_IDLE, STALL for the rest', async () => {
    const { port } = await bandOverUsbip();
    const c = await attached(port);
    const head = await getDescriptor(c, 0x0100, 8);
    expect(head).toMatchObject({ status: 0, actualLength: 8 });
    expect(head.data[7]).toBe(64);
    const device = await getDescriptor(c, 0x0100, 18);
    expect([...device.data.subarray(8, 12)]).toEqual([0x09, 0x12, 0x01, 0x00]);
    const config = await getDescriptor(c, 0x0200, 255);
    expect(config.data.length).toBe(41);
    expect(text((await getDescriptor(c, 0x0302, 255, 0x80, 0x0409)).data)).toBe('Band AAAH-00125 (bandsim)');
    expect(text((await getDescriptor(c, 0x0303, 255, 0x80, 0x0409)).data)).toBe('AAAH-00125');
    expect(await c.control({ requestType: 0x00, request: 9, value: 1, index: 0, length: 0 })).toMatchObject({
      status: 0,
    });
    expect(await c.control({ requestType: 0x21, request: 0x0a, value: 0, index: 0, length: 0 })).toMatchObject({
      status: 0,
    });
    expect([...(await getDescriptor(c, 0x2200, 34, 0x81)).data]).toEqual([...FIDO_REPORT_DESCRIPTOR]);
    expect((await getDescriptor(c, 0x0600, 10)).status).toBe(UrbStatus.STALL);
    expect((await c.control({ requestType: 0xa1, request: 1, value: 0x0100, index: 0, length: 64 })).status).toBe(
      UrbStatus.STALL,
    );
    expect((await c.submit({ endpoint: 3, direction: UsbDirection.IN }).done).status).toBe(UrbStatus.STALL);
  });

  it('runs CTAPHID INIT and CBOR getInfo through the interrupt URBs', async () => {
    const { port } = await bandOverUsbip();
    const c = await attached(port);
    const nonce = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const init = await exchange(c, BROADCAST_CID, Command.INIT, nonce);
    expect(init.cid).toBe(BROADCAST_CID);
    expect([...init.payload.subarray(0, 8)]).toEqual([...nonce]);
    const cid = new DataView(init.payload.buffer, init.payload.byteOffset).getUint32(8);
    expect(init.payload[16] & 0x04).toBe(0x04); // CAPABILITY_CBOR
    const info = await exchange(c, cid, Command.CBOR, Uint8Array.of(0x04));
    expect(info.cid).toBe(cid);
    expect(info.payload[0]).toBe(0);
    const map = decodeCbor(info.payload.subarray(1)) as Map<number, unknown> | Record<number, unknown>;
    const get = (k: number) => (map instanceof Map ? map.get(k) : map[k]);
    expect(get(1)).toContain('FIDO_2_0');
    expect([...(get(3) as Uint8Array)]).toEqual([...BAND_AAGUID]);
  });

  it('takes an output report sent as HID SET_REPORT on endpoint 0 like one on the OUT endpoint', async () => {
    const { port } = await bandOverUsbip();
    const c = await attached(port);
    const pending = c.submit({ endpoint: 1, direction: UsbDirection.IN });
    const nonce = Uint8Array.of(9, 8, 7, 6, 5, 4, 3, 2);
    const [report] = packetize(BROADCAST_CID, Command.INIT, nonce);
    const set = await c.control({ requestType: 0x21, request: 0x09, value: 0x0200, index: 0, length: 64 }, report);
    expect(set).toMatchObject({ status: 0, actualLength: 64 });
    const reply = await pending.done;
    expect([...reply.data.subarray(0, 5)]).toEqual([0xff, 0xff, 0xff, 0xff, 0x80 | Command.INIT]);
    expect([...reply.data.subarray(7, 15)]).toEqual([...nonce]);
  });

  it('keeps an IN URB pending until UNLINK, which answers -ECONNRESET and no RET_SUBMIT', async () => {
    const { port } = await bandOverUsbip();
    const c = await attached(port);
    const pending = c.submit({ endpoint: 1, direction: UsbDirection.IN });
    // A control round trip after it proves the IN URB was taken and is waiting, not lost.
    await getDescriptor(c, 0x0100, 18);
    expect(c.arrivals).not.toContain(pending.seqnum);
    const unlinked = await c.unlink(pending.seqnum);
    expect(unlinked.status).toBe(UrbStatus.UNLINKED);
    // Unlinking a URB already answered: status 0.
    const done = c.submit({
      endpoint: 0,
      direction: UsbDirection.IN,
      setup: { requestType: 0x80, request: 0, value: 0, index: 0, length: 2 },
      length: 2,
    });
    await done.done;
    expect((await c.unlink(done.seqnum)).status).toBe(0);
    // The unlinked URB stays unanswered: a report now goes to the next IN URB instead.
    const init = await exchange(c, BROADCAST_CID, Command.INIT, Uint8Array.of(8, 7, 6, 5, 4, 3, 2, 1));
    expect(init.command).toBe(Command.INIT);
    expect(c.arrivals).not.toContain(pending.seqnum);
  });

  it('refuses a second importer with DEV_BUSY until the first goes away', async () => {
    const { port, events } = await bandOverUsbip();
    const first = await attached(port);
    const second = await client(port);
    expect(await second.import('1-1')).toEqual({ code: 3, status: OpStatus.DEV_BUSY });
    expect(events).toContainEqual(expect.objectContaining({ kind: 'refused', status: OpStatus.DEV_BUSY }));
    // The refused client keeps its stream; the importer keeps working.
    expect(await second.devlist()).toHaveLength(1);
    expect((await getDescriptor(first, 0x0100, 18)).status).toBe(0);
    await first.close();
    await until(
      () => events.some((e) => e.kind === 'released' && e.reason === 'closed'),
      'the first importer released',
    );
    expect((await second.import('1-1')).status).toBe(OpStatus.OK);
    expect((await getDescriptor(second, 0x0100, 18)).status).toBe(0);
  });

  it('takes an operation request where a URB was due as a new client behind a relay', async () => {
    const { port, events } = await bandOverUsbip();
    const c = await attached(port);
    c.submit({ endpoint: 1, direction: UsbDirection.IN });
    await getDescriptor(c, 0x0100, 18);
    c.forgetImport();
    expect(await c.devlist()).toHaveLength(1);
    expect(events).toContainEqual(expect.objectContaining({ kind: 'released', reason: 'new-client-on-stream' }));
    expect((await c.import('1-1')).status).toBe(OpStatus.OK);
    const init = await exchange(c, BROADCAST_CID, Command.INIT, Uint8Array.of(1, 1, 1, 1, 1, 1, 1, 1));
    expect(init.command).toBe(Command.INIT);
  });

  it('cuts off a peer that breaks the protocol and keeps serving everyone else', async () => {
    const { port, events } = await bandOverUsbip();
    const liar = await attached(port);
    const header = new Uint8Array(48);
    new DataView(header.buffer).setUint32(0, 0x00000001);
    new DataView(header.buffer).setUint32(24, 0x7fffffff); // a 2 GiB OUT transfer
    liar.write(header);
    await liar.closed;
    expect(events).toContainEqual(expect.objectContaining({ kind: 'released', reason: 'protocol-error' }));
    const error = events.find((e) => e.kind === 'error');
    expect(error?.kind === 'error' && error.error.code).toBe('USBIP_PROTOCOL');

    const noise = connect(port, '127.0.0.1');
    await new Promise((resolve) => noise.once('connect', resolve));
    noise.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await new Promise((resolve) => noise.once('close', resolve));

    const honest = await attached(port);
    expect((await getDescriptor(honest, 0x0100, 18)).status).toBe(0);
  });

  it('closes the importer when the server closes, without an error on either side', async () => {
    const { server, port, events } = await bandOverUsbip();
    const c = await attached(port);
    c.submit({ endpoint: 1, direction: UsbDirection.IN });
    await server.close();
    await c.closed;
    expect(c.error).toBeUndefined();
    await until(() => events.some((e) => e.kind === 'released'), 'the import released');
    expect(events).toContainEqual(expect.objectContaining({ kind: 'released', reason: 'server-closed' }));
  });
});
