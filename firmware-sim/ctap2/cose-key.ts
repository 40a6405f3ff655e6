import type { CborMap, CborValue } from '../../proto/ctap2/canonical-cbor.js';
import { CtapStatus, fail } from './ctap-failure.js';
import { asMap, bytesField, intField } from './request-fields.js';

/** COSE labels and values used by CTAP2 (RFC 9052/9053). */
export const Cose = {
  KTY: 1,
  ALG: 3,
  CRV: -1,
  X: -2,
  Y: -3,
  KTY_EC2: 2,
  CRV_P256: 1,
  ALG_ES256: -7,
  /** "ECDH-ES + HKDF-256": what CTAP puts in keyAgreement keys, although the KDF actually used differs. */
  ALG_ECDH_ES_HKDF_256: -25,
} as const;

export interface Ec2PublicKey {
  x: Uint8Array;
  y: Uint8Array;
}

export function coseEc2PublicKey(key: Ec2PublicKey, alg: number): CborMap {
  return new Map<number, CborValue>([
    [Cose.KTY, Cose.KTY_EC2],
    [Cose.ALG, alg],
    [Cose.CRV, Cose.CRV_P256],
    [Cose.X, key.x],
    [Cose.Y, key.y],
  ]);
}

/**
 * Reads a platform's keyAgreement COSE_Key. The alg label is not checked: platforms put -25 there although no
 * HKDF-256 is run, and the spec gives the authenticator nothing to do with it.
 */
export function parsePlatformKeyAgreement(value: CborValue, where: string): Ec2PublicKey {
  const map = asMap(value, where);
  const kty = intField(map, Cose.KTY, where, true);
  const crv = intField(map, Cose.CRV, where, true);
  const x = bytesField(map, Cose.X, where, true);
  const y = bytesField(map, Cose.Y, where, true);
  if (kty !== Cose.KTY_EC2 || crv !== Cose.CRV_P256) {
    fail(
      CtapStatus.CTAP1_ERR_INVALID_PARAMETER,
      `${where} must be an EC2 P-256 key (kty 2, crv 1); got kty ${kty}, crv ${crv}`,
    );
  }
  if (x.length !== 32 || y.length !== 32) {
    fail(
      CtapStatus.CTAP1_ERR_INVALID_PARAMETER,
      `${where} coordinates must be 32 bytes each; got ${x.length} and ${y.length}`,
    );
  }
  return { x, y };
}
