import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Command } from '../../proto/ctaphid.js';
import { CTAPHID_MAX_MESSAGE } from '../../transport/ctaphid.js';
import type { CtapHidTransport } from '../../transport/ctaphid-host.js';
import { TransportError } from '../../transport/errors.js';
import {
  FIDO_USAGE_PAGE,
  listHidDevices,
  loadNodeHid,
  openHid,
  type HidBackend,
  type HidDeviceHandle,
  type HidDeviceInfo,
} from '../../transport/hid.js';
import { echoAuthenticator } from './echo-authenticator.js';
import { record, sameUnit, until } from './helpers.js';

/**
 * Behaves as node-hid's HIDAsync does for an unnumbered-report device: write() takes the report ID
 * as first byte and hands the rest to the device; reads arrive as 'data' without a report ID.
 * No virtual HID device can be created here (/dev/uhid is absent), so this is the seam under test.
 */
class EmulatedHidDevice extends EventEmitter implements HidDeviceHandle {
  readonly writes: Buffer[] = [];
  closed = false;
  constructor(readonly authenticator = echoAuthenticator({ keepalives: 1 })) {
    super();
  }
  async write(values: number[] | Buffer): Promise<number> {
    if (this.closed) throw new Error('device closed');
    const buffer = Buffer.from(values);
    this.writes.push(buffer);
    const [reportId, ...report] = buffer;
    if (reportId !== 0) throw new Error(`report ID ${reportId} is not defined by this device`);
    setImmediate(() =>
      this.authenticator.onReport(Uint8Array.from(report), (r) => this.closed || this.emit('data', Buffer.from(r))),
    );
    return buffer.length;
  }
  async close(): Promise<void> {
    this.closed = true;
    this.removeAllListeners();
  }
}

function backend(
  devices: HidDeviceInfo[],
  open: (path: string) => Promise<HidDeviceHandle>,
): HidBackend & { opened: string[] } {
  const opened: string[] = [];
  return {
    opened,
    devicesAsync: async () => devices,
    HIDAsync: {
      open: (path) => {
        opened.push(path);
        return open(path);
      },
    },
  };
}

const fido = (path: string): HidDeviceInfo => ({
  path,
  vendorId: 0x1209,
  productId: 0xbeee,
  usagePage: FIDO_USAGE_PAGE,
  usage: 1,
});
const keyboard: HidDeviceInfo = { path: '/dev/hidraw0', vendorId: 1, productId: 2, usagePage: 1, usage: 6 };

const open: CtapHidTransport[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

describe('hid', () => {
  it('writes 65 bytes (report ID 0x00 first), runs INIT and carries units of any size', async () => {
    const device = new EmulatedHidDevice();
    const t = await openHid('/dev/hidraw3', { backend: backend([], async () => device) });
    open.push(t);
    expect(t.name).toBe('hid:/dev/hidraw3');
    expect(t.channel).toBe(0x1000);
    expect(device.writes.every((w) => w.length === 65 && w[0] === 0)).toBe(true);
    const got = record(t);
    const big = {
      command: Command.PING,
      payload: Uint8Array.from({ length: CTAPHID_MAX_MESSAGE }, (_, i) => i & 0xff),
    };
    await t.send(big);
    await t.send({ command: Command.CBOR, payload: Uint8Array.of(1, 2) });
    await until(() => got.units.length === 3, 'echo, keepalive, cbor');
    expect(sameUnit(got.units[0], big)).toBe(true);
    expect(got.units.map((u) => u.command)).toEqual([Command.PING, Command.KEEPALIVE, Command.CBOR]);
    expect(got.frameErrors).toEqual([]);
  });

  it('hid:auto opens the first FIDO device, skipping other HID devices', async () => {
    const b = backend([keyboard, fido('/dev/hidraw5'), fido('/dev/hidraw6')], async () => new EmulatedHidDevice());
    const t = await openHid('auto', { backend: b });
    open.push(t);
    expect(b.opened).toEqual(['/dev/hidraw5']);
    expect((await listHidDevices({ backend: b })).map((d) => d.path)).toEqual(['/dev/hidraw5', '/dev/hidraw6']);
  });

  it('fails with OPEN_FAILED when no FIDO device is present or the path cannot be opened', async () => {
    const none = (await openHid('auto', { backend: backend([keyboard], async () => new EmulatedHidDevice()) }).catch(
      (e: unknown) => e,
    )) as TransportError;
    expect(none.code).toBe('OPEN_FAILED');
    expect(none.message).toMatch(/0xF1D0/);
    const denied = (await openHid('/dev/hidraw9', {
      backend: backend([], () => Promise.reject(new Error('cannot open device with path /dev/hidraw9'))),
    }).catch((e: unknown) => e)) as TransportError;
    expect(denied.code).toBe('OPEN_FAILED');
    expect(denied.message).toContain('/dev/hidraw9');
  });

  it('turns an unplug (read error) into DISCONNECTED, rejects pending sends, closes the handle', async () => {
    const device = new EmulatedHidDevice();
    const t = await openHid('/dev/hidraw3', { backend: backend([], async () => device) });
    const got = record(t);
    // The device stops answering; a send is in flight when the read thread fails.
    device.write = () => new Promise(() => undefined);
    const pending = t.send({ command: Command.PING, payload: Uint8Array.of(1) }).catch((e: unknown) => e);
    device.emit('error', new Error('could not read from HID device'));
    expect(((await pending) as TransportError).code).toBe('DISCONNECTED');
    expect(got.closes[0]?.code).toBe('DISCONNECTED');
    expect(device.closed).toBe(true);
    const again = await openHid('/dev/hidraw3', { backend: backend([], async () => new EmulatedHidDevice()) });
    open.push(again);
    expect(again.isOpen).toBe(true);
  });

  it('says HID_UNAVAILABLE with an install hint when node-hid cannot load', async () => {
    const error = (await loadNodeHid(() =>
      Promise.reject(new Error('libusb-1.0.so.0: cannot open shared object file')),
    ).catch((e: unknown) => e)) as TransportError;
    expect(error).toBeInstanceOf(TransportError);
    expect(error.code).toBe('HID_UNAVAILABLE');
    expect(error.message).toMatch(/libusb.*npm install --include=optional/s);
  });

  it('lists real devices: an array of FIDO devices, or a clear HID_UNAVAILABLE', async () => {
    const result = await listHidDevices().catch((e: unknown) => e);
    if (result instanceof TransportError) expect(result.code).toBe('HID_UNAVAILABLE');
    else {
      expect(Array.isArray(result)).toBe(true);
      for (const d of result as HidDeviceInfo[]) expect(d.usagePage).toBe(FIDO_USAGE_PAGE);
    }
  });
});
