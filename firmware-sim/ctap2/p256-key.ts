import { createECDH, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { P256_N as P256_ORDER } from '../../proto/ctap2/p256.js';
import { signP256DerDeterministic } from './ecdsa-rfc6979.js';

/**
 * How a band signs. `rfc6979`: deterministic nonces (`ecdsa-rfc6979.ts`), so a seeded band's every output follows
 * from its seed and inputs: same seed and script, same bytes. `system`: node:crypto (OpenSSL), random nonces and
 * keys from the operating system, about ten times faster; for bands whose world is not seeded.
 */
export type Signing = 'rfc6979' | 'system';

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
    if (inScalarRange(candidate)) return new Uint8Array(candidate);
  }
  throw new Error('random(32) produced 64 out-of-range P-256 scalars in a row; the random source is not random');
}

/**
 * node:crypto keys by scalar (hex). Importing a raw scalar into OpenSSL costs about three signatures (JWK import,
 * which computes the public point), and every getAssertion opens its credential's scalar again from the credential
 * ID, so the imported key is kept. Bounded, least recently used first out.
 */
const KEY_OBJECTS_KEPT = 256;
const keyObjects = new Map<string, KeyObject>();

function keepKeyObject(hex: string, key: KeyObject): KeyObject {
  keyObjects.delete(hex);
  keyObjects.set(hex, key);
  if (keyObjects.size > KEY_OBJECTS_KEPT) keyObjects.delete(keyObjects.keys().next().value!);
  return key;
}

/**
 * The ECDH context new `system` keys come from: each generateKeys() draws a fresh pair, and making the context
 * (the curve group) costs as much as the generation itself.
 */
const keyGenerator = createECDH('prime256v1');

/** n as 32 big-endian bytes: a scalar's range is checked by comparing bytes (a BigInt parse cost more). */
const ORDER_BYTES = Buffer.from(P256_ORDER.toString(16).padStart(64, '0'), 'hex');

/** 1 <= d < n for a 32-byte big-endian d. */
function inScalarRange(d: Uint8Array): boolean {
  return Buffer.compare(d, ORDER_BYTES) < 0 && d.some((byte) => byte !== 0);
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64url');

/**
 * An ECDSA/ECDH P-256 key pair held as its scalar. The public point is computed when first asked for (an assertion
 * never needs it).
 */
export class P256Key {
  private readonly privateScalar: Uint8Array;
  private point?: { x: Uint8Array; y: Uint8Array };
  private nodeKey?: KeyObject;

  private constructor(
    d: Uint8Array,
    /** How this key signs. */
    readonly signing: Signing,
    point?: { x: Uint8Array; y: Uint8Array },
  ) {
    this.privateScalar = new Uint8Array(d);
    this.point = point;
  }

  get x(): Uint8Array {
    return this.publicPoint().x;
  }

  get y(): Uint8Array {
    return this.publicPoint().y;
  }

  /** The public point in SEC 1 uncompressed form, 0x04 ‖ x ‖ y (U2F registrations, X.509 keys). */
  uncompressed(): Uint8Array<ArrayBuffer> {
    const { x, y } = this.publicPoint();
    const out = new Uint8Array(65);
    out[0] = 0x04;
    out.set(x, 1);
    out.set(y, 33);
    return out;
  }

  static fromScalar(d: Uint8Array, signing: Signing = 'rfc6979'): P256Key {
    if (d.length !== 32) throw new Error(`a P-256 private key is 32 bytes; got ${d.length}`);
    if (!inScalarRange(d)) throw new Error('P-256 private scalar out of range [1, n-1]');
    return new P256Key(d, signing);
  }

  /**
   * A new key: its scalar drawn from `random` for `rfc6979` (a seeded band's keys follow from its seed), from
   * OpenSSL's generator for `system` (the operating system's randomness, as `random` is then anyway).
   *
   * `system` goes through ECDH's key generation, which hands back the raw scalar and point, rather than
   * generateKeyPairSync and a JWK export: that export deadlocks node 20 now and then (it holds the new key's lock
   * while allocating strings; the garbage collection this can trigger finalises an earlier key-generation job,
   * which takes the same lock), and it costs about four ECDH generations. The KeyObject for signing is made at
   * the first signature (makeCredential signs with the attestation key, not the new one).
   */
  static generate(random: (n: number) => Uint8Array, signing: Signing = 'rfc6979'): P256Key {
    if (signing === 'rfc6979') return new P256Key(randomP256Scalar(random), signing);
    const point = keyGenerator.generateKeys();
    const raw = keyGenerator.getPrivateKey();
    // getPrivateKey drops leading zero bytes (1 key in 256); the scalar is 32 bytes, big-endian.
    const d = new Uint8Array(32);
    d.set(raw, 32 - raw.length);
    return new P256Key(d, signing, {
      x: new Uint8Array(point.subarray(1, 33)),
      y: new Uint8Array(point.subarray(33, 65)),
    });
  }

  /** The raw scalar, for wrapping into a credential ID. Never put it in a response. */
  scalar(): Uint8Array {
    return new Uint8Array(this.privateScalar);
  }

  /** ECDSA-SHA-256 signature, ASN.1 DER encoded as WebAuthn §6.5.5 requires for ES256. */
  sign(data: Uint8Array): Uint8Array {
    if (this.signing === 'rfc6979') return signP256DerDeterministic(this.privateScalar, data);
    return new Uint8Array(sign('sha256', data, { key: this.keyObject(), dsaEncoding: 'der' }));
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

  private publicPoint(): { x: Uint8Array; y: Uint8Array } {
    if (this.point === undefined) {
      const ecdh = createECDH('prime256v1');
      ecdh.setPrivateKey(Buffer.from(this.privateScalar));
      const publicKey = ecdh.getPublicKey();
      this.point = { x: new Uint8Array(publicKey.subarray(1, 33)), y: new Uint8Array(publicKey.subarray(33, 65)) };
    }
    return this.point;
  }

  private keyObject(): KeyObject {
    if (this.nodeKey !== undefined) return this.nodeKey;
    const hex = Buffer.from(this.privateScalar).toString('hex');
    const kept = keyObjects.get(hex);
    if (kept !== undefined) return (this.nodeKey = keepKeyObject(hex, kept));
    const { x, y } = this.publicPoint();
    const key = createPrivateKey({
      key: { kty: 'EC', crv: 'P-256', d: b64url(this.privateScalar), x: b64url(x), y: b64url(y) },
      format: 'jwk',
    });
    return (this.nodeKey = keepKeyObject(hex, key));
  }
}
