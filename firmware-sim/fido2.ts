import type { FidoCredential } from '../proto/index.js';
import type { Band } from './band.js';
import type { Clock } from './clock.js';
import { Ctap2Authenticator, StoreKeys } from './ctap2/index.js';
import { decodeResidentCredential } from './ctap2/resident-credential.js';
import type { FlashStore } from './flash-store.js';

/** The band model's AAGUID: first 16 bytes of SHA-256("band-stack bandsim"), fixed for the model as a real one is. */
export const BAND_AAGUID = Uint8Array.from(Buffer.from('bbaf4d27b2d0d7369e34164abb7a9d65', 'hex'));

/** The CTAP2 authenticator the band hosts, seeing the band only through its Ctap2Env. */
export function fido2Authenticator(band: Band, clock: Clock, config: { aaguid: Uint8Array; firmwareVersion: string }): Ctap2Authenticator {
  return new Ctap2Authenticator(
    {
      store: band.store,
      random: (n) => band.random.bytes(n),
      now: () => clock.now(),
      userPresence: (request, ctx) => band.userPresence(ctx, request),
      userVerified: () => band.userVerified,
      userEnrolled: () => band.enrolled,
    },
    { aaguid: config.aaguid, firmwareVersion: numericVersion(config.firmwareVersion) },
  );
}

/** CTAP getInfo wants an integer: "bandsim 1.2.3" is 10203. */
function numericVersion(version: string): number {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(version);
  return m ? Number(m[1]) * 10_000 + Number(m[2]) * 100 + Number(m[3]) : 0;
}

const MAX_LISTED = 32;

export function residentCredentialCount(store: FlashStore): number {
  return store.keys(StoreKeys.residentPrefix).length;
}

/**
 * Resident credentials as band.proto lists them (no key material: the private key never sits in these
 * records). A record the authenticator cannot read is left out here; the authenticator reports it itself.
 */
export function residentCredentials(store: FlashStore): FidoCredential[] {
  const all = store.keys(StoreKeys.residentPrefix).flatMap((key) => {
    try {
      return [decodeResidentCredential(key, store.get(key)!)];
    } catch {
      return [];
    }
  });
  all.sort((a, b) => b.created - a.created);
  return all.map((c) => ({ rpId: c.rpId, credentialId: c.credentialId, userName: c.user.name ?? '' }));
}

export function listedCredentials(all: FidoCredential[]): FidoCredential[] {
  return all.slice(0, MAX_LISTED).map((c) => ({ ...c, userName: clampUtf8(c.userName, 64), rpId: clampUtf8(c.rpId, 128) }));
}

function clampUtf8(s: string, max: number): string {
  let out = '';
  for (const ch of s) {
    if (Buffer.byteLength(out + ch) > max) break;
    out += ch;
  }
  return out;
}
