import { DirectoryError } from './errors.js';

/** Generous bound: real device IDs are a few bytes; this only stops a garbage value being stored. */
const MAX_DEVICE_ID_HEX_CHARS = 128;

export function isCanonicalDeviceId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_DEVICE_ID_HEX_CHARS &&
    value.length % 2 === 0 &&
    /^[0-9a-f]+$/.test(value)
  );
}

/** Accepts either case and stores lower-case so the same band never appears under two spellings. */
export function normalizeDeviceId(value: unknown): string {
  const lowered = typeof value === 'string' ? value.toLowerCase() : value;
  if (!isCanonicalDeviceId(lowered)) {
    throw new DirectoryError(
      'INVALID_DEVICE_ID',
      `Expected a band device ID as a non-empty, even-length hex string of at most ${MAX_DEVICE_ID_HEX_CHARS} ` +
        `characters, got ${JSON.stringify(value)}; pass the device ID exactly as the band reports it.`,
    );
  }
  return lowered;
}
