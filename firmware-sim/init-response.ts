/**
 * CTAPHID_INIT response payload (CTAP 2.1 §11.2.9.1.3): nonce(8) | CID(4, big-endian) | CTAPHID protocol
 * version (2) | device version major, minor, build | capabilities. Shared by every endpoint so a host sees
 * the same device whether it speaks HID reports or framed serial.
 */
export const CAPABILITY_WINK = 0x01;
export const CAPABILITY_CBOR = 0x04;
/** Set: the band does not implement CTAPHID_MSG (CTAP1/U2F). */
export const CAPABILITY_NMSG = 0x08;

export const DEVICE_VERSION = { major: 0, minor: 1, build: 0 } as const;

export function initResponse(nonce: Uint8Array, cid: number): Uint8Array {
  const out = new Uint8Array(17);
  out.set(nonce.subarray(0, 8), 0);
  new DataView(out.buffer).setUint32(8, cid >>> 0, false);
  out[12] = 2;
  out[13] = DEVICE_VERSION.major;
  out[14] = DEVICE_VERSION.minor;
  out[15] = DEVICE_VERSION.build;
  out[16] = CAPABILITY_WINK | CAPABILITY_CBOR | CAPABILITY_NMSG;
  return out;
}
