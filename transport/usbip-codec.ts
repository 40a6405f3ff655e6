import { TransportError } from './errors.js';

/**
 * The USB/IP wire (Linux Documentation/usb/usbip_protocol.rst), as pure functions over bytes. Every field is
 * big-endian (network order) except the 8-byte USB SETUP packet, which travels as the USB bus carries it.
 *
 * A connection starts in the operation phase: OP_REQ_DEVLIST / OP_REQ_IMPORT, each an 8-byte header
 * (version, code, status) plus a body. A successful import turns the same connection into the URB phase:
 * 48-byte USBIP_CMD_SUBMIT / USBIP_CMD_UNLINK headers (plus OUT data), answered by USBIP_RET_SUBMIT /
 * USBIP_RET_UNLINK. The decoders never read past the bytes given and refuse sizes no USB device can need,
 * so a hostile peer costs at most one bounded buffer.
 */
export const USBIP_VERSION = 0x0111;
/** The port usbip(8) connects to unless told `--tcp-port`. */
export const USBIP_DEFAULT_PORT = 3240;

export const OpCode = {
  REQ_DEVLIST: 0x8005,
  REP_DEVLIST: 0x0005,
  REQ_IMPORT: 0x8003,
  REP_IMPORT: 0x0003,
} as const;

/** usbip_common.h's op_common status values; usbip(8) prints them ("Device busy (exported)", ...). */
export const OpStatus = {
  OK: 0,
  /** The device requested for import is not available. */
  NA: 1,
  /** The device is already imported by someone else. */
  DEV_BUSY: 2,
  DEV_ERR: 3,
  NODEV: 4,
  ERROR: 5,
} as const;

export const UrbCommand = {
  CMD_SUBMIT: 0x00000001,
  CMD_UNLINK: 0x00000002,
  RET_SUBMIT: 0x00000003,
  RET_UNLINK: 0x00000004,
} as const;

export const UsbDirection = { OUT: 0, IN: 1 } as const;

/** Linux errno values carried (negated) in RET_SUBMIT / RET_UNLINK status. */
export const UrbStatus = {
  OK: 0,
  /** -EPIPE: the endpoint stalled (an unsupported control request). */
  STALL: -32,
  /** -ECONNRESET: the URB was unlinked before it completed. */
  UNLINKED: -104,
  /** -EOVERFLOW: the device sent (or was sent) more than the buffer holds. */
  OVERFLOW: -75,
} as const;

/** linux/usb/ch9.h usb_device_speed. */
export const UsbSpeed = { LOW: 1, FULL: 2, HIGH: 3, SUPER: 5 } as const;

export const OP_HEADER_SIZE = 8;
export const URB_HEADER_SIZE = 48;
export const BUSID_SIZE = 32;
export const PATH_SIZE = 256;
/** An exported device in OP_REP_DEVLIST / OP_REP_IMPORT, without its interface list. */
export const DEVICE_RECORD_SIZE = PATH_SIZE + BUSID_SIZE + 24;
/** One interface entry after a device in OP_REP_DEVLIST. */
export const INTERFACE_RECORD_SIZE = 4;
/** A control transfer's wLength is 16 bits; nothing this server serves needs more in one URB. */
export const MAX_URB_TRANSFER = 0xffff;
/** number_of_packets for a transfer that is not isochronous (the kernel sends 0xffffffff; 0 is accepted too). */
export const NOT_ISOCHRONOUS = 0xffffffff;
/** Sizes no well-behaved peer exceeds, so a decoder's buffer stays bounded. */
export const MAX_DEVICES_IN_LIST = 64;
/** bNumInterfaces is one byte. */
export const MAX_INTERFACES = 0xff;

function protocolError(message: string): TransportError {
  return new TransportError('USBIP_PROTOCOL', message);
}

// ---------------------------------------------------------------------------------------------------------
// Operation phase

export interface UsbInterfaceInfo {
  interfaceClass: number;
  interfaceSubClass: number;
  interfaceProtocol: number;
}

/** What OP_REP_DEVLIST / OP_REP_IMPORT say of an exported device. */
export interface UsbipDeviceInfo {
  /** The sysfs path on the server (informational; at most 255 bytes). */
  path: string;
  /** The bus id a client names in OP_REQ_IMPORT, e.g. "1-1" (at most 31 bytes). */
  busId: string;
  busNum: number;
  devNum: number;
  speed: number;
  idVendor: number;
  idProduct: number;
  bcdDevice: number;
  deviceClass: number;
  deviceSubClass: number;
  deviceProtocol: number;
  configurationValue: number;
  numConfigurations: number;
  interfaces: UsbInterfaceInfo[];
}

export type OpRequest = { code: typeof OpCode.REQ_DEVLIST } | { code: typeof OpCode.REQ_IMPORT; busId: string };

export type OpReply =
  | { code: typeof OpCode.REP_DEVLIST; status: number; devices: UsbipDeviceInfo[] }
  | { code: typeof OpCode.REP_IMPORT; status: number; device?: UsbipDeviceInfo };

/** A decoded message and how many bytes it took; `undefined` from a decoder means "not enough bytes yet". */
export interface Decoded<T> {
  message: T;
  length: number;
}

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function writeString(target: Uint8Array, offset: number, size: number, text: string, field: string): void {
  const encoded = new TextEncoder().encode(text);
  // NUL-terminated in a fixed field: one byte is always left for the terminator.
  if (encoded.length >= size) throw protocolError(`expected ${field} shorter than ${size} bytes, got '${text}'`);
  target.set(encoded, offset);
}

function readString(bytes: Uint8Array, offset: number, size: number): string {
  const field = bytes.subarray(offset, offset + size);
  const end = field.indexOf(0);
  return new TextDecoder().decode(end < 0 ? field : field.subarray(0, end));
}

/** True when these bytes start an operation header (version 0x0111 and a known OP code), in either phase. */
export function looksLikeOpHeader(bytes: Uint8Array): boolean {
  if (bytes.length < 4) return false;
  const v = view(bytes);
  const code = v.getUint16(2);
  return v.getUint16(0) === USBIP_VERSION && (code === OpCode.REQ_DEVLIST || code === OpCode.REQ_IMPORT);
}

export function encodeOpRequest(request: OpRequest): Uint8Array {
  const out = new Uint8Array(OP_HEADER_SIZE + (request.code === OpCode.REQ_IMPORT ? BUSID_SIZE : 0));
  const v = view(out);
  v.setUint16(0, USBIP_VERSION);
  v.setUint16(2, request.code);
  if (request.code === OpCode.REQ_IMPORT) writeString(out, OP_HEADER_SIZE, BUSID_SIZE, request.busId, 'a bus id');
  return out;
}

/** Server side: one operation request, or undefined until all its bytes are here. */
export function decodeOpRequest(bytes: Uint8Array): Decoded<OpRequest> | undefined {
  if (bytes.length < OP_HEADER_SIZE) return undefined;
  const v = view(bytes);
  const version = v.getUint16(0);
  const code = v.getUint16(2);
  if (version !== USBIP_VERSION) {
    throw protocolError(
      `expected USB/IP version 0x0111 in an operation request, got 0x${version.toString(16).padStart(4, '0')}; use a usbip client of protocol 1.1.1`,
    );
  }
  if (code === OpCode.REQ_DEVLIST) return { message: { code }, length: OP_HEADER_SIZE };
  if (code === OpCode.REQ_IMPORT) {
    if (bytes.length < OP_HEADER_SIZE + BUSID_SIZE) return undefined;
    return {
      message: { code, busId: readString(bytes, OP_HEADER_SIZE, BUSID_SIZE) },
      length: OP_HEADER_SIZE + BUSID_SIZE,
    };
  }
  throw protocolError(
    `expected OP_REQ_DEVLIST (0x8005) or OP_REQ_IMPORT (0x8003), got operation code 0x${code.toString(16)}`,
  );
}

function writeDevice(out: Uint8Array, offset: number, d: UsbipDeviceInfo): void {
  writeString(out, offset, PATH_SIZE, d.path, 'a device path');
  writeString(out, offset + PATH_SIZE, BUSID_SIZE, d.busId, 'a bus id');
  const v = view(out);
  let o = offset + PATH_SIZE + BUSID_SIZE;
  v.setUint32(o, d.busNum);
  v.setUint32(o + 4, d.devNum);
  v.setUint32(o + 8, d.speed);
  v.setUint16(o + 12, d.idVendor);
  v.setUint16(o + 14, d.idProduct);
  v.setUint16(o + 16, d.bcdDevice);
  o += 18;
  for (const byte of [
    d.deviceClass,
    d.deviceSubClass,
    d.deviceProtocol,
    d.configurationValue,
    d.numConfigurations,
    d.interfaces.length,
  ]) {
    out[o++] = byte;
  }
}

function readDevice(bytes: Uint8Array, offset: number): UsbipDeviceInfo {
  const v = view(bytes);
  const o = offset + PATH_SIZE + BUSID_SIZE;
  return {
    path: readString(bytes, offset, PATH_SIZE),
    busId: readString(bytes, offset + PATH_SIZE, BUSID_SIZE),
    busNum: v.getUint32(o),
    devNum: v.getUint32(o + 4),
    speed: v.getUint32(o + 8),
    idVendor: v.getUint16(o + 12),
    idProduct: v.getUint16(o + 14),
    bcdDevice: v.getUint16(o + 16),
    deviceClass: bytes[o + 18],
    deviceSubClass: bytes[o + 19],
    deviceProtocol: bytes[o + 20],
    configurationValue: bytes[o + 21],
    numConfigurations: bytes[o + 22],
    // The count is in byte o + 23; OP_REP_IMPORT carries no entries, OP_REP_DEVLIST's follow the record.
    interfaces: [],
  };
}

function opReplyHeader(out: Uint8Array, code: number, status: number): void {
  const v = view(out);
  v.setUint16(0, USBIP_VERSION);
  v.setUint16(2, code);
  v.setUint32(4, status);
}

export function encodeDevlistReply(devices: UsbipDeviceInfo[]): Uint8Array {
  const size = devices.reduce(
    (n, d) => n + DEVICE_RECORD_SIZE + d.interfaces.length * INTERFACE_RECORD_SIZE,
    OP_HEADER_SIZE + 4,
  );
  const out = new Uint8Array(size);
  opReplyHeader(out, OpCode.REP_DEVLIST, OpStatus.OK);
  view(out).setUint32(OP_HEADER_SIZE, devices.length);
  let o = OP_HEADER_SIZE + 4;
  for (const d of devices) {
    writeDevice(out, o, d);
    o += DEVICE_RECORD_SIZE;
    for (const i of d.interfaces) {
      out.set([i.interfaceClass, i.interfaceSubClass, i.interfaceProtocol, 0], o);
      o += INTERFACE_RECORD_SIZE;
    }
  }
  return out;
}

/** A refused import is the header alone (status non-zero); an accepted one carries the device record. */
export function encodeImportReply(status: number, device?: UsbipDeviceInfo): Uint8Array {
  const accepted = status === OpStatus.OK;
  if (accepted && !device) throw protocolError('expected the imported device for an OK OP_REP_IMPORT');
  const out = new Uint8Array(OP_HEADER_SIZE + (accepted ? DEVICE_RECORD_SIZE : 0));
  opReplyHeader(out, OpCode.REP_IMPORT, status);
  if (accepted && device) writeDevice(out, OP_HEADER_SIZE, { ...device, interfaces: [] });
  return out;
}

/** Client side: the reply to the request of code `requested`, or undefined until all its bytes are here. */
export function decodeOpReply(bytes: Uint8Array, requested: OpRequest['code']): Decoded<OpReply> | undefined {
  if (bytes.length < OP_HEADER_SIZE) return undefined;
  const v = view(bytes);
  const code = v.getUint16(2);
  const status = v.getUint32(4);
  const expected = requested === OpCode.REQ_DEVLIST ? OpCode.REP_DEVLIST : OpCode.REP_IMPORT;
  if (v.getUint16(0) !== USBIP_VERSION || code !== expected) {
    throw protocolError(
      `expected reply code 0x${expected.toString(16).padStart(4, '0')} of version 0x0111, got 0x${code.toString(16)} of 0x${v.getUint16(0).toString(16)}`,
    );
  }
  if (code === OpCode.REP_IMPORT) {
    if (status !== OpStatus.OK) return { message: { code, status }, length: OP_HEADER_SIZE };
    if (bytes.length < OP_HEADER_SIZE + DEVICE_RECORD_SIZE) return undefined;
    return {
      message: { code, status, device: readDevice(bytes, OP_HEADER_SIZE) },
      length: OP_HEADER_SIZE + DEVICE_RECORD_SIZE,
    };
  }
  if (bytes.length < OP_HEADER_SIZE + 4) return undefined;
  const count = v.getUint32(OP_HEADER_SIZE);
  if (count > MAX_DEVICES_IN_LIST) throw protocolError(`expected at most ${MAX_DEVICES_IN_LIST} devices, got ${count}`);
  const devices: UsbipDeviceInfo[] = [];
  let o = OP_HEADER_SIZE + 4;
  for (let n = 0; n < count; n++) {
    if (bytes.length < o + DEVICE_RECORD_SIZE) return undefined;
    const device = readDevice(bytes, o);
    const interfaces = bytes[o + DEVICE_RECORD_SIZE - 1];
    o += DEVICE_RECORD_SIZE;
    if (bytes.length < o + interfaces * INTERFACE_RECORD_SIZE) return undefined;
    for (let i = 0; i < interfaces; i++, o += INTERFACE_RECORD_SIZE) {
      device.interfaces.push({
        interfaceClass: bytes[o],
        interfaceSubClass: bytes[o + 1],
        interfaceProtocol: bytes[o + 2],
      });
    }
    devices.push(device);
  }
  return { message: { code, status, devices }, length: o };
}

// ---------------------------------------------------------------------------------------------------------
// URB phase

/** The 8-byte SETUP packet of a control transfer (USB 2.0 §9.3), little-endian as on the bus. */
export interface SetupPacket {
  requestType: number;
  request: number;
  value: number;
  index: number;
  length: number;
}

export interface CmdSubmit {
  command: typeof UrbCommand.CMD_SUBMIT;
  seqnum: number;
  devid: number;
  direction: number;
  endpoint: number;
  transferFlags: number;
  /** For IN: how many bytes the host can take. For OUT: `data.length`. */
  transferBufferLength: number;
  startFrame: number;
  numberOfPackets: number;
  interval: number;
  setup: SetupPacket;
  /** OUT data (empty for IN). */
  data: Uint8Array;
}

export interface CmdUnlink {
  command: typeof UrbCommand.CMD_UNLINK;
  seqnum: number;
  devid: number;
  direction: number;
  endpoint: number;
  /** The seqnum of the CMD_SUBMIT to cancel. */
  unlinkSeqnum: number;
}

export type UrbCmd = CmdSubmit | CmdUnlink;

export interface RetSubmit {
  command: typeof UrbCommand.RET_SUBMIT;
  seqnum: number;
  status: number;
  actualLength: number;
  startFrame: number;
  numberOfPackets: number;
  errorCount: number;
  /** IN data (empty for OUT). */
  data: Uint8Array;
}

export interface RetUnlink {
  command: typeof UrbCommand.RET_UNLINK;
  seqnum: number;
  status: number;
}

export type UrbRet = RetSubmit | RetUnlink;

function readSetup(bytes: Uint8Array, offset: number): SetupPacket {
  const v = view(bytes);
  return {
    requestType: bytes[offset],
    request: bytes[offset + 1],
    value: v.getUint16(offset + 2, true),
    index: v.getUint16(offset + 4, true),
    length: v.getUint16(offset + 6, true),
  };
}

export function encodeSetup(setup: SetupPacket): Uint8Array {
  const out = new Uint8Array(8);
  const v = view(out);
  out[0] = setup.requestType;
  out[1] = setup.request;
  v.setUint16(2, setup.value, true);
  v.setUint16(4, setup.index, true);
  v.setUint16(6, setup.length, true);
  return out;
}

function basicHeader(out: Uint8Array, command: number, seqnum: number, devid: number, direction: number, ep: number) {
  const v = view(out);
  v.setUint32(0, command);
  v.setUint32(4, seqnum);
  v.setUint32(8, devid);
  v.setUint32(12, direction);
  v.setUint32(16, ep);
}

/** Server side: one command, or undefined until all its bytes are here. */
export function decodeUrbCommand(bytes: Uint8Array): Decoded<UrbCmd> | undefined {
  if (bytes.length < URB_HEADER_SIZE) return undefined;
  const v = view(bytes);
  const command = v.getUint32(0);
  const seqnum = v.getUint32(4);
  const devid = v.getUint32(8);
  const direction = v.getUint32(12);
  const endpoint = v.getUint32(16);
  if (direction !== UsbDirection.OUT && direction !== UsbDirection.IN) {
    throw protocolError(`expected URB direction 0 (out) or 1 (in), got ${direction} (seqnum ${seqnum})`);
  }
  if (endpoint > 15) throw protocolError(`expected an endpoint number 0-15, got ${endpoint} (seqnum ${seqnum})`);
  if (command === UrbCommand.CMD_UNLINK) {
    return {
      message: { command, seqnum, devid, direction, endpoint, unlinkSeqnum: v.getUint32(20) },
      length: URB_HEADER_SIZE,
    };
  }
  if (command !== UrbCommand.CMD_SUBMIT) {
    throw protocolError(`expected USBIP_CMD_SUBMIT (1) or USBIP_CMD_UNLINK (2), got command 0x${command.toString(16)}`);
  }
  const transferFlags = v.getUint32(20);
  const transferBufferLength = v.getUint32(24);
  const startFrame = v.getUint32(28);
  const numberOfPackets = v.getUint32(32);
  const interval = v.getUint32(36);
  if (transferBufferLength > MAX_URB_TRANSFER) {
    throw protocolError(
      `expected a transfer of at most ${MAX_URB_TRANSFER} bytes, got ${transferBufferLength} (seqnum ${seqnum})`,
    );
  }
  // This server has no isochronous endpoints, so no ISO packet descriptors ever follow.
  if (numberOfPackets !== 0 && numberOfPackets !== NOT_ISOCHRONOUS) {
    throw protocolError(`expected a non-isochronous URB, got ${numberOfPackets} ISO packets (seqnum ${seqnum})`);
  }
  const dataLength = direction === UsbDirection.OUT ? transferBufferLength : 0;
  if (bytes.length < URB_HEADER_SIZE + dataLength) return undefined;
  return {
    message: {
      command,
      seqnum,
      devid,
      direction,
      endpoint,
      transferFlags,
      transferBufferLength,
      startFrame,
      numberOfPackets,
      interval,
      setup: readSetup(bytes, 40),
      data: bytes.slice(URB_HEADER_SIZE, URB_HEADER_SIZE + dataLength),
    },
    length: URB_HEADER_SIZE + dataLength,
  };
}

export function encodeCmdSubmit(cmd: Omit<CmdSubmit, 'command'>): Uint8Array {
  const dataLength = cmd.direction === UsbDirection.OUT ? cmd.data.length : 0;
  const out = new Uint8Array(URB_HEADER_SIZE + dataLength);
  basicHeader(out, UrbCommand.CMD_SUBMIT, cmd.seqnum, cmd.devid, cmd.direction, cmd.endpoint);
  const v = view(out);
  v.setUint32(20, cmd.transferFlags);
  v.setUint32(24, cmd.direction === UsbDirection.OUT ? cmd.data.length : cmd.transferBufferLength);
  v.setUint32(28, cmd.startFrame);
  v.setUint32(32, cmd.numberOfPackets);
  v.setUint32(36, cmd.interval);
  out.set(encodeSetup(cmd.setup), 40);
  if (dataLength) out.set(cmd.data, URB_HEADER_SIZE);
  return out;
}

export function encodeCmdUnlink(cmd: Omit<CmdUnlink, 'command'>): Uint8Array {
  const out = new Uint8Array(URB_HEADER_SIZE);
  basicHeader(out, UrbCommand.CMD_UNLINK, cmd.seqnum, cmd.devid, cmd.direction, cmd.endpoint);
  view(out).setUint32(20, cmd.unlinkSeqnum);
  return out;
}

/**
 * RET_SUBMIT: devid, direction and ep are 0 on the wire (the client matches by seqnum). `data` is the IN data
 * actually transferred; for OUT it is empty and `actualLength` says how much was taken.
 */
export function encodeRetSubmit(ret: {
  seqnum: number;
  status: number;
  actualLength?: number;
  data?: Uint8Array;
}): Uint8Array {
  const data = ret.data ?? new Uint8Array(0);
  const out = new Uint8Array(URB_HEADER_SIZE + data.length);
  basicHeader(out, UrbCommand.RET_SUBMIT, ret.seqnum, 0, 0, 0);
  const v = view(out);
  v.setInt32(20, ret.status);
  v.setUint32(24, ret.actualLength ?? data.length);
  v.setUint32(28, 0);
  // Not isochronous: the kernel's own stub answers 0xffffffff here.
  v.setUint32(32, NOT_ISOCHRONOUS);
  v.setUint32(36, 0);
  out.set(data, URB_HEADER_SIZE);
  return out;
}

/** RET_UNLINK status: UrbStatus.UNLINKED when the URB was cancelled, 0 when it had already completed. */
export function encodeRetUnlink(ret: { seqnum: number; status: number }): Uint8Array {
  const out = new Uint8Array(URB_HEADER_SIZE);
  basicHeader(out, UrbCommand.RET_UNLINK, ret.seqnum, 0, 0, 0);
  view(out).setInt32(20, ret.status);
  return out;
}

/**
 * Client side: one reply. RET_SUBMIT carries data only for an IN URB, which only the client knows: `isIn`
 * answers for the URB's seqnum.
 */
export function decodeUrbReply(bytes: Uint8Array, isIn: (seqnum: number) => boolean): Decoded<UrbRet> | undefined {
  if (bytes.length < URB_HEADER_SIZE) return undefined;
  const v = view(bytes);
  const command = v.getUint32(0);
  const seqnum = v.getUint32(4);
  const status = v.getInt32(20);
  if (command === UrbCommand.RET_UNLINK) return { message: { command, seqnum, status }, length: URB_HEADER_SIZE };
  if (command !== UrbCommand.RET_SUBMIT) {
    throw protocolError(`expected USBIP_RET_SUBMIT (3) or USBIP_RET_UNLINK (4), got command 0x${command.toString(16)}`);
  }
  const actualLength = v.getUint32(24);
  if (actualLength > MAX_URB_TRANSFER) {
    throw protocolError(`expected at most ${MAX_URB_TRANSFER} bytes in a RET_SUBMIT, got ${actualLength}`);
  }
  const dataLength = isIn(seqnum) ? actualLength : 0;
  if (bytes.length < URB_HEADER_SIZE + dataLength) return undefined;
  return {
    message: {
      command,
      seqnum,
      status,
      actualLength,
      startFrame: v.getUint32(28),
      numberOfPackets: v.getUint32(32),
      errorCount: v.getUint32(36),
      data: bytes.slice(URB_HEADER_SIZE, URB_HEADER_SIZE + dataLength),
    },
    length: URB_HEADER_SIZE + dataLength,
  };
}

/** The largest message either decoder can be waiting for: what a stream buffer needs to hold, at most. */
export const MAX_USBIP_MESSAGE =
  URB_HEADER_SIZE +
  Math.max(MAX_URB_TRANSFER, 4 + MAX_DEVICES_IN_LIST * (DEVICE_RECORD_SIZE + MAX_INTERFACES * INTERFACE_RECORD_SIZE));
