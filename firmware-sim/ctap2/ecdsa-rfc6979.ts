import { createECDH, createHash, createHmac } from 'node:crypto';
import { derInteger, derSequence } from '../../proto/ctap2/der-writer.js';
import { P256_N, bigIntOf } from '../../proto/ctap2/p256.js';

/**
 * Deterministic ECDSA over P-256 with SHA-256 (RFC 6979 §3.2): the nonce k comes from an HMAC-SHA-256 DRBG seeded
 * with the private key and the message hash, so the same key and message always give the same signature. That is
 * what makes two bands with the same seed and script produce byte-identical frames; node:crypto's ECDSA draws k from
 * OpenSSL and cannot be made to. A seeded world signs here, and so does every process once for its model's
 * attestation root certificate (which must be the same bytes everywhere); any other band signs with node:crypto
 * (`p256-key.ts`).
 *
 * node:crypto does the work: HMAC-SHA-256 for the DRBG, and k·G through ECDH (setting k as an ECDH private key
 * makes OpenSSL compute the public point k·G); only s = k⁻¹(e + r·d) mod n is BigInt arithmetic. This replaced
 * @noble/curves (byte-identical: RFC 6979's test vectors and a differential test against the library check it),
 * which cost every process about 10 MB of RSS to load for this one signature. Not constant-time: fine for an
 * emulator. s is not normalised to low-S (WebAuthn does not ask for it), so the output matches RFC 6979's test
 * vectors exactly and a seeded band's signatures stay what they were. They verify with any standard ECDSA verifier.
 */

/** int2octets (RFC 6979 §2.3.3) for qlen = 256: 32 big-endian bytes. */
const octets = (v: bigint) => Buffer.from(v.toString(16).padStart(64, '0'), 'hex');

/** a⁻¹ mod n for a in [1, n-1] (n prime), by the extended Euclidean algorithm. */
function inverseModN(a: bigint): bigint {
  let [r0, r1] = [P256_N, a];
  let [t0, t1] = [0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return t0 < 0n ? t0 + P256_N : t0;
}

/** One ECDH context for k·G: setPrivateKey(k) computes the public point k·G in OpenSSL. */
const multiplier = createECDH('prime256v1');

/** (r, s) of SHA-256(message) under scalar d in [1, n-1], with RFC 6979 §3.2's k. */
function signRaw(d: bigint, message: Uint8Array): { r: bigint; s: bigint } {
  const h1 = createHash('sha256').update(message).digest();
  // bits2int(h1) (§2.3.2; qlen = hlen = 256, so no shift); bits2octets reduces it mod q (§2.3.4).
  const e = bigIntOf(h1);
  const x = octets(d);
  const h1Octets = octets(e % P256_N);
  const hmac = (key: Buffer, ...data: Uint8Array[]) => {
    const mac = createHmac('sha256', key);
    for (const part of data) mac.update(part);
    return mac.digest();
  };
  // §3.2 steps b-g.
  let v = Buffer.alloc(32, 0x01);
  let k = Buffer.alloc(32, 0x00);
  k = hmac(k, v, Uint8Array.of(0x00), x, h1Octets);
  v = hmac(k, v);
  k = hmac(k, v, Uint8Array.of(0x01), x, h1Octets);
  v = hmac(k, v);
  // §3.2 step h: tlen = qlen = 256, so one HMAC per candidate.
  for (;;) {
    v = hmac(k, v);
    const nonce = bigIntOf(v);
    if (nonce >= 1n && nonce < P256_N) {
      multiplier.setPrivateKey(v);
      const r = bigIntOf(multiplier.getPublicKey().subarray(1, 33)) % P256_N;
      if (r !== 0n) {
        const s = (inverseModN(nonce) * ((e + r * d) % P256_N)) % P256_N;
        if (s !== 0n) return { r, s };
      }
    }
    k = hmac(k, v, Uint8Array.of(0x00));
    v = hmac(k, v);
  }
}

/** The raw signature (r, s) of SHA-256(message) under scalar d. */
export function signP256Deterministic(d: bigint, message: Uint8Array): { r: bigint; s: bigint } {
  if (d < 1n || d >= P256_N) throw new RangeError('P-256 private scalar out of range [1, n-1]');
  return signRaw(d, message);
}

/** ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.3), the form WebAuthn ES256 uses. */
export function derSignature(r: bigint, s: bigint): Uint8Array {
  return derSequence(derInteger(octets(r)), derInteger(octets(s)));
}

/** Deterministic ECDSA-SHA-256 over P-256, DER encoded. */
export function signP256DerDeterministic(d: Uint8Array, message: Uint8Array): Uint8Array {
  const { r, s } = signP256Deterministic(bigIntOf(d), message);
  return derSignature(r, s);
}
