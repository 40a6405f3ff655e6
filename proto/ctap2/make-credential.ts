import { members } from './members.js';

/** authenticatorMakeCredential (CTAP 2.1 §6.1) request members. */
export const MakeCredentialRequest = members({
  clientDataHash: { key: 0x01, type: 'bytes', required: true },
  rp: { key: 0x02, type: 'map', required: true },
  user: { key: 0x03, type: 'map', required: true },
  pubKeyCredParams: { key: 0x04, type: 'array', required: true },
  excludeList: { key: 0x05, type: 'array' },
  extensions: { key: 0x06, type: 'map' },
  options: { key: 0x07, type: 'map' },
  pinUvAuthParam: { key: 0x08, type: 'bytes' },
  pinUvAuthProtocol: { key: 0x09, type: 'uint' },
  enterpriseAttestation: { key: 0x0a, type: 'uint' },
});

/**
 * makeCredential's enterpriseAttestation values (CTAP 2.1 §6.1, §7.1): 1, vendor-facilitated (the authenticator
 * attests uniquely only for RP IDs its vendor provisioned into it); 2, platform-managed (the platform's enterprise
 * policy vouches for the RP ID).
 */
export const EnterpriseAttestation = { VENDOR_FACILITATED: 1, PLATFORM_MANAGED: 2 } as const;
export type EnterpriseAttestationKind = (typeof EnterpriseAttestation)[keyof typeof EnterpriseAttestation];

/** authenticatorMakeCredential response members (§6.1.2, the attestation object in CTAP2 form). */
export const MakeCredentialResponse = members({
  fmt: { key: 0x01, type: 'text', required: true },
  authData: { key: 0x02, type: 'bytes', required: true },
  attStmt: { key: 0x03, type: 'map', required: true },
  epAtt: { key: 0x04, type: 'bool' },
  largeBlobKey: { key: 0x05, type: 'bytes' },
});
