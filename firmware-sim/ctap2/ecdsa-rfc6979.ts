import { createHash } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';

/**
 * Deterministic ECDSA over P-256 with SHA-256 (RFC 6979 §3.2): the nonce k comes from an HMAC-SHA-256 DRBG seeded
 * with the private key and the message hash, so the same key and message always give the same signature. That is
 * what makes two bands with the same seed and script produce byte-identical frames; node:crypto's ECDSA draws k from
 * OpenSSL and cannot be made to. A seeded world signs here; any other band signs with node:crypto (`p256-key.ts`).
 *
 * The arithmetic is @noble/curves' (audited, RFC 6979 and its test vectors built in): about 3× faster than the
 * hand-written BigInt code it replaced and byte-identical to it. Not constant-time: fine for an emulator. s is
 * not normalised to low-S (`lowS: false`; WebAuthn does not ask for it), so the output matches RFC 6979's test
 * vectors exactly and a seeded band's signatures stay what they were. They verify with any standard ECDSA verifier.
 */

/** n, the order of the P-256 base point: RFC 6979's q. */
export const P256_N = p256.Point.CURVE().n;

// The 8-bit window table for the base point (about 20 ms once) makes each k·G several times cheaper.
p256.Point.BASE.precompute(8);

export function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0
    ? 0n
    : BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')}`);
}

/** The 64-byte r‖s signature of SHA-256(message) under the 32-byte scalar `d`. */
function signCompact(d: Uint8Array, message: Uint8Array): Uint8Array {
  // node:crypto hashes; noble's own prehash would do the same in JavaScript, slower.
  const h1 = createHash('sha256').update(message).digest();
  return p256.sign(h1, d, { prehash: false, lowS: false, format: 'compact' });
}

/** The raw signature (r, s) of SHA-256(message) under scalar d. */
export function signP256Deterministic(d: bigint, message: Uint8Array): { r: bigint; s: bigint } {
  if (d < 1n || d >= P256_N) throw new RangeError('P-256 private scalar out of range [1, n-1]');
  const compact = signCompact(Buffer.from(d.toString(16).padStart(64, '0'), 'hex'), message);
  return { r: bytesToBigInt(compact.subarray(0, 32)), s: bytesToBigInt(compact.subarray(32)) };
}

/** ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.3), the form WebAuthn ES256 uses. */
export function derSignature(r: bigint, s: bigint): Uint8Array {
  return new p256.Signature(r, s).toBytes('der');
}

/** Deterministic ECDSA-SHA-256 over P-256, DER encoded. */
export function signP256DerDeterministic(d: Uint8Array, message: Uint8Array): Uint8Array {
  return p256.Signature.fromBytes(signCompact(d, message), 'compact').toBytes('der');
}
