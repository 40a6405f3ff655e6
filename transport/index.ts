// The CTAPHID tables live in proto/ (the wire contract); transport re-exports them for its users.
export {
  Command,
  HidError,
  KeepaliveStatus,
  KEEPALIVE_INTERVAL_MS,
  runsBesideTransaction,
  VENDOR_FIRST,
  VENDOR_LAST,
  commandName,
  hidErrorName,
  type CommandName,
  type HidErrorName,
  type HidErrorCode,
} from '../proto/ctaphid.js';
export * from './errors.js';
export type * from './transport.js';
export { MAX_UNIT_PAYLOAD, MAX_COMMAND, assertUnit } from './unit.js';
export { cobsEncode, cobsDecode, cobsMaxEncodedLength } from './cobs.js';
export { encodeFrame, decodeFrame, MAX_FRAME_PAYLOAD, MAX_ENCODED_FRAME_LENGTH, FRAME_DELIMITER } from './frame.js';
export { FrameStreamDecoder, type FrameStreamHandlers } from './frame-stream.js';
export { FramedTransport, type ByteLink } from './framed-transport.js';
export { MAX_UNREAD_BYTES, boundedWriter, type BackpressuredStream } from './bounded-writes.js';
export { loopbackPair, type LoopbackOptions, type LoopbackTransport } from './loopback.js';
export { MAX_TIMER_DELAY_MS, type Timers } from './timers.js';
export { Subscribers } from './subscribers.js';
export {
  packetize,
  Reassembler,
  type ReassemblerOptions,
  type HidMessage,
  HID_REPORT_SIZE,
  INIT_DATA_SIZE,
  CONT_DATA_SIZE,
  CTAPHID_MAX_MESSAGE,
  BROADCAST_CID,
  DEFAULT_MSG_TIMEOUT_MS,
  DEFAULT_MAX_MESSAGE_MS,
  readCid,
  hexCid,
} from './ctaphid.js';
export {
  encodeInitResponse,
  decodeInitResponse,
  type InitResponse,
  INIT_NONCE_SIZE,
  INIT_RESPONSE_SIZE,
  CTAPHID_PROTOCOL_VERSION,
  Capability,
} from './ctaphid-init.js';
export type { CtapHidHostOptions, CtapHidTransport } from './ctaphid-host.js';
export { connectUdpHid, listenUdpHid, type UdpHidServer, type UdpHidServerOptions, type UdpPeer } from './udp-hid.js';
export { connectTcp, listenTcp, type TcpServer } from './tcp.js';
export {
  listenUsbip,
  type UsbipHidDevice,
  type UsbipServer,
  type UsbipServerEvent,
  type UsbipServerOptions,
  type UsbipReleaseReason,
} from './usbip-server.js';
export * as usbip from './usbip-codec.js';
export {
  fidoHidDescriptors,
  UsbFidoHidFunction,
  FIDO_REPORT_DESCRIPTOR,
  BAND_USB_VENDOR_ID,
  BAND_USB_PRODUCT_ID,
  type UsbStrings,
  type UsbFidoHidDescriptors,
  type ControlOutcome,
} from './usb-fido-hid.js';
export {
  openSerial,
  listSerialPorts,
  DEFAULT_BAUD_RATE,
  type SerialOptions,
  type SerialPortInfo,
  type SerialPortListing,
} from './serial.js';
export {
  openHid,
  listHidDevices,
  loadNodeHid,
  FIDO_USAGE_PAGE,
  type HidOptions,
  type HidBackend,
  type HidDeviceHandle,
  type HidDeviceInfo,
} from './hid.js';
export { recordTransport, type RecordOptions } from './record.js';
export { openReplay, type ReplayOptions } from './replay.js';
export {
  parseRecording,
  formatRecordedUnit,
  RECORDING_HEADER,
  type RecordedUnit,
  type Direction,
} from './recording-format.js';
export {
  openTransport,
  parseTransportUri,
  TRANSPORT_URI_FORMS,
  type TransportUri,
  type OpenTransportOptions,
} from './uri.js';
