/** Byte-string helpers the authenticator uses for IDs and storage keys (never for secrets: not constant-time). */

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export { concat } from '../../proto/bytes.js';

/** Equal length and content; for credential IDs, user IDs and RP ID hashes, which are not secret. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
