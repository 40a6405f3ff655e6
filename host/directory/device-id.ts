import { DEVICE_ID_BYTES, isDeviceIdHex } from '../../proto/index.js';
import { DirectoryError } from './errors.js';

/** A device ID as the directory stores it: exactly proto's DEVICE_ID_BYTES, as lower-case hex. */
export function isCanonicalDeviceId(value: unknown): value is string {
  return isDeviceIdHex(value);
}

/** Accepts either case and stores lower-case so the same band never appears under two spellings. */
export function normalizeDeviceId(value: unknown): string {
  const lowered = typeof value === 'string' ? value.toLowerCase() : value;
  if (!isCanonicalDeviceId(lowered)) {
    throw new DirectoryError(
      'INVALID_DEVICE_ID',
      `Expected a band device ID of ${DEVICE_ID_BYTES} bytes as ${DEVICE_ID_BYTES * 2} hex digits, ` +
        `got ${JSON.stringify(value)}; pass the device ID exactly as the band reports it (bandctl info --json).`,
    );
  }
  return lowered;
}
