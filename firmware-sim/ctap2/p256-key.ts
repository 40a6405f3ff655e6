import { createECDH, createPrivateKey, sign, type KeyObject } from 'node:crypto';

/** n, the order of the P-256 base point. */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

function toBigInt(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return value;
}

/**
 * Draws a private scalar d in [1, n-1] from the injected random source by rejection sampling, so that keys are as
 * deterministic as the band's randomness (tests pass a seeded source) and uniformly distributed.
 */
export function randomP256Scalar(random: (n: number) => Uint8Array): Uint8Array {
  // A uniform source is rejected with probability ~2^-32 per draw; 64 rejections in a row means it is broken.
  for (let attempt = 0; attempt < 64; attempt++) {
    const candidate = random(32);
    if (candidate.length !== 32) throw new Error(`random(32) returned ${candidate.length} bytes; the band's random source must return exactly n bytes`);
    const d = toBigInt(candidate);
    if (d >= 1n && d < P256_ORDER) return new Uint8Array(candidate);
  }
  throw new Error('random(32) produced 64 out-of-range P-256 scalars in a row; the random source is not random');
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/**
 * An ECDSA/ECDH P-256 key pair held as its scalar. Signing goes through node:crypto; note that ECDSA nonces come from
 * OpenSSL's own generator (node exposes no way to inject them), so signatures are the one random output not drawn
 * from Ctap2Env.random.
 */
export class P256Key {
  readonly x: Uint8Array;
  readonly y: Uint8Array;
  private readonly privateScalar: Uint8Array;
  private signingKey: KeyObject | undefined;

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

  /** ECDSA-SHA-256 signature, ASN.1 DER encoded as WebAuthn §6.5.5 requires for ES256. */
  sign(data: Uint8Array): Uint8Array {
    this.signingKey ??= createPrivateKey({
      key: { kty: 'EC', crv: 'P-256', d: b64url(this.privateScalar), x: b64url(this.x), y: b64url(this.y) },
      format: 'jwk',
    });
    return new Uint8Array(sign('sha256', data, { key: this.signingKey, dsaEncoding: 'der' }));
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
