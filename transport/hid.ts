import { describe } from './base-transport.js';
import { HID_REPORT_SIZE } from './ctaphid.js';
import { CtapHidHost, type CtapHidHostOptions, type CtapHidTransport } from './ctaphid-host.js';
import { TransportError } from './errors.js';

/** HID usage page of FIDO authenticators (FIDO Alliance, CTAP 2.1 §11.2.8.1). */
export const FIDO_USAGE_PAGE = 0xf1d0;

export interface HidDeviceInfo {
  path?: string;
  vendorId: number;
  productId: number;
  product?: string;
  manufacturer?: string;
  serialNumber?: string;
  usagePage?: number;
  usage?: number;
}

/** The slice of node-hid's HIDAsync this module uses; tests pass an object with the same shape. */
export interface HidDeviceHandle {
  write(values: number[] | Buffer): Promise<number>;
  on(event: 'data', listener: (data: Buffer) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  close(): Promise<void>;
}

/** The slice of the node-hid module this module uses. */
export interface HidBackend {
  devicesAsync(): Promise<HidDeviceInfo[]>;
  HIDAsync: { open(path: string): Promise<HidDeviceHandle> };
}

export interface HidOptions extends CtapHidHostOptions {
  /** Where node-hid comes from. Default: a dynamic import of 'node-hid'. */
  backend?: HidBackend | (() => Promise<HidBackend>);
}

const INSTALL_HINT =
  'node-hid is an optional dependency: reinstall with `npm install --include=optional`, and on Linux install libudev/hidraw support (apt-get install libudev1); or reach the band with udp-hid:HOST:PORT, tcp: or serial: instead';

/**
 * Loads node-hid only when HID is asked for, so a machine without a HID stack can use every other
 * transport. Both the import and the native binding (loaded by node-hid on first use) can fail.
 */
export async function loadNodeHid(importer: () => Promise<unknown> = () => import('node-hid')): Promise<HidBackend> {
  try {
    const loaded = (await importer()) as Partial<HidBackend> & {
      default?: Partial<HidBackend>;
      getHidapiVersion?: () => string;
    };
    const hid = (loaded.HIDAsync ? loaded : loaded.default) as
      (HidBackend & { getHidapiVersion?: () => string }) | undefined;
    if (!hid?.HIDAsync || !hid.devicesAsync) throw new Error('the module does not export HIDAsync and devicesAsync');
    hid.getHidapiVersion?.();
    return hid;
  } catch (error) {
    throw new TransportError(
      'HID_UNAVAILABLE',
      `expected to load node-hid for USB HID access, got ${describe(error)}; ${INSTALL_HINT}`,
      {
        cause: error,
      },
    );
  }
}

async function backendOf(options: HidOptions): Promise<HidBackend> {
  const b = options.backend;
  if (!b) return loadNodeHid();
  return typeof b === 'function' ? b() : b;
}

/** FIDO authenticators (usage page 0xF1D0) the HID stack can see. */
export async function listHidDevices(options: Pick<HidOptions, 'backend'> = {}): Promise<HidDeviceInfo[]> {
  const hid = await backendOf(options);
  let devices: HidDeviceInfo[];
  try {
    devices = await hid.devicesAsync();
  } catch (error) {
    throw new TransportError(
      'HID_UNAVAILABLE',
      `expected node-hid to enumerate devices, got ${describe(error)}; ${INSTALL_HINT}`,
      { cause: error },
    );
  }
  return devices.filter((d) => d.usagePage === FIDO_USAGE_PAGE && d.path);
}

/**
 * Opens a FIDO HID device by path, or `auto` for the first one found, and runs CTAPHID INIT on it.
 *
 * Writes prepend the report ID byte 0x00: hidapi (under node-hid) takes the report ID as the first
 * byte on every platform, and FIDO devices use one unnumbered report, whose ID is 0. Reads arrive
 * without it, as the 64 bytes of the report.
 */
export async function openHid(pathOrAuto: string, options: HidOptions = {}): Promise<CtapHidTransport> {
  const hid = await backendOf(options);
  let path = pathOrAuto;
  if (pathOrAuto === 'auto') {
    const [first] = await listHidDevices({ backend: hid });
    if (!first?.path) {
      throw new TransportError(
        'OPEN_FAILED',
        `expected a FIDO HID device (usage page 0xF1D0), found none; plug the band in, check udev permissions for hidraw, or name its path with hid:PATH`,
      );
    }
    path = first.path;
  }
  const name = `hid:${path}`;
  let device: HidDeviceHandle;
  try {
    device = await hid.HIDAsync.open(path);
  } catch (error) {
    throw new TransportError(
      'OPEN_FAILED',
      `expected to open HID device ${path}, got ${describe(error)}; check the path (listHidDevices) and hidraw permissions`,
      {
        cause: error,
      },
    );
  }
  let closed = false;
  const transport = new CtapHidHost(
    name,
    {
      write: async (report) => {
        const out = Buffer.alloc(HID_REPORT_SIZE + 1);
        out.set(report, 1);
        await device.write(out);
      },
      close: async () => {
        if (closed) return;
        closed = true;
        await device.close();
      },
    },
    options,
  );
  device.on('data', (data) => transport.receiveReport(new Uint8Array(data.buffer, data.byteOffset, data.length)));
  device.on('error', (error) => {
    transport.linkLost(
      new TransportError(
        'DISCONNECTED',
        `expected ${name} to stay connected, reading failed: ${describe(error)}; replug the band and reopen`,
        {
          cause: error,
        },
      ),
    );
    if (!closed) {
      closed = true;
      device.close().catch(() => undefined);
    }
  });
  return transport.initialize();
}
