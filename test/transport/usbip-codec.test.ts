import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TransportError } from '../../transport/errors.js';
import { FIDO_REPORT_DESCRIPTOR, UsbFidoHidFunction, fidoHidDescriptors } from '../../transport/usb-fido-hid.js';
import {
  MAX_URB_TRANSFER,
  OpCode,
  OpStatus,
  UrbCommand,
  UrbStatus,
  UsbDirection,
  decodeOpReply,
  decodeOpRequest,
  decodeUrbCommand,
  decodeUrbReply,
  encodeCmdSubmit,
  encodeCmdUnlink,
  encodeDevlistReply,
  encodeImportReply,
  encodeOpRequest,
  encodeRetSubmit,
  encodeRetUnlink,
  looksLikeOpHeader,
  type UsbipDeviceInfo,
} from '../../transport/usbip-codec.js';

const device: UsbipDeviceInfo = {
  path: '/sys/devices/bandsim/usb1/1-1',
  busId: '1-1',
  busNum: 1,
  devNum: 2,
  speed: 2,
  idVendor: 0x1209,
  idProduct: 0x0001,
  bcdDevice: 0x0100,
  deviceClass: 0,
  deviceSubClass: 0,
  deviceProtocol: 0,
  configurationValue: 1,
  numConfigurations: 1,
  interfaces: [{ interfaceClass: 3, interfaceSubClass: 0, interfaceProtocol: 0 }],
};

const usbipCode = (error: unknown) => (error instanceof TransportError ? error.code : error);

/** Every proper prefix of a message is "not yet" (undefined), never a wrong message or a throw. */
function expectPrefixesWait(bytes: Uint8Array, decode: (b: Uint8Array) => unknown) {
  for (let n = 0; n < bytes.length; n++) expect(decode(bytes.subarray(0, n))).toBeUndefined();
}

describe('USB/IP codec (usbip_protocol.rst)', () => {
  it('encodes OP_REQ_DEVLIST and OP_REQ_IMPORT as the kernel documents them', () => {
    expect([...encodeOpRequest({ code: OpCode.REQ_DEVLIST })]).toEqual([0x01, 0x11, 0x80, 0x05, 0, 0, 0, 0]);
    const importing = encodeOpRequest({ code: OpCode.REQ_IMPORT, busId: '1-1' });
    expect(importing.length).toBe(40);
    expect([...importing.subarray(0, 11)]).toEqual([0x01, 0x11, 0x80, 0x03, 0, 0, 0, 0, 0x31, 0x2d, 0x31]);
    expect(decodeOpRequest(importing)).toEqual({ message: { code: OpCode.REQ_IMPORT, busId: '1-1' }, length: 40 });
    expectPrefixesWait(importing, decodeOpRequest);
  });

  it('round-trips the device list and import replies, interfaces included', () => {
    const list = encodeDevlistReply([device]);
    expect(list.length).toBe(8 + 4 + 312 + 4);
    expect(decodeOpReply(list, OpCode.REQ_DEVLIST)).toEqual({
      message: { code: OpCode.REP_DEVLIST, status: 0, devices: [device] },
      length: list.length,
    });
    expectPrefixesWait(list, (b) => decodeOpReply(b, OpCode.REQ_DEVLIST));
    const accepted = encodeImportReply(OpStatus.OK, device);
    expect(decodeOpReply(accepted, OpCode.REQ_IMPORT)?.message).toEqual({
      code: OpCode.REP_IMPORT,
      status: 0,
      device: { ...device, interfaces: [] },
    });
    const refused = encodeImportReply(OpStatus.DEV_BUSY);
    expect([...refused]).toEqual([0x01, 0x11, 0x00, 0x03, 0, 0, 0, 2]);
    expect(decodeOpReply(refused, OpCode.REQ_IMPORT)?.message).toEqual({ code: OpCode.REP_IMPORT, status: 2 });
  });

  it('round-trips CMD_SUBMIT (OUT data travels, IN data does not), CMD_UNLINK and the replies', () => {
    const setup = { requestType: 0x80, request: 6, value: 0x0100, index: 0, length: 18 };
    const inUrb = {
      seqnum: 7,
      devid: 0x10002,
      direction: UsbDirection.IN,
      endpoint: 0,
      transferFlags: 0x200,
      transferBufferLength: 18,
      startFrame: 0,
      numberOfPackets: 0xffffffff,
      interval: 0,
      setup,
      data: new Uint8Array(0),
    };
    const bytes = encodeCmdSubmit(inUrb);
    expect(bytes.length).toBe(48);
    // The SETUP packet is little-endian, as on the bus: 80 06 00 01 00 00 12 00.
    expect([...bytes.subarray(40)]).toEqual([0x80, 6, 0, 1, 0, 0, 18, 0]);
    expect(decodeUrbCommand(bytes)).toEqual({ message: { command: UrbCommand.CMD_SUBMIT, ...inUrb }, length: 48 });
    const outUrb = { ...inUrb, seqnum: 8, direction: UsbDirection.OUT, endpoint: 1, data: new Uint8Array(64).fill(9) };
    const out = encodeCmdSubmit({ ...outUrb, transferBufferLength: 64 });
    expect(out.length).toBe(48 + 64);
    expect(decodeUrbCommand(out)?.message).toEqual({
      command: UrbCommand.CMD_SUBMIT,
      ...outUrb,
      transferBufferLength: 64,
    });
    expectPrefixesWait(out, decodeUrbCommand);
    const unlink = encodeCmdUnlink({ seqnum: 9, devid: 0x10002, direction: 0, endpoint: 1, unlinkSeqnum: 7 });
    expect(decodeUrbCommand(unlink)?.message).toMatchObject({ command: UrbCommand.CMD_UNLINK, unlinkSeqnum: 7 });

    const ret = encodeRetSubmit({ seqnum: 7, status: 0, data: Uint8Array.of(1, 2, 3) });
    expect(decodeUrbReply(ret, () => true)?.message).toMatchObject({ seqnum: 7, status: 0, actualLength: 3 });
    expect([...(decodeUrbReply(ret, () => true)?.message as { data: Uint8Array }).data]).toEqual([1, 2, 3]);
    const stalled = encodeRetSubmit({ seqnum: 10, status: UrbStatus.STALL });
    expect(decodeUrbReply(stalled, () => true)?.message).toMatchObject({ status: -32, actualLength: 0 });
    expect(decodeUrbReply(encodeRetUnlink({ seqnum: 9, status: UrbStatus.UNLINKED }), () => false)?.message).toEqual({
      command: UrbCommand.RET_UNLINK,
      seqnum: 9,
      status: -104,
    });
  });

  it('tells an operation header from a URB header, so a relayed stream can start over', () => {
    expect(looksLikeOpHeader(encodeOpRequest({ code: OpCode.REQ_IMPORT, busId: '1-1' }))).toBe(true);
    expect(
      looksLikeOpHeader(encodeCmdUnlink({ seqnum: 1, devid: 0, direction: 0, endpoint: 0, unlinkSeqnum: 0 })),
    ).toBe(false);
  });

  it('refuses what no USB device needs, with a typed error: another version, code, direction, size, ISO', () => {
    const badVersion = encodeOpRequest({ code: OpCode.REQ_DEVLIST });
    badVersion[1] = 0x06;
    expect(() => decodeOpRequest(badVersion)).toThrow(/version 0x0111/);
    const badCode = encodeOpRequest({ code: OpCode.REQ_DEVLIST });
    badCode[3] = 0x07;
    expect(usbipCode(catchOf(() => decodeOpRequest(badCode)))).toBe('USBIP_PROTOCOL');
    const urb = (patch: (v: DataView) => void) => {
      const bytes = encodeCmdUnlink({ seqnum: 1, devid: 0, direction: 0, endpoint: 0, unlinkSeqnum: 0 });
      const v = new DataView(bytes.buffer);
      v.setUint32(0, UrbCommand.CMD_SUBMIT);
      patch(v);
      return bytes;
    };
    expect(() => decodeUrbCommand(urb((v) => v.setUint32(0, 9)))).toThrow(/CMD_SUBMIT/);
    expect(() => decodeUrbCommand(urb((v) => v.setUint32(12, 2)))).toThrow(/direction/);
    expect(() => decodeUrbCommand(urb((v) => v.setUint32(16, 16)))).toThrow(/endpoint/);
    expect(() => decodeUrbCommand(urb((v) => v.setUint32(24, MAX_URB_TRANSFER + 1)))).toThrow(/at most 65535/);
    expect(() => decodeUrbCommand(urb((v) => v.setUint32(32, 3)))).toThrow(/isochronous/);
  });

  it('never reads past its input and throws nothing but TransportError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        for (const decode of [
          decodeOpRequest,
          decodeUrbCommand,
          (b: Uint8Array) => decodeOpReply(b, OpCode.REQ_DEVLIST),
          (b: Uint8Array) => decodeUrbReply(b, () => true),
        ]) {
          try {
            const decoded = decode(bytes);
            if (decoded) expect(decoded.length).toBeLessThanOrEqual(bytes.length);
          } catch (error) {
            expect(usbipCode(error)).toBe('USBIP_PROTOCOL');
          }
        }
      }),
    );
  });
});

function catchOf(f: () => unknown): unknown {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('the FIDO HID USB device (descriptors and endpoint 0)', () => {
  const strings = { manufacturer: 'band-stack', product: 'Band AAAH-00125 (bandsim)', serialNumber: 'AAAH-00125' };
  const d = fidoHidDescriptors(strings);
  const get = (fn: UsbFidoHidFunction, requestType: number, value: number, length = 255, index = 0) =>
    fn.control({ requestType, request: 6, value, index, length }, new Uint8Array(0));
  const text = (descriptor: Uint8Array) => String.fromCharCode(...new Uint16Array(descriptor.slice(2).buffer));

  it('is a FIDO HID interface: usage page 0xF1D0, usage 1, 64-byte reports both ways', () => {
    expect([...FIDO_REPORT_DESCRIPTOR.subarray(0, 5)]).toEqual([0x06, 0xd0, 0xf1, 0x09, 0x01]);
    expect(FIDO_REPORT_DESCRIPTOR.length).toBe(34);
    // Configuration: total length, one interface of class HID with two endpoints, the HID descriptor
    // naming the report descriptor's length, interrupt IN 0x81 and OUT 0x01 of 64 bytes.
    expect(d.configuration.length).toBe(41);
    expect(d.configuration[2] | (d.configuration[3] << 8)).toBe(41);
    expect([...d.configuration.subarray(9, 18)]).toEqual([9, 4, 0, 0, 2, 3, 0, 0, 0]);
    expect([...d.configuration.subarray(18, 27)]).toEqual([9, 0x21, 0x11, 0x01, 0, 1, 0x22, 34, 0]);
    expect([...d.configuration.subarray(27)]).toEqual([7, 5, 0x81, 3, 64, 0, 5, 7, 5, 0x01, 3, 64, 0, 5]);
    expect([...d.device.subarray(8, 12)]).toEqual([0x09, 0x12, 0x01, 0x00]);
  });

  it('answers GET_DESCRIPTOR truncated to wLength, and names the band in its strings', () => {
    const fn = new UsbFidoHidFunction(d);
    expect(get(fn, 0x80, 0x0100, 8)).toEqual({ kind: 'data', data: d.device.subarray(0, 8) });
    expect(get(fn, 0x80, 0x0200, 9)).toEqual({ kind: 'data', data: d.configuration.subarray(0, 9) });
    const product = get(fn, 0x80, 0x0302, 255, 0x0409);
    expect(product.kind === 'data' && text(product.data)).toBe('Band AAAH-00125 (bandsim)');
    const serial = get(fn, 0x80, 0x0303, 255, 0x0409);
    expect(serial.kind === 'data' && text(serial.data)).toBe('AAAH-00125');
    expect(get(fn, 0x81, 0x2200)).toEqual({ kind: 'data', data: FIDO_REPORT_DESCRIPTOR });
  });

  it('takes SET_CONFIGURATION, SET_IDLE, SET_INTERFACE and GET_STATUS, and stalls what it does not do', () => {
    const fn = new UsbFidoHidFunction(d);
    const c = (requestType: number, request: number, value = 0, index = 0, length = 0, out = new Uint8Array(0)) =>
      fn.control({ requestType, request, value, index, length }, out);
    expect(fn.configured).toBe(false);
    expect(c(0x00, 9, 1).kind).toBe('data');
    expect(fn.configured).toBe(true);
    expect(c(0x80, 8, 0, 0, 1)).toEqual({ kind: 'data', data: Uint8Array.of(1) });
    expect(c(0x00, 9, 2)).toEqual({ kind: 'stall' });
    expect(c(0x21, 0x0a).kind).toBe('data');
    expect(c(0x01, 11).kind).toBe('data');
    expect(c(0x01, 11, 1)).toEqual({ kind: 'stall' });
    expect(c(0x80, 0, 0, 0, 2)).toEqual({ kind: 'data', data: Uint8Array.of(0, 0) });
    expect(get(fn, 0x80, 0x0600)).toEqual({ kind: 'stall' }); // device qualifier: full speed only
    expect(get(fn, 0x80, 0x0304)).toEqual({ kind: 'stall' }); // no such string
    expect(c(0xa1, 0x01, 0x0100, 0, 64)).toEqual({ kind: 'stall' }); // GET_REPORT
    expect(c(0x40, 0x01)).toEqual({ kind: 'stall' }); // vendor request
    const report = c(0x21, 0x09, 0x0200, 0, 3, Uint8Array.of(1, 2, 3));
    expect(report.kind === 'report' && [...report.report.subarray(0, 4)]).toEqual([1, 2, 3, 0]);
  });
});
