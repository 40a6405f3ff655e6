import type { CborMap, CborValue } from '../../proto/ctap2/canonical-cbor.js';
import { Cose, CoseEc2Key } from '../../proto/ctap2/cose.js';
import { encodeMembers } from '../../proto/ctap2/members.js';
import { CtapStatus, fail } from './ctap-failure.js';
import { parseRequestMembers } from '../../proto/ctap2/ctap-failure.js';

export interface Ec2PublicKey {
  x: Uint8Array;
  y: Uint8Array;
}

export function coseEc2PublicKey(key: Ec2PublicKey, alg: number): CborMap {
  return encodeMembers(CoseEc2Key, {
    kty: Cose.KTY_EC2,
    alg,
    crv: Cose.CRV_P256,
    x: key.x,
    y: key.y,
  }) as CborMap;
}

/**
 * Reads a platform's keyAgreement COSE_Key. The alg label is not checked: platforms put -25 there although no
 * HKDF-256 is run, and the spec gives the authenticator nothing to do with it.
 */
export function parsePlatformKeyAgreement(value: CborValue, where: string): Ec2PublicKey {
  const { kty, crv, x, y } = parseRequestMembers(CoseEc2Key, value, where);
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
