import { createECDH } from 'node:crypto';
import { P256_N as P256_ORDER, bytesToBigInt as toBigInt, signP256DerDeterministic } from './ecdsa-rfc6979.js';

/**
 * Draws a private scalar d in [1, n-1] from the injected random source by rejection sampling, so that keys are as
 * deterministic as the band's randomness (tests pass a seeded source) and uniformly distributed.
 */
export function randomP256Scalar(random: (n: number) => Uint8Array): Uint8Array {
  // A uniform source is rejected with probability ~2^-32 per draw; 64 rejections in a row means it is broken.
  for (let attempt = 0; attempt < 64; attempt++) {
    const candidate = random(32);
    if (candidate.length !== 32)
      throw new Error(
        `random(32) returned ${candidate.length} bytes; the band's random source must return exactly n bytes`,
      );
    const d = toBigInt(candidate);
    if (d >= 1n && d < P256_ORDER) return new Uint8Array(candidate);
  }
  throw new Error('random(32) produced 64 out-of-range P-256 scalars in a row; the random source is not random');
}

/**
 * An ECDSA/ECDH P-256 key pair held as its scalar. Signatures are deterministic (RFC 6979, `ecdsa-rfc6979.ts`), so a
 * band's every output follows from Ctap2Env.random and its inputs: same seed and script, same bytes.
 */
export class P256Key {
  readonly x: Uint8Array;
  readonly y: Uint8Array;
  private readonly privateScalar: Uint8Array;

  private constructor(d: Uint8Array) {
    this.privateScalar = new Uint8Array(d);
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(d));
    const publicKey = ecdh.getPublicKey();
    this.x = new Uint8Array(publicKey.subarray(1, 33));
    this.y = new Uint8Array(publicKey.subarray(33, 65));
  }

  static fromScalar(d: Uint8Array): P256Key {
    if (d.length !== 32) throw new Error(`a P-256 private key is 32 bytes; got ${d.length}`);
    const value = toBigInt(d);
    if (value < 1n || value >= P256_ORDER) throw new Error('P-256 private scalar out of range [1, n-1]');
    return new P256Key(d);
  }

  static generate(random: (n: number) => Uint8Array): P256Key {
    return new P256Key(randomP256Scalar(random));
  }

  /** The raw scalar, for wrapping into a credential ID. Never put it in a response. */
  scalar(): Uint8Array {
    return new Uint8Array(this.privateScalar);
  }

  /** Deterministic (RFC 6979) ECDSA-SHA-256 signature, ASN.1 DER encoded as WebAuthn §6.5.5 requires for ES256. */
  sign(data: Uint8Array): Uint8Array {
    return signP256DerDeterministic(this.privateScalar, data);
  }

  /** ECDH: Z, the x-coordinate of d·Q. Returns undefined when (x, y) is not a point on P-256. */
  sharedSecret(peerX: Uint8Array, peerY: Uint8Array): Uint8Array | undefined {
    if (peerX.length !== 32 || peerY.length !== 32) return undefined;
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.from(this.privateScalar));
    try {
      return new Uint8Array(ecdh.computeSecret(Buffer.concat([Buffer.from([0x04]), peerX, peerY])));
    } catch {
      return undefined;
    }
  }
}
