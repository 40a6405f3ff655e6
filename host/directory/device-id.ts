import { DEVICE_ID_BYTES, isDeviceIdHex } from '../../proto/index.js';
import { DirectoryError } from './errors.js';

/** A device ID as the directory stores it: exactly proto's DEVICE_ID_BYTES, as lower-case hex. */
export function isCanonicalDeviceId(value: unknown): value is string {
  return isDeviceIdHex(value);
}

/**
 * A band's device ID as the host meets it: the bytes `BandClient.getInfo()` returns, or hex text (either case,
 * e.g. from `bandctl info --json`). The directory stores it as lower-case hex.
 */
export type DeviceId = Uint8Array | string;

/**
 * Accepts the band's bytes or hex in either case and returns lower-case hex, so the same band never appears
 * under two spellings.
 */
export function normalizeDeviceId(value: unknown): string {
  const lowered =
    value instanceof Uint8Array
      ? Buffer.from(value).toString('hex')
      : typeof value === 'string'
        ? value.toLowerCase()
        : value;
  if (!isCanonicalDeviceId(lowered)) {
    throw new DirectoryError(
      'INVALID_DEVICE_ID',
      `Expected a band device ID of ${DEVICE_ID_BYTES} bytes as ${DEVICE_ID_BYTES * 2} hex digits (or as the bytes getInfo() returns), ` +
        `got ${value instanceof Uint8Array ? `${value.length} bytes` : JSON.stringify(value)}; pass the device ID exactly as the band reports it (getInfo().deviceId, or bandctl info --json).`,
    );
  }
  return lowered;
}
