import type { FlashChanges, FlashStore } from '../flash-store.js';
import type { Ctap2Env } from './env.js';
import { decodeCanonical, encodeCanonical } from '../../proto/ctap2/canonical-cbor.js';
import { MAX_PIN_BYTES, MIN_PIN_LENGTH } from '../../proto/limits.js';
import { hex } from './bytes.js';
import { sha256 } from './sha256.js';

/**
 * Where the authenticator keeps its persistent state. Everything lives under 'fido2/' so that the band's
 * "delete user data" (one atomic commit with delPrefix ['fido2/']) ends every credential at once. Nothing is cached:
 * each read goes to the store, so a wipe done behind the authenticator's back is seen by the very next command.
 *
 *   fido2/master          32 random bytes, created with the first state that needs it; credential IDs, CredRandom
 *                         and the epoch of volatile state derive from it, so deleting it orphans every credential
 *   fido2/sign-count      global signature counter, uint32 big-endian
 *   fido2/pin/hash        LEFT(SHA-256(PIN), 16)
 *   fido2/pin/retries     PIN retries left, one byte
 *   fido2/rk/<rpIdHash>/<id>  one discoverable credential (see resident-credential.ts)
 *   fido2/config/min-pin-length          the current minimum PIN length, one byte; absent: MIN_PIN_LENGTH (4)
 *   fido2/config/min-pin-length-rp-ids   canonical CBOR array of the RP IDs the minPinLength extension may tell
 *                                        (CTAP 2.1 §12.4); absent: none. Both are authenticatorConfig
 *                                        setMinPINLength's to write (§6.11.4); a reset clears them with the rest.
 *   fido2/config/force-pin-change        one byte 0x01 while the PIN must be changed before a token is issued
 *                                        (§6.11.4 forceChangePin, getInfo forcePINChange); absent: false
 *   fido2/config/always-uv               one byte 0x01 while alwaysUv is on (§6.11.2 toggleAlwaysUv); absent: off
 *   fido2/config/enterprise-attestation  one byte 0x01 once enableEnterpriseAttestation (§6.11.1) ran; absent:
 *                                        disabled. Under 'fido2/', so authenticatorReset disables it (§6.6), and
 *                                        so does delete user data
 *   fido2/pin/length                     the PIN's length in Unicode code points, one byte, written with the hash so
 *                                        setMinPINLength can tell whether the PIN still meets the minimum
 *   fido2/large-blob-array               the serialized large-blob array (CTAP 2.1 §6.10), at most
 *                                        MAX_SERIALIZED_LARGE_BLOB_ARRAY bytes, replaced whole in one commit;
 *                                        absent: the initial array (empty CBOR array and its hash), so reset and
 *                                        delete user data return it to that
 */
export const FIDO2_PREFIX = 'fido2/';
export const StoreKeys = {
  master: 'fido2/master',
  signCount: 'fido2/sign-count',
  pinHash: 'fido2/pin/hash',
  pinRetries: 'fido2/pin/retries',
  residentPrefix: 'fido2/rk/',
  minPinLength: 'fido2/config/min-pin-length',
  minPinLengthRpIds: 'fido2/config/min-pin-length-rp-ids',
  forcePinChange: 'fido2/config/force-pin-change',
  alwaysUv: 'fido2/config/always-uv',
  enterpriseAttestation: 'fido2/config/enterprise-attestation',
  pinLength: 'fido2/pin/length',
  largeBlobArray: 'fido2/large-blob-array',
} as const;

export const MAX_PIN_RETRIES = 8;

export class Fido2Store {
  constructor(
    private readonly store: FlashStore,
    /** Where a new master secret comes from (the authenticator's Ctap2Env). */
    private readonly source: Pick<Ctap2Env, 'random'>,
  ) {}

  get(key: string): Uint8Array | undefined {
    return this.store.get(key);
  }

  keys(prefix: string): string[] {
    return this.store.keys(prefix);
  }

  commit(changes: FlashChanges): void {
    this.store.commit(changes);
  }

  master(): Uint8Array | undefined {
    const master = this.store.get(StoreKeys.master);
    if (master !== undefined && master.length !== 32) {
      throw new Error(
        `${StoreKeys.master} holds ${master.length} bytes instead of 32; the FIDO2 state is corrupt, reset the authenticator`,
      );
    }
    return master;
  }

  /**
   * The master secret, and the put that creates it when it does not exist yet. The caller adds the put to the same
   * commit as the state that needs it, so a credential never exists without its master.
   */
  masterForWrite(): { master: Uint8Array; put: Record<string, Uint8Array> } {
    const existing = this.master();
    if (existing !== undefined) return { master: existing, put: {} };
    const master = this.source.random(32);
    return { master, put: { [StoreKeys.master]: master } };
  }

  /** Names the current enrollment of FIDO2 state; volatile state (tokens, enumerations) remembers it and dies with it. */
  epoch(): string {
    const master = this.master();
    return master === undefined ? 'none' : hex(sha256(master).subarray(0, 8));
  }

  signCount(): number {
    const raw = this.store.get(StoreKeys.signCount);
    if (raw === undefined) return 0;
    if (raw.length !== 4)
      throw new Error(`${StoreKeys.signCount} holds ${raw.length} bytes instead of 4; the FIDO2 state is corrupt`);
    return new DataView(raw.buffer, raw.byteOffset, 4).getUint32(0);
  }

  /** The counter value for the next signature and the put that persists it. It saturates rather than wrap to 0. */
  nextSignCount(): { value: number; put: Record<string, Uint8Array> } {
    const value = Math.min(this.signCount() + 1, 0xffffffff);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, value);
    return { value, put: { [StoreKeys.signCount]: bytes } };
  }

  pinHash(): Uint8Array | undefined {
    return this.store.get(StoreKeys.pinHash);
  }

  pinRetries(): number {
    const raw = this.store.get(StoreKeys.pinRetries);
    if (raw === undefined) return MAX_PIN_RETRIES;
    if (raw.length !== 1)
      throw new Error(`${StoreKeys.pinRetries} holds ${raw.length} bytes instead of 1; the FIDO2 state is corrupt`);
    return Math.min(raw[0], MAX_PIN_RETRIES);
  }

  /** The current minimum PIN length (§6.4 minPINLength). */
  minPinLength(): number {
    const raw = this.store.get(StoreKeys.minPinLength);
    if (raw === undefined) return MIN_PIN_LENGTH;
    if (raw.length !== 1 || raw[0] < MIN_PIN_LENGTH || raw[0] > MAX_PIN_BYTES)
      throw new Error(`${StoreKeys.minPinLength} holds an impossible minimum PIN length; the FIDO2 state is corrupt`);
    return raw[0];
  }

  static minPinLengthPut(length: number): Record<string, Uint8Array> {
    return { [StoreKeys.minPinLength]: Uint8Array.of(length) };
  }

  /** RP IDs the minPinLength extension answers (§12.4); empty until authenticatorConfig setMinPINLength sets some. */
  minPinLengthRpIds(): string[] {
    const raw = this.store.get(StoreKeys.minPinLengthRpIds);
    if (raw === undefined) return [];
    let value;
    try {
      value = decodeCanonical(raw);
    } catch {
      value = undefined;
    }
    if (!Array.isArray(value) || !value.every((id): id is string => typeof id === 'string'))
      throw new Error(`${StoreKeys.minPinLengthRpIds} is not an array of RP IDs; the FIDO2 state is corrupt`);
    return value;
  }

  static minPinLengthRpIdsPut(rpIds: readonly string[]): Record<string, Uint8Array> {
    return { [StoreKeys.minPinLengthRpIds]: encodeCanonical(rpIds) };
  }

  /** getInfo forcePINChange (§6.4): the PIN must be changed before any token is issued. */
  forcePinChange(): boolean {
    return this.flag(StoreKeys.forcePinChange);
  }

  static forcePinChangePut(on: boolean): FlashChanges {
    return on ? { put: { [StoreKeys.forcePinChange]: Uint8Array.of(1) } } : { del: [StoreKeys.forcePinChange] };
  }

  /** getInfo alwaysUv (§6.4, §6.11.2). */
  alwaysUv(): boolean {
    return this.flag(StoreKeys.alwaysUv);
  }

  static alwaysUvPut(on: boolean): FlashChanges {
    return on ? { put: { [StoreKeys.alwaysUv]: Uint8Array.of(1) } } : { del: [StoreKeys.alwaysUv] };
  }

  /** getInfo ep (§6.4): enterprise attestation enabled (§6.11.1). */
  enterpriseAttestation(): boolean {
    return this.flag(StoreKeys.enterpriseAttestation);
  }

  static enterpriseAttestationPut(): FlashChanges {
    return { put: { [StoreKeys.enterpriseAttestation]: Uint8Array.of(1) } };
  }

  /** The PIN's length in code points; undefined for a PIN set before the length was recorded. */
  pinLength(): number | undefined {
    const raw = this.store.get(StoreKeys.pinLength);
    if (raw === undefined) return undefined;
    if (raw.length !== 1)
      throw new Error(`${StoreKeys.pinLength} holds ${raw.length} bytes instead of 1; the FIDO2 state is corrupt`);
    return raw[0];
  }

  static pinLengthPut(codePoints: number): Record<string, Uint8Array> {
    return { [StoreKeys.pinLength]: Uint8Array.of(codePoints) };
  }

  private flag(key: string): boolean {
    const raw = this.store.get(key);
    if (raw === undefined) return false;
    if (raw.length !== 1 || raw[0] !== 1) throw new Error(`${key} is not a one-byte flag; the FIDO2 state is corrupt`);
    return true;
  }

  static retriesPut(retries: number): Record<string, Uint8Array> {
    return { [StoreKeys.pinRetries]: Uint8Array.of(retries) };
  }
}
