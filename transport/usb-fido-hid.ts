import { HID_REPORT_SIZE } from '../proto/ctaphid.js';
import { FIDO_USAGE_PAGE } from './hid.js';
import type { SetupPacket } from './usbip-codec.js';

/**
 * A full-speed USB device with one FIDO HID interface (CTAP 2.1 §11.2.8): its descriptors (USB 2.0 §9.6,
 * HID 1.11 §6.2) and the answers to the control requests a host sends on endpoint 0. Pure: the USB/IP
 * server moves bytes, this decides what they mean.
 */

/** pid.codes' open-source vendor id and a test product id: a simulator must not claim a vendor's key. */
export const BAND_USB_VENDOR_ID = 0x1209;
export const BAND_USB_PRODUCT_ID = 0x0001;
/** bcdDevice 1.00. */
export const BAND_USB_DEVICE_RELEASE = 0x0100;
/** The interrupt endpoints: IN 0x81 (band to host) and OUT 0x01 (host to band), 64 bytes, polled every 5 ms. */
export const INTERRUPT_ENDPOINT = 1;
const POLL_INTERVAL_MS = 5;
const CONFIGURATION_VALUE = 1;

const DescriptorType = {
  DEVICE: 1,
  CONFIGURATION: 2,
  STRING: 3,
  INTERFACE: 4,
  ENDPOINT: 5,
  HID: 0x21,
  REPORT: 0x22,
} as const;

const Request = {
  GET_STATUS: 0,
  CLEAR_FEATURE: 1,
  SET_FEATURE: 3,
  SET_ADDRESS: 5,
  GET_DESCRIPTOR: 6,
  GET_CONFIGURATION: 8,
  SET_CONFIGURATION: 9,
  GET_INTERFACE: 10,
  SET_INTERFACE: 11,
} as const;

/** HID 1.11 §7.2 class requests. */
const HidRequest = { GET_REPORT: 1, GET_IDLE: 2, GET_PROTOCOL: 3, SET_REPORT: 9, SET_IDLE: 0x0a } as const;

const USB_CLASS_HID = 3;
const LANGUAGE_EN_US = 0x0409;
const StringIndex = { MANUFACTURER: 1, PRODUCT: 2, SERIAL: 3 } as const;

const lo = (n: number) => n & 0xff;
const hi = (n: number) => (n >> 8) & 0xff;

/**
 * The FIDO report descriptor (CTAP 2.1 §11.2.8.1): usage page 0xF1D0, usage CTAPHID (0x01), one 64-byte
 * input report (usage 0x20) and one 64-byte output report (usage 0x21), no report ids.
 */
export const FIDO_REPORT_DESCRIPTOR = Uint8Array.of(
  0x06, lo(FIDO_USAGE_PAGE), hi(FIDO_USAGE_PAGE), // Usage Page (FIDO Alliance)
  0x09, 0x01, //                                      Usage (CTAPHID)
  0xa1, 0x01, //                                      Collection (Application)
  0x09, 0x20, //                                        Usage (Data In)
  0x15, 0x00, //                                        Logical Minimum (0)
  0x26, 0xff, 0x00, //                                  Logical Maximum (255)
  0x75, 0x08, //                                        Report Size (8)
  0x95, HID_REPORT_SIZE, //                             Report Count (64)
  0x81, 0x02, //                                        Input (Data, Variable, Absolute)
  0x09, 0x21, //                                        Usage (Data Out)
  0x15, 0x00, //                                        Logical Minimum (0)
  0x26, 0xff, 0x00, //                                  Logical Maximum (255)
  0x75, 0x08, //                                        Report Size (8)
  0x95, HID_REPORT_SIZE, //                             Report Count (64)
  0x91, 0x02, //                                        Output (Data, Variable, Absolute)
  0xc0, //                                            End Collection
); // prettier-ignore

export interface UsbStrings {
  manufacturer: string;
  product: string;
  serialNumber: string;
}

export interface UsbFidoHidDescriptors {
  device: Uint8Array;
  configuration: Uint8Array;
  hid: Uint8Array;
  report: Uint8Array;
  /** By string index; 0 is the language list. */
  strings: Map<number, Uint8Array>;
}

/** USB 2.0 §9.6.7: bLength, bDescriptorType, then UTF-16LE; at most 126 characters fit in one descriptor. */
function stringDescriptor(text: string): Uint8Array {
  const units = [...text.slice(0, 126)].flatMap((c) => {
    const code = c.charCodeAt(0);
    return [lo(code), hi(code)];
  });
  return Uint8Array.of(2 + units.length, DescriptorType.STRING, ...units);
}

export function fidoHidDescriptors(strings: UsbStrings): UsbFidoHidDescriptors {
  const device = Uint8Array.of(
    18, DescriptorType.DEVICE,
    0x00, 0x02, //                    bcdUSB 2.00
    0, 0, 0, //                       class, subclass, protocol: defined by the interface
    64, //                            bMaxPacketSize0
    lo(BAND_USB_VENDOR_ID), hi(BAND_USB_VENDOR_ID),
    lo(BAND_USB_PRODUCT_ID), hi(BAND_USB_PRODUCT_ID),
    lo(BAND_USB_DEVICE_RELEASE), hi(BAND_USB_DEVICE_RELEASE),
    StringIndex.MANUFACTURER, StringIndex.PRODUCT, StringIndex.SERIAL,
    1, //                             bNumConfigurations
  ); // prettier-ignore
  const hid = Uint8Array.of(
    9, DescriptorType.HID,
    0x11, 0x01, //                    bcdHID 1.11
    0, //                             bCountryCode: not localised
    1, DescriptorType.REPORT, lo(FIDO_REPORT_DESCRIPTOR.length), hi(FIDO_REPORT_DESCRIPTOR.length),
  ); // prettier-ignore
  const iface = Uint8Array.of(9, DescriptorType.INTERFACE, 0, 0, 2, USB_CLASS_HID, 0, 0, 0);
  const endpoint = (address: number) =>
    Uint8Array.of(7, DescriptorType.ENDPOINT, address, 0x03 /* interrupt */, HID_REPORT_SIZE, 0, POLL_INTERVAL_MS);
  const body = [iface, hid, endpoint(0x80 | INTERRUPT_ENDPOINT), endpoint(INTERRUPT_ENDPOINT)];
  const total = 9 + body.reduce((n, d) => n + d.length, 0);
  const configuration = new Uint8Array(total);
  configuration.set(
    [9, DescriptorType.CONFIGURATION, lo(total), hi(total), 1, CONFIGURATION_VALUE, 0, 0x80 /* bus powered */, 50],
    0,
  );
  let o = 9;
  for (const d of body) {
    configuration.set(d, o);
    o += d.length;
  }
  return {
    device,
    configuration,
    hid,
    report: FIDO_REPORT_DESCRIPTOR,
    strings: new Map([
      [0, Uint8Array.of(4, DescriptorType.STRING, lo(LANGUAGE_EN_US), hi(LANGUAGE_EN_US))],
      [StringIndex.MANUFACTURER, stringDescriptor(strings.manufacturer)],
      [StringIndex.PRODUCT, stringDescriptor(strings.product)],
      [StringIndex.SERIAL, stringDescriptor(strings.serialNumber)],
    ]),
  };
}

/** What a control transfer comes to: IN data (truncated to wLength), an OUT report for the band, or a STALL. */
export type ControlOutcome =
  { kind: 'data'; data: Uint8Array } | { kind: 'report'; report: Uint8Array } | { kind: 'stall' };

const ok = (data: Uint8Array = new Uint8Array(0)): ControlOutcome => ({ kind: 'data', data });
const STALL: ControlOutcome = { kind: 'stall' };

/** Endpoint 0 of the device: its state (configuration, idle rate) lives here, one per attachment. */
export class UsbFidoHidFunction {
  private configuration = 0;
  private idle = 0;

  constructor(readonly descriptors: UsbFidoHidDescriptors) {}

  get configured(): boolean {
    return this.configuration === CONFIGURATION_VALUE;
  }

  control(setup: SetupPacket, out: Uint8Array): ControlOutcome {
    const answer = this.answer(setup, out);
    if (answer.kind !== 'data') return answer;
    return ok(answer.data.subarray(0, setup.length));
  }

  private answer(setup: SetupPacket, out: Uint8Array): ControlOutcome {
    const type = (setup.requestType >> 5) & 0x03; // 0 standard, 1 class, 2 vendor
    const recipient = setup.requestType & 0x1f; // 0 device, 1 interface, 2 endpoint
    const toHost = (setup.requestType & 0x80) !== 0;
    if (type === 1 && recipient === 1 && (setup.index & 0xff) === 0) return this.hidClass(setup, toHost, out);
    if (type !== 0) return STALL;
    switch (setup.request) {
      case Request.GET_DESCRIPTOR:
        return toHost ? this.descriptor(setup, recipient) : STALL;
      case Request.GET_STATUS:
        // Not self-powered, no remote wakeup; an interface or endpoint status is all zero too (not halted).
        return toHost ? ok(Uint8Array.of(0, 0)) : STALL;
      case Request.GET_CONFIGURATION:
        return toHost && recipient === 0 ? ok(Uint8Array.of(this.configuration)) : STALL;
      case Request.SET_CONFIGURATION:
        if (recipient !== 0 || (setup.value !== 0 && setup.value !== CONFIGURATION_VALUE)) return STALL;
        this.configuration = setup.value;
        return ok();
      case Request.GET_INTERFACE:
        return toHost && recipient === 1 && setup.index === 0 ? ok(Uint8Array.of(0)) : STALL;
      case Request.SET_INTERFACE:
        // One interface with one alternate setting.
        return recipient === 1 && setup.index === 0 && setup.value === 0 ? ok() : STALL;
      case Request.SET_ADDRESS:
        // vhci-hcd answers SET_ADDRESS itself; a client that forwards it anyway gets a harmless yes.
        return ok();
      case Request.CLEAR_FEATURE:
      case Request.SET_FEATURE:
        // ENDPOINT_HALT on an interrupt endpoint: nothing here ever halts, so clearing is a no-op.
        return recipient === 2 && setup.value === 0 ? ok() : STALL;
      default:
        return STALL;
    }
  }

  private descriptor(setup: SetupPacket, recipient: number): ControlOutcome {
    const kind = setup.value >> 8;
    const index = setup.value & 0xff;
    const d = this.descriptors;
    if (recipient === 0) {
      if (kind === DescriptorType.DEVICE) return ok(d.device);
      if (kind === DescriptorType.CONFIGURATION && index === 0) return ok(d.configuration);
      if (kind === DescriptorType.STRING) {
        const text = d.strings.get(index);
        return text ? ok(text) : STALL;
      }
      // DEVICE_QUALIFIER and OTHER_SPEED: a full-speed-only device stalls them (USB 2.0 §9.6.2).
      return STALL;
    }
    if (recipient === 1 && setup.index === 0) {
      if (kind === DescriptorType.REPORT) return ok(d.report);
      if (kind === DescriptorType.HID) return ok(d.hid);
    }
    return STALL;
  }

  private hidClass(setup: SetupPacket, toHost: boolean, out: Uint8Array): ControlOutcome {
    switch (setup.request) {
      case HidRequest.SET_IDLE:
        if (toHost) return STALL;
        this.idle = setup.value >> 8;
        return ok();
      case HidRequest.GET_IDLE:
        return toHost ? ok(Uint8Array.of(this.idle)) : STALL;
      case HidRequest.SET_REPORT: {
        // An output report sent on endpoint 0 instead of the OUT endpoint (hidraw does this for some
        // drivers): the same 64 bytes the band would have read from the interrupt endpoint.
        const reportType = setup.value >> 8;
        if (toHost || reportType !== 2 || out.length > HID_REPORT_SIZE) return STALL;
        const report = new Uint8Array(HID_REPORT_SIZE);
        report.set(out);
        return { kind: 'report', report };
      }
      default:
        // GET_REPORT (the band has nothing to give outside a transaction), GET/SET_PROTOCOL (not a boot device).
        return STALL;
    }
  }
}
