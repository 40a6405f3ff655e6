import { generateKeyPairSync } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { describe, expect, it } from 'vitest';
import { onP256 } from '../../proto/ctap2/p256.js';

/**
 * The relying party's P-256 point check (SEC 1 §3.2.2.1), native BigInt, against @noble/curves' (the library it
 * replaced for this check, still the emulator's signer): same verdict on points on the curve, off it, with a
 * coordinate out of [0, p-1] that is right modulo p, and on the zero point.
 */

const P = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
const big = (b64url: string) => BigInt(`0x${Buffer.from(b64url, 'base64url').toString('hex')}`);

function noble(x: bigint, y: bigint): boolean {
  try {
    p256.Point.fromAffine({ x, y }).assertValidity();
    return true;
  } catch {
    return false;
  }
}

/** √a mod p for p ≡ 3 (mod 4), or undefined when a is not a square. */
function sqrtModP(a: bigint): bigint | undefined {
  let result = 1n;
  let base = a % P;
  for (let e = (P + 1n) / 4n; e > 0n; e >>= 1n, base = (base * base) % P) if (e & 1n) result = (result * base) % P;
  return (result * result) % P === a % P ? result : undefined;
}

/** A point with a small x (so x + p still fits in 32 bytes). */
function smallXPoint(): { x: bigint; y: bigint } {
  const b = p256.Point.CURVE().b;
  for (let x = 1n; ; x++) {
    const y = sqrtModP((((x * x * x - 3n * x + b) % P) + P) % P);
    if (y !== undefined) return { x, y };
  }
}

describe('onP256 (SEC 1 §3.2.2.1)', () => {
  it('accepts the public points of fresh keys, as @noble/curves does', () => {
    for (let i = 0; i < 20; i++) {
      const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
      const [x, y] = [big(jwk.x!), big(jwk.y!)];
      expect(onP256(x, y)).toBe(true);
      expect(noble(x, y)).toBe(true);
      // Off the curve: y + 1, x + 1, and the point's coordinates swapped.
      for (const [a, b] of [
        [x, (y + 1n) % P],
        [(x + 1n) % P, y],
        [y, x],
      ]) {
        expect(onP256(a, b)).toBe(false);
        expect(noble(a, b)).toBe(false);
      }
    }
  });

  it('accepts the base point and its negation', () => {
    const { x, y } = p256.Point.BASE.toAffine();
    expect(onP256(x, y)).toBe(true);
    expect(onP256(x, P - y)).toBe(true);
  });

  it('refuses a coordinate >= p even when it is right modulo p', () => {
    const { x, y } = smallXPoint();
    expect(onP256(x, y)).toBe(true);
    expect(x + P < 2n ** 256n).toBe(true);
    expect(onP256(x + P, y)).toBe(false);
    expect(noble(x + P, y)).toBe(false);
    expect(onP256(x, y + P)).toBe(false);
    expect(onP256(P, 0n)).toBe(false);
    expect(onP256(2n ** 256n - 1n, 2n ** 256n - 1n)).toBe(false);
  });

  it('refuses the zero point (the identity has no affine form) and negative coordinates', () => {
    expect(onP256(0n, 0n)).toBe(false);
    expect(noble(0n, 0n)).toBe(false);
    const { x, y } = smallXPoint();
    expect(onP256(x - P, y)).toBe(false);
    expect(onP256(x, y - P)).toBe(false);
  });
});
