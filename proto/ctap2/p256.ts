/**
 * P-256 (secp256r1), the curve of ES256 keys (COSE alg -7, crv 1): its domain parameters (SEC 2 §2.4.2), once for
 * the band that signs with it and the relying party that checks its points.
 */

/** Bytes of a scalar and of each affine coordinate, big-endian. */
export const P256_SCALAR_BYTES = 32;
/** p, the field prime. */
export const P256_P = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
/** b, the curve coefficient (a = -3). */
export const P256_B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
/** n, the order of the base point (RFC 6979's q). */
export const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** A big-endian unsigned integer (a scalar or a coordinate) as a bigint; no bytes is 0. */
export function bigIntOf(bytes: Uint8Array): bigint {
  return bytes.length === 0
    ? 0n
    : BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')}`);
}

/**
 * SEC 1 §3.2.2.1 (public key validation) for an affine point: x and y in [0, p-1] and y² = x³ - 3x + b (mod p).
 * The point at infinity has no affine form, and (0, 0) fails the equation (b ≠ 0). P-256's cofactor is 1, so a
 * point on the curve is in the group: step 4 (nQ = O) holds with no multiplication.
 */
export function onP256(x: bigint, y: bigint): boolean {
  if (x < 0n || x >= P256_P || y < 0n || y >= P256_P) return false;
  return (y * y - (x * x * x - 3n * x + P256_B)) % P256_P === 0n;
}
