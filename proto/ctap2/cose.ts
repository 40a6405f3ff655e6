import { members } from './members.js';

/** COSE labels and values CTAP2 uses (RFC 9052 §7 "Key Objects", RFC 9053 §2.1, §7.1; CTAP 2.1 §6.5.6). */
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

/**
 * An EC2 P-256 COSE_Key (RFC 9053 §7.1.1): credential public keys and keyAgreement keys. `alg` is read as any value:
 * platforms put -25 in keyAgreement keys although no HKDF-256 is run, and nothing depends on it.
 */
export const CoseEc2Key = members({
  kty: { key: Cose.KTY, type: 'int', required: true },
  alg: { key: Cose.ALG, type: 'any' },
  crv: { key: Cose.CRV, type: 'int', required: true },
  x: { key: Cose.X, type: 'bytes', required: true },
  y: { key: Cose.Y, type: 'bytes', required: true },
});
