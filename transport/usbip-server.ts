import { createServer, type Socket } from 'node:net';
import { boundedWriter } from './bounded-writes.js';
import { HID_REPORT_SIZE } from '../proto/ctaphid.js';
import { TransportError } from './errors.js';
import { listenOn } from './listen.js';
import {
  BAND_USB_DEVICE_RELEASE,
  BAND_USB_PRODUCT_ID,
  BAND_USB_VENDOR_ID,
  INTERRUPT_ENDPOINT,
  UsbFidoHidFunction,
  fidoHidDescriptors,
  type UsbStrings,
} from './usb-fido-hid.js';
import {
  MAX_USBIP_MESSAGE,
  OpCode,
  OpStatus,
  UrbCommand,
  UrbStatus,
  UsbDirection,
  UsbSpeed,
  decodeOpRequest,
  decodeUrbCommand,
  encodeDevlistReply,
  encodeImportReply,
  encodeRetSubmit,
  encodeRetUnlink,
  looksLikeOpHeader,
  type CmdSubmit,
  type UsbipDeviceInfo,
} from './usbip-codec.js';

/** The one device this server exports. */
export interface UsbipHidDevice {
  /** What usbip(8) names in `attach -b`; default "1-1". */
  busId?: string;
  strings: UsbStrings;
  /** One 64-byte output report from the importing host; `reply` carries 64-byte input reports back to it. */
  onReport(report: Uint8Array, reply: (report: Uint8Array) => void): void;
}

export type UsbipReleaseReason =
  /** The importer's connection closed (usbip detach, the host went away). */
  | 'closed'
  /**
   * An operation request came where a URB was due: the importer is gone behind a relay that does not pass
   * on a close (a virtio-serial port, a socat loop), and a new client speaks on the same stream.
   */
  | 'new-client-on-stream'
  | 'protocol-error'
  /** The importer left more than MAX_UNREAD_BYTES of replies unread (transport/bounded-writes.ts). */
  | 'not-reading'
  | 'server-closed';

export type UsbipServerEvent =
  | { kind: 'imported'; peer: string; busId: string }
  | { kind: 'released'; peer: string; reason: UsbipReleaseReason }
  | { kind: 'refused'; peer: string; busId: string; status: number }
  | { kind: 'error'; peer: string; error: TransportError };

export interface UsbipServerOptions {
  /** Imports, releases, refusals and peers' protocol errors, for a log; the server keeps serving after each. */
  onEvent?(event: UsbipServerEvent): void;
}

export interface UsbipServer {
  readonly address: { host: string; port: number };
  /** Stops listening and closes every connection, the importer's too. */
  close(): Promise<void>;
}

const BUS_NUM = 1;
const DEV_NUM = 2;
/**
 * Input reports waiting for an IN URB. A host that stops polling (its hidraw closed) must not grow this
 * without end: past the limit the oldest go, as a real key's would when nobody reads its endpoint.
 */
const MAX_QUEUED_REPORTS = 256;
/** usbhid keeps one IN URB in flight; anything near this many is a misbehaving client. */
const MAX_PENDING_IN_URBS = 64;

interface Session {
  readonly peer: string;
  readonly fn: UsbFidoHidFunction;
  readonly pendingIn: Map<number, CmdSubmit>;
  readonly queued: Uint8Array[];
  active: boolean;
}

/**
 * A USB/IP server (Linux Documentation/usb/usbip_protocol.rst) exporting one FIDO HID device: the kernel's
 * vhci-hcd (`usbip attach`) or any USB/IP client imports it, and its interrupt endpoints carry 64-byte reports
 * to and from `device.onReport`.
 *
 * One importer at a time: a second OP_REQ_IMPORT gets OP_REP_IMPORT status DEV_BUSY. A connection takes
 * operation requests one after another until an import turns it into the URB stream (a relay may carry many
 * usbip(8) runs on one stream). Pending IN URBs wait for a report; CMD_UNLINK cancels them.
 */
export async function listenUsbip(
  host: string,
  port: number,
  device: UsbipHidDevice,
  options: UsbipServerOptions = {},
): Promise<UsbipServer> {
  const busId = device.busId ?? '1-1';
  const descriptors = fidoHidDescriptors(device.strings);
  const info: UsbipDeviceInfo = {
    path: `/sys/devices/bandsim/usb${BUS_NUM}/${busId}`,
    busId,
    busNum: BUS_NUM,
    devNum: DEV_NUM,
    speed: UsbSpeed.FULL,
    idVendor: BAND_USB_VENDOR_ID,
    idProduct: BAND_USB_PRODUCT_ID,
    bcdDevice: BAND_USB_DEVICE_RELEASE,
    deviceClass: 0,
    deviceSubClass: 0,
    deviceProtocol: 0,
    configurationValue: 1,
    numConfigurations: 1,
    interfaces: [{ interfaceClass: 3, interfaceSubClass: 0, interfaceProtocol: 0 }],
  };
  const emit = (event: UsbipServerEvent) => options.onEvent?.(event);
  let importer: Session | undefined;
  let closing = false;
  const sockets = new Set<Socket>();

  const serveConnection = (socket: Socket) => {
    sockets.add(socket);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    let buffered = new Uint8Array(0);
    let session: Session | undefined;

    // The same backpressure as every other stream (docs/protocol.md, "Backpressure"): a client that stops
    // reading is not read from, and one that leaves a megabyte of replies unread is cut off.
    const writeBounded = boundedWriter(socket, `the USB/IP client at ${peer}`, (error) => fail(error));
    const write = (bytes: Uint8Array) => {
      if (!socket.destroyed) writeBounded(bytes).catch(() => undefined);
    };

    const release = (reason: UsbipReleaseReason) => {
      if (!session) return;
      session.active = false;
      session.pendingIn.clear();
      session.queued.length = 0;
      if (importer === session) importer = undefined;
      session = undefined;
      emit({ kind: 'released', peer, reason });
    };

    const fail = (error: TransportError) => {
      emit({ kind: 'error', peer, error });
      release(error.code === 'PEER_NOT_READING' ? 'not-reading' : 'protocol-error');
      socket.destroy();
    };

    const reply = (s: Session) => (report: Uint8Array) => {
      if (!s.active) return;
      const [seqnum, urb] = s.pendingIn.entries().next().value ?? [];
      if (urb === undefined || seqnum === undefined) {
        if (s.queued.length >= MAX_QUEUED_REPORTS) s.queued.shift();
        s.queued.push(report);
        return;
      }
      s.pendingIn.delete(seqnum);
      completeIn(urb, report);
    };

    const completeIn = (urb: CmdSubmit, report: Uint8Array) => {
      if (urb.transferBufferLength < report.length) {
        write(encodeRetSubmit({ seqnum: urb.seqnum, status: UrbStatus.OVERFLOW }));
        return;
      }
      write(encodeRetSubmit({ seqnum: urb.seqnum, status: UrbStatus.OK, data: report }));
    };

    const submit = (s: Session, urb: CmdSubmit) => {
      const done = (status: number, data?: Uint8Array, actualLength?: number) =>
        write(encodeRetSubmit({ seqnum: urb.seqnum, status, data, actualLength }));
      if (urb.endpoint === 0) {
        const outcome = s.fn.control(urb.setup, urb.data);
        if (outcome.kind === 'stall') return done(UrbStatus.STALL);
        if (outcome.kind === 'report') {
          device.onReport(outcome.report, reply(s));
          return done(UrbStatus.OK, undefined, urb.data.length);
        }
        return urb.direction === UsbDirection.IN
          ? done(UrbStatus.OK, outcome.data)
          : done(UrbStatus.OK, undefined, urb.data.length);
      }
      if (urb.endpoint !== INTERRUPT_ENDPOINT) return done(UrbStatus.STALL);
      if (urb.direction === UsbDirection.OUT) {
        if (urb.data.length > HID_REPORT_SIZE) return done(UrbStatus.OVERFLOW);
        // A short packet ends the transfer early (USB 2.0 §5.7.3): the rest of the report is zeros.
        const report = new Uint8Array(HID_REPORT_SIZE);
        report.set(urb.data);
        device.onReport(report, reply(s));
        return done(UrbStatus.OK, undefined, urb.data.length);
      }
      const ready = s.queued.shift();
      if (ready) return completeIn(urb, ready);
      if (s.pendingIn.size >= MAX_PENDING_IN_URBS) return done(UrbStatus.STALL);
      s.pendingIn.set(urb.seqnum, urb);
    };

    const handleOp = (): boolean => {
      const decoded = decodeOpRequest(buffered);
      if (!decoded) return false;
      buffered = buffered.subarray(decoded.length);
      const request = decoded.message;
      if (request.code === OpCode.REQ_DEVLIST) {
        // The connection stays open: behind a relay the next usbip(8) run speaks on this same stream.
        write(encodeDevlistReply([info]));
        return true;
      }
      if (request.busId !== busId) {
        emit({ kind: 'refused', peer, busId: request.busId, status: OpStatus.NODEV });
        write(encodeImportReply(OpStatus.NODEV));
        return true;
      }
      if (importer) {
        emit({ kind: 'refused', peer, busId: request.busId, status: OpStatus.DEV_BUSY });
        write(encodeImportReply(OpStatus.DEV_BUSY));
        return true;
      }
      session = {
        peer,
        fn: new UsbFidoHidFunction(descriptors),
        pendingIn: new Map(),
        queued: [],
        active: true,
      };
      importer = session;
      write(encodeImportReply(OpStatus.OK, info));
      emit({ kind: 'imported', peer, busId });
      return true;
    };

    const handleUrb = (s: Session): boolean => {
      if (looksLikeOpHeader(buffered)) {
        release('new-client-on-stream');
        return true;
      }
      const decoded = decodeUrbCommand(buffered);
      if (!decoded) return false;
      buffered = buffered.subarray(decoded.length);
      const cmd = decoded.message;
      if (cmd.command === UrbCommand.CMD_SUBMIT) {
        submit(s, cmd);
        return true;
      }
      // usbip_protocol.rst: -ECONNRESET when the URB was unlinked before it completed, 0 when it had
      // already been answered (its RET_SUBMIT is on the wire); an unlinked URB gets no RET_SUBMIT.
      const unlinked = s.pendingIn.delete(cmd.unlinkSeqnum);
      write(encodeRetUnlink({ seqnum: cmd.seqnum, status: unlinked ? UrbStatus.UNLINKED : UrbStatus.OK }));
      return true;
    };

    socket.on('data', (chunk: Buffer) => {
      const joined = new Uint8Array(buffered.length + chunk.length);
      joined.set(buffered);
      joined.set(chunk, buffered.length);
      buffered = joined;
      try {
        while (!socket.destroyed && (session ? handleUrb(session) : handleOp()));
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        return fail(error);
      }
      // Every decoder says how much it waits for, bounded by MAX_USBIP_MESSAGE; more is not a message.
      if (buffered.length > MAX_USBIP_MESSAGE) {
        fail(
          new TransportError('USBIP_PROTOCOL', `expected a USB/IP message, got ${buffered.length} bytes without one`),
        );
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      release(closing ? 'server-closed' : 'closed');
    });
  };

  const server = createServer(serveConnection);
  await listenOn(server, host, port, `usbip ${host}:${port}`);
  const bound = server.address();
  if (bound === null || typeof bound === 'string')
    throw new TransportError('OPEN_FAILED', `expected a TCP address for usbip ${host}:${port}, got ${String(bound)}`);
  return {
    address: { host: bound.address, port: bound.port },
    close: async () => {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // A FIN, not a reset: the importer (vhci-hcd) reads it as the device going away.
      for (const socket of sockets) {
        socket.end();
        setTimeout(() => socket.destroy(), 1_000).unref();
      }
      await closed;
    },
  };
}
