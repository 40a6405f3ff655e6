import { hkdfSync } from 'node:crypto';

/**
 * Keys derived from the per-enrollment master secret (fido2/master) with HKDF-SHA-256, one label per purpose so
 * that no key serves two roles.
 */
export interface MasterKeys {
  /** AES-256-GCM key sealing non-resident credential IDs. */
  credentialWrap: Uint8Array;
  /** HMAC keys from which each credential's hmac-secret CredRandom values derive. */
  credRandomWithUv: Uint8Array;
  credRandomWithoutUv: Uint8Array;
}

function derive(master: Uint8Array, label: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', master, new Uint8Array(0), `band-fido2 ${label} v1`, 32));
}

export function deriveMasterKeys(master: Uint8Array): MasterKeys {
  return {
    credentialWrap: derive(master, 'credential-id wrap'),
    credRandomWithUv: derive(master, 'credRandom with uv'),
    credRandomWithoutUv: derive(master, 'credRandom without uv'),
  };
}
