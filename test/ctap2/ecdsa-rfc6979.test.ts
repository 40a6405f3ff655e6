import { createECDH, createHash, createPublicKey, verify } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { P256_N } from '../../proto/ctap2/p256.js';
import {
  derSignature,
  signP256Deterministic,
  signP256DerDeterministic,
} from '../../firmware-sim/ctap2/ecdsa-rfc6979.js';
import { P256Key } from '../../firmware-sim/ctap2/p256-key.js';
import type { CborInput } from '../../proto/ctap2/index.js';
import { hash, makeRig, RP, ctapRequest, user } from './rig.js';

const big = (hex: string) => BigInt(`0x${hex}`);
const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex, 'hex'));

/** RFC 6979 A.2.5, ECDSA 256 bits (prime field), NIST P-256. */
const A25 = {
  x: 'C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721',
  Ux: '60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6',
  Uy: '7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299',
  sha256: [
    {
      message: 'sample',
      k: 'A6E3C57DD01ABE90086538398355DD4C3B17AA873382B0F24D6129493D8AAD60',
      r: 'EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716',
      s: 'F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8',
    },
    {
      message: 'test',
      k: 'D16B6AE827F17175E040871A1C7EC3500192C4C92677336EC2537ACAEE0008E0',
      r: 'F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367',
      s: '019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083',
    },
  ],
};

function publicKeyOf(d: Uint8Array) {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(d));
  const point = ecdh.getPublicKey();
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  });
}

function modPow(base: bigint, exponent: bigint, m: bigint): bigint {
  let result = 1n;
  for (base %= m; exponent > 0n; exponent >>= 1n, base = (base * base) % m) {
    if (exponent & 1n) result = (result * base) % m;
  }
  return result;
}

/** The nonce a signature (r, s) of hash e under d was made with: k = s⁻¹(e + r·d) mod n (n is prime). */
function nonceOf(d: bigint, e: bigint, r: bigint, s: bigint): bigint {
  return (modPow(s, P256_N - 2n, P256_N) * ((e + r * d) % P256_N)) % P256_N;
}

/** A P-256 private scalar in [1, n-1], as 32 big-endian bytes. */
const scalar = fc.bigInt({ min: 1n, max: P256_N - 1n }).map((d) => bytes(d.toString(16).padStart(64, '0')));

describe('deterministic ECDSA P-256 (RFC 6979)', () => {
  for (const vector of A25.sha256) {
    it(`matches RFC 6979 A.2.5 with SHA-256, message "${vector.message}" (k, r, s)`, () => {
      const d = big(A25.x);
      const h1 = hash(vector.message);
      const signature = signP256Deterministic(d, Buffer.from(vector.message));
      expect(signature).toEqual({ r: big(vector.r), s: big(vector.s) });
      // The nonce RFC 6979 §3.2 prescribes is the one the signature was made with.
      expect(nonceOf(d, big(Buffer.from(h1).toString('hex')), signature.r, signature.s)).toBe(big(vector.k));
      const der = signP256DerDeterministic(bytes(A25.x), Buffer.from(vector.message));
      expect(der).toEqual(derSignature(big(vector.r), big(vector.s)));
      expect(
        verify('sha256', Buffer.from(vector.message), { key: publicKeyOf(bytes(A25.x)), dsaEncoding: 'der' }, der),
      ).toBe(true);
    });
  }

  it('derives the A.2.5 public key from its private key', () => {
    const key = P256Key.fromScalar(bytes(A25.x));
    expect(Buffer.from(key.x).toString('hex').toUpperCase()).toBe(A25.Ux);
    expect(Buffer.from(key.y).toString('hex').toUpperCase()).toBe(A25.Uy);
  });

  it('node:crypto verifies every signature, over random keys and messages', () => {
    fc.assert(
      fc.property(scalar, fc.uint8Array({ maxLength: 300 }), (d, message) => {
        const der = signP256DerDeterministic(d, message);
        expect(verify('sha256', message, { key: publicKeyOf(d), dsaEncoding: 'der' }, der)).toBe(true);
        // The same key and message always give the same bytes.
        expect(signP256DerDeterministic(d, message)).toEqual(der);
      }),
      { numRuns: 60 },
    );
  });

  it("signs with node:crypto for an unseeded band ('system'): valid, fresh nonces, same key when reopened", () => {
    const key = P256Key.generate(() => {
      throw new Error('system keys come from OpenSSL, not from the band random source');
    }, 'system');
    const message = Buffer.from('assertion');
    const pub = publicKeyOf(key.scalar());
    const [a, b] = [key.sign(message), key.sign(message)];
    expect(verify('sha256', message, { key: pub, dsaEncoding: 'der' }, a)).toBe(true);
    expect(verify('sha256', message, { key: pub, dsaEncoding: 'der' }, b)).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(P256Key.fromScalar(key.scalar(), 'system').x).toEqual(key.x);
    const reopened = P256Key.fromScalar(bytes(A25.x), 'system').sign(message);
    expect(verify('sha256', message, { key: publicKeyOf(bytes(A25.x)), dsaEncoding: 'der' }, reopened)).toBe(true);
  });

  it("a 'system' key whose scalar starts with a zero byte is still 32 bytes, its point and signatures its own", () => {
    // One scalar in 256 starts with 0x00 (OpenSSL hands it back one byte short); 8192 draws miss it with p < 1e-13.
    let key: P256Key | undefined;
    for (let draw = 0; draw < 8192 && key === undefined; draw++) {
      const candidate = P256Key.generate(() => new Uint8Array(32), 'system');
      if (candidate.scalar()[0] === 0) key = candidate;
    }
    if (key === undefined) throw new Error('8192 system keys and none with a leading zero byte');
    expect(key.scalar()).toHaveLength(32);
    const pub = publicKeyOf(key.scalar());
    const jwk = pub.export({ format: 'jwk' });
    expect(Buffer.from(key.x).toString('base64url')).toBe(jwk.x);
    expect(Buffer.from(key.y).toString('base64url')).toBe(jwk.y);
    const message = Buffer.from('assertion');
    expect(verify('sha256', message, { key: pub, dsaEncoding: 'der' }, key.sign(message))).toBe(true);
    expect(P256Key.fromScalar(key.scalar(), 'system').uncompressed()).toEqual(key.uncompressed());
  });

  it("n is P-256's group order (SEC 2 §2.4.2), as @noble/curves has it", () => {
    expect(P256_N).toBe(p256.Point.CURVE().n);
  });

  it('signs byte for byte as @noble/curves does (RFC 6979, no low-S), over random keys and messages', () => {
    fc.assert(
      fc.property(scalar, fc.uint8Array({ maxLength: 300 }), (d, message) => {
        const h1 = createHash('sha256').update(message).digest();
        const noble = p256.sign(h1, d, { prehash: false, lowS: false, format: 'der' });
        expect(Buffer.from(signP256DerDeterministic(d, message)).toString('hex')).toBe(
          Buffer.from(noble).toString('hex'),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('takes private scalars in [1, n-1] only, from a caller and from the random source', () => {
    const n = P256_N.toString(16).padStart(64, '0');
    const scalar = (value: bigint) => bytes(value.toString(16).padStart(64, '0'));
    for (const bad of [0n, P256_N, P256_N + 1n, 2n ** 256n - 1n])
      expect(() => P256Key.fromScalar(scalar(bad)), bad.toString(16)).toThrow(/out of range/);
    expect(() => P256Key.fromScalar(bytes(n).subarray(1))).toThrow(/32 bytes/);
    for (const good of [1n, 2n ** 255n, P256_N - 1n])
      expect(P256Key.fromScalar(scalar(good)).scalar()).toEqual(scalar(good));
    // The random source's out-of-range draws are skipped: n, then 0, then n-1.
    const draws = [P256_N, 0n, P256_N - 1n].map(scalar);
    expect(P256Key.generate(() => draws.shift()!).scalar()).toEqual(scalar(P256_N - 1n));
  });

  it('a signature does not verify for another message or another key', () => {
    fc.assert(
      fc.property(scalar, scalar, fc.uint8Array({ minLength: 1, maxLength: 64 }), (d, other, message) => {
        fc.pre(Buffer.compare(d, other) !== 0);
        const der = signP256DerDeterministic(d, message);
        const altered = Uint8Array.from(message);
        altered[0] ^= 1;
        expect(verify('sha256', altered, { key: publicKeyOf(d), dsaEncoding: 'der' }, der)).toBe(false);
        expect(verify('sha256', message, { key: publicKeyOf(other), dsaEncoding: 'der' }, der)).toBe(false);
      }),
      { numRuns: 20 },
    );
  });

  it('writes minimal DER: no needless leading zeros, a 0x00 before a set top bit', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: P256_N - 1n }), fc.bigInt({ min: 1n, max: P256_N - 1n }), (r, s) => {
        const der = derSignature(r, s);
        expect(der[0]).toBe(0x30);
        expect(der[1]).toBe(der.length - 2);
        let at = 2;
        for (const value of [r, s]) {
          expect(der[at]).toBe(0x02);
          const body = der.subarray(at + 2, at + 2 + der[at + 1]);
          expect(body[0] & 0x80).toBe(0);
          if (body.length > 1 && body[0] === 0) expect(body[1] & 0x80).toBe(0x80);
          expect(BigInt(`0x${Buffer.from(body).toString('hex')}`)).toBe(value);
          at += 2 + der[at + 1];
        }
        expect(at).toBe(der.length);
      }),
    );
  });

  it('two authenticators with the same seed answer makeCredential and getAssertion with identical bytes', async () => {
    const replies = async () => {
      const rig = makeRig({ seed: 'same seed' });
      const made = await rig.raw(
        ctapRequest(
          0x01,
          new Map<number, CborInput>([
            [1, hash('cd')],
            [2, RP],
            [3, user(1)],
            [4, [{ type: 'public-key', alg: -7 }]],
            [7, { rk: true, uv: true }],
          ]),
        ),
      );
      const asserted = await rig.raw(
        ctapRequest(
          0x02,
          new Map<number, CborInput>([
            [1, RP.id],
            [2, hash('cd2')],
          ]),
        ),
      );
      return [Buffer.from(made).toString('hex'), Buffer.from(asserted).toString('hex')];
    };
    const [a, b] = [await replies(), await replies()];
    expect(a[0].slice(0, 2)).toBe('00');
    expect(a[1].slice(0, 2)).toBe('00');
    expect(b).toEqual(a);
  });
});
