import { createHash, createHmac } from 'node:crypto';

/**
 * Deterministic ECDSA over P-256 with SHA-256 (RFC 6979 §3.2): the nonce k comes from an HMAC-SHA-256 DRBG seeded
 * with the private key and the message hash, so the same key and message always give the same signature. That is
 * what makes two bands with the same seed and script produce byte-identical frames; node:crypto's ECDSA draws k from
 * OpenSSL and cannot be made to.
 *
 * Plain BigInt arithmetic in Jacobian coordinates. It is not constant-time: fine for an emulator, not for a device
 * that must resist timing side channels. s is not normalised to low-S (WebAuthn does not ask for it), so the output
 * matches RFC 6979's test vectors exactly. Signatures verify with any standard ECDSA verifier.
 */

/** P-256 domain parameters (FIPS 186-4 D.1.2.3 / SEC 2). */
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
/** n, the order of the base point: RFC 6979's q. */
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const GX = 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n;
const GY = 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n;

/** A point in Jacobian coordinates (X/Z², Y/Z³); Z = 0 is the point at infinity. */
interface Jacobian {
  x: bigint;
  y: bigint;
  z: bigint;
}

const INFINITY: Jacobian = { x: 1n, y: 1n, z: 0n };

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** a⁻¹ mod m by the extended Euclidean algorithm; m is prime and a ≢ 0. */
function invert(a: bigint, m: bigint): bigint {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new Error('not invertible');
  return mod(oldS, m);
}

/** Doubling for a = -3 (dbl-2001-b, Bernstein–Lange EFD). */
function double(p: Jacobian): Jacobian {
  if (p.z === 0n || p.y === 0n) return INFINITY;
  const delta = mod(p.z * p.z, P);
  const gamma = mod(p.y * p.y, P);
  const beta = mod(p.x * gamma, P);
  const alpha = mod(3n * (p.x - delta) * (p.x + delta), P);
  const x = mod(alpha * alpha - 8n * beta, P);
  const z = mod((p.y + p.z) ** 2n - gamma - delta, P);
  const y = mod(alpha * (4n * beta - x) - 8n * gamma * gamma, P);
  return { x, y, z };
}

/** General addition (add-2007-bl); falls back to doubling for equal points. */
function add(p: Jacobian, q: Jacobian): Jacobian {
  if (p.z === 0n) return q;
  if (q.z === 0n) return p;
  const z1z1 = mod(p.z * p.z, P);
  const z2z2 = mod(q.z * q.z, P);
  const u1 = mod(p.x * z2z2, P);
  const u2 = mod(q.x * z1z1, P);
  const s1 = mod(p.y * q.z * z2z2, P);
  const s2 = mod(q.y * p.z * z1z1, P);
  const h = mod(u2 - u1, P);
  const rr = mod(2n * (s2 - s1), P);
  if (h === 0n) return rr === 0n ? double(p) : INFINITY;
  const i = mod(4n * h * h, P);
  const j = mod(h * i, P);
  const v = mod(u1 * i, P);
  const x = mod(rr * rr - j - 2n * v, P);
  const y = mod(rr * (v - x) - 2n * s1 * j, P);
  const z = mod(((p.z + q.z) ** 2n - z1z1 - z2z2) * h, P);
  return { x, y, z };
}

/** k·G, left-to-right double-and-add, as an affine x coordinate (k is in [1, n-1], so never infinity). */
function baseMultiplyX(k: bigint): bigint {
  const g: Jacobian = { x: GX, y: GY, z: 1n };
  let acc = INFINITY;
  for (let bit = BigInt(k.toString(2).length - 1); bit >= 0n; bit--) {
    acc = double(acc);
    if ((k >> bit) & 1n) acc = add(acc, g);
  }
  if (acc.z === 0n) throw new Error('k·G is the point at infinity');
  const zInv = invert(acc.z, P);
  return mod(acc.x * zInv * zInv, P);
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return value;
}

/** int2octets (RFC 6979 §2.3.3): big-endian, exactly 32 bytes for P-256. */
function int2octets(value: bigint): Uint8Array {
  return Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
}

function hmac(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/**
 * The nonces of RFC 6979 §3.2 for private key `d` and message hash `h1` (32 bytes, SHA-256), in the order the
 * signer tries them. With qlen = hlen = 256, bits2int is plain big-endian and bits2octets(h1) = int2octets(h1 mod q).
 */
export function* rfc6979Nonces(d: bigint, h1: Uint8Array): Generator<bigint> {
  const x = int2octets(d);
  const h = int2octets(mod(bytesToBigInt(h1), P256_N));
  let v: Uint8Array = Buffer.alloc(32, 0x01); // step b
  let k: Uint8Array = Buffer.alloc(32, 0x00); // step c
  k = hmac(k, v, Uint8Array.of(0x00), x, h); // step d
  v = hmac(k, v); // step e
  k = hmac(k, v, Uint8Array.of(0x01), x, h); // step f
  v = hmac(k, v); // step g
  for (;;) {
    v = hmac(k, v); // step h.2: one HMAC output is qlen bits
    const candidate = bytesToBigInt(v);
    if (candidate >= 1n && candidate < P256_N) yield candidate;
    k = hmac(k, v, Uint8Array.of(0x00)); // step h.3
    v = hmac(k, v);
  }
}

/** The raw signature (r, s) of SHA-256(message) under scalar d. */
export function signP256Deterministic(d: bigint, message: Uint8Array): { r: bigint; s: bigint } {
  if (d < 1n || d >= P256_N) throw new RangeError('P-256 private scalar out of range [1, n-1]');
  const h1 = new Uint8Array(createHash('sha256').update(message).digest());
  const e = bytesToBigInt(h1);
  for (const k of rfc6979Nonces(d, h1)) {
    const r = mod(baseMultiplyX(k), P256_N);
    if (r === 0n) continue;
    const s = mod(invert(k, P256_N) * (e + r * d), P256_N);
    if (s === 0n) continue;
    return { r, s };
  }
  throw new Error('unreachable: the nonce generator is infinite');
}

/** One ASN.1 INTEGER: minimal big-endian, with a 0x00 prefix when the top bit is set. */
function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.of(0x00), bytes]);
  return Buffer.concat([Buffer.of(0x02, bytes.length), bytes]);
}

/** ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.3), the form WebAuthn ES256 uses. */
export function derSignature(r: bigint, s: bigint): Uint8Array {
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return new Uint8Array(Buffer.concat([Buffer.of(0x30, body.length), body]));
}

/** Deterministic ECDSA-SHA-256 over P-256, DER encoded. */
export function signP256DerDeterministic(d: Uint8Array, message: Uint8Array): Uint8Array {
  const { r, s } = signP256Deterministic(bytesToBigInt(d), message);
  return derSignature(r, s);
}
