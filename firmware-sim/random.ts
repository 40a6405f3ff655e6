import { createHash, createHmac, randomFillSync } from 'node:crypto';

/** Where every random value the band uses comes from: setup codes, salts, the device ID, FIDO2 keys. */
export interface RandomSource {
  bytes(length: number): Uint8Array;
  /** True when the bytes follow from a seed: the band then signs deterministically too (RFC 6979). */
  readonly seeded?: boolean;
}

/**
 * A deterministic DRBG: HMAC-SHA-256 in counter mode, keyed with SHA-256 of the seed. It is one byte
 * stream (bytes(3) then bytes(3) equals bytes(6)), so the same seed and the same script give the same
 * bytes however the firmware happens to slice its requests.
 */
export class DeterministicRandom implements RandomSource {
  readonly seeded = true;
  private key!: Buffer;
  private counter = 0n;
  private buffer = Buffer.alloc(0);

  constructor(seed: Uint8Array | string) {
    this.reseed(seed);
  }

  reseed(seed: Uint8Array | string): void {
    this.key = createHash('sha256').update('band-stack drbg v1\0').update(seed).digest();
    this.counter = 0n;
    this.buffer = Buffer.alloc(0);
  }

  bytes(length: number): Uint8Array {
    checkLength(length);
    const blocks: Buffer[] = [this.buffer];
    let have = this.buffer.length;
    while (have < length) {
      const block = Buffer.alloc(8);
      block.writeBigUInt64BE(this.counter++);
      const out = createHmac('sha256', this.key).update(block).digest();
      blocks.push(out);
      have += out.length;
    }
    const all = Buffer.concat(blocks);
    this.buffer = all.subarray(length);
    return new Uint8Array(all.subarray(0, length));
  }
}

/**
 * The operating system's CSPRNG, for bandsim without --seed. Bands ask for a few bytes at a time (a setup-code
 * digit, a salt), so the bytes come from one pool that all bands share, refilled 4 KiB at a time: one call into
 * OpenSSL per pool instead of per request, and no byte is handed out twice.
 */
export class SystemRandom implements RandomSource {
  bytes(length: number): Uint8Array {
    checkLength(length);
    if (length > SYSTEM_POOL_BYTES) return new Uint8Array(randomFillSync(new Uint8Array(length)));
    if (poolAt + length > SYSTEM_POOL_BYTES) {
      randomFillSync(pool);
      poolAt = 0;
    }
    const start = poolAt;
    poolAt += length;
    const bytes = pool.slice(start, poolAt);
    // Bytes handed out may be secrets (PIN tokens, keys): the pool keeps no copy of them.
    pool.fill(0, start, poolAt);
    return bytes;
  }
}

const SYSTEM_POOL_BYTES = 4096;
const pool = new Uint8Array(SYSTEM_POOL_BYTES);
/** Bytes of `pool` already handed out; starts full so the first request fills it. */
let poolAt = SYSTEM_POOL_BYTES;

function checkLength(length: number): void {
  if (!Number.isInteger(length) || length < 0 || length > 1 << 20) {
    throw new RangeError(`expected a random length between 0 and 1048576 bytes, got ${length}`);
  }
}

/** A uniform index below `n` (rejection sampling, so no value is more likely than another). */
export function randomIndex(random: RandomSource, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new RangeError(`expected 1..256 choices, got ${n}`);
  const limit = 256 - (256 % n);
  for (;;) {
    const [b] = random.bytes(1);
    if (b < limit) return b % n;
  }
}
