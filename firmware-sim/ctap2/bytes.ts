/** Byte-string helpers the authenticator uses for IDs and storage keys (never for secrets: not constant-time). */

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Equal length and content; for credential IDs, user IDs and RP ID hashes, which are not secret. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
