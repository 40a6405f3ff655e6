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

/**
 * Derived keys by master secret (hex). Every credential lookup needs them and three HKDFs cost about as much as a
 * signature, so each master's keys are derived once. A wipe draws a new master, whose keys are new entries; the
 * bound (one entry per band in a large in-process fleet) ages out the old ones.
 */
const MASTERS_KEPT = 4096;
const derived = new Map<string, Readonly<MasterKeys>>();

export function deriveMasterKeys(master: Uint8Array): Readonly<MasterKeys> {
  const hex = Buffer.from(master.buffer, master.byteOffset, master.length).toString('hex');
  let keys = derived.get(hex);
  if (keys === undefined) {
    keys = Object.freeze({
      credentialWrap: derive(master, 'credential-id wrap'),
      credRandomWithUv: derive(master, 'credRandom with uv'),
      credRandomWithoutUv: derive(master, 'credRandom without uv'),
    });
    derived.set(hex, keys);
    if (derived.size > MASTERS_KEPT) derived.delete(derived.keys().next().value!);
  }
  return keys;
}
