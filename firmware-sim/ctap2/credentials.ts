import { createHmac } from 'node:crypto';
import { bytesEqual, hex } from './bytes.js';
import { openCredentialId, type CredentialSecret } from './credential-id.js';
import type { Ctap2Env } from './env.js';
import type { Fido2Store } from './fido2-store.js';
import { StoreKeys } from './fido2-store.js';
import { deriveMasterKeys, type MasterKeys } from './master-keys.js';
import { P256Key, type Signing } from './p256-key.js';
import {
  decodeResidentCredential,
  residentRpPrefix,
  residentStorageKey,
  type ResidentCredential,
} from './resident-credential.js';

/** A credential that is usable right now: its ID opened under the current master and, if discoverable, its record. */
export interface Credential {
  credentialId: Uint8Array;
  key: P256Key;
  credProtect: 1 | 2 | 3;
  resident?: ResidentCredential;
}

/** A credential ID opened under the current master: for whom, what it holds, its key. */
interface OpenedId {
  rpIdHash: Uint8Array;
  secret: CredentialSecret;
  key: P256Key;
}

/** How many opened credential IDs a band keeps (see `Credentials.opened`). */
const OPENED_KEPT = 32;

/**
 * Reads credentials from the store on every call. The one thing kept is the last few credential IDs opened, for
 * the current master only: nothing survives a wipe.
 */
export class Credentials {
  /**
   * Opened credential IDs by ID (hex), least recently used first out, with their keys. Opening one is an AES-GCM
   * decryption whose setup costs node about a fifth of a P-256 signature, every getAssertion opens its credential
   * again, and what an ID opens to depends only on the wrap key, the RP and the ID: so it is kept, under the
   * master's derived keys, and forgotten with them (a wipe draws a new master; a band without one keeps nothing).
   */
  private opened: Map<string, OpenedId> | undefined;
  private openedUnder?: Readonly<MasterKeys>;

  constructor(
    private readonly store: Fido2Store,
    /** Says how the band signs right now (RFC 6979 on a seeded band); without it, RFC 6979. */
    private readonly env?: Pick<Ctap2Env, 'signing'>,
  ) {}

  /** How credentials sign right now: asked at each use, as a band's randomness can be reseeded. */
  signing(): Signing {
    return this.env?.signing?.() ?? 'rfc6979';
  }

  /** A new credential key pair, signing as the band does. */
  generateKey(random: (n: number) => Uint8Array): P256Key {
    return P256Key.generate(random, this.signing());
  }

  /** The credential `credentialId` names for this RP, or undefined if it is not (or no longer) ours. */
  find(rpIdHash: Uint8Array, credentialId: Uint8Array): Credential | undefined {
    const opened = this.open(rpIdHash, credentialId);
    if (opened === undefined) return undefined;
    const { secret, key } = opened;
    let resident: ResidentCredential | undefined;
    if (secret.discoverable) {
      const storageKey = residentStorageKey(rpIdHash, credentialId);
      const record = this.store.get(storageKey);
      if (record === undefined) return undefined;
      resident = decodeResidentCredential(storageKey, record);
    }
    return {
      credentialId: new Uint8Array(credentialId),
      key,
      credProtect: secret.credProtect,
      ...(resident !== undefined ? { resident } : {}),
    };
  }

  private open(rpIdHash: Uint8Array, credentialId: Uint8Array): { secret: CredentialSecret; key: P256Key } | undefined {
    const master = this.store.master();
    const keys = master === undefined ? undefined : deriveMasterKeys(master);
    if (keys !== this.openedUnder) {
      this.opened = undefined;
      this.openedUnder = keys;
    }
    if (keys === undefined) return undefined;
    // Made on the first opening: a band that never asserts keeps no empty Map.
    const opened = (this.opened ??= new Map<string, OpenedId>());
    const signing = this.signing();
    const id = hex(credentialId);
    let entry = opened.get(id);
    if (entry === undefined || !bytesEqual(entry.rpIdHash, rpIdHash)) {
      const secret = openCredentialId(keys.credentialWrap, rpIdHash, credentialId);
      if (secret === undefined) return undefined;
      entry = { rpIdHash: new Uint8Array(rpIdHash), secret, key: P256Key.fromScalar(secret.privateKey, signing) };
    } else if (entry.key.signing !== signing) {
      // The band's world was seeded or unseeded since: the key signs the way the band does now.
      entry = { ...entry, key: P256Key.fromScalar(entry.secret.privateKey, signing) };
    }
    opened.delete(id);
    opened.set(id, entry);
    if (opened.size > OPENED_KEPT) opened.delete(opened.keys().next().value!);
    return entry;
  }

  /** Discoverable credentials of one RP, newest first (CTAP 2.1 §6.2.2 step 12 orders by creation time). */
  residentForRp(rpIdHash: Uint8Array): ResidentCredential[] {
    return this.readResident(residentRpPrefix(rpIdHash)).sort((a, b) => b.created - a.created);
  }

  allResident(): ResidentCredential[] {
    return this.readResident(StoreKeys.residentPrefix);
  }

  private readResident(prefix: string): ResidentCredential[] {
    const out: ResidentCredential[] = [];
    for (const key of this.store.keys(prefix)) {
      const value = this.store.get(key);
      if (value !== undefined) out.push(decodeResidentCredential(key, value));
    }
    return out;
  }

  /**
   * hmac-secret's CredRandom (CTAP 2.1 §12.5): two 32-byte secrets per credential, one for assertions with UV and
   * one without. They are derived (HMAC of the credential's private scalar under a master-derived key) rather than
   * stored, so non-resident credentials have them too and a wipe ends them with the master.
   */
  credRandom(credential: Credential, userVerified: boolean): Uint8Array {
    const master = this.store.master();
    if (master === undefined) throw new Error('credRandom asked for while no master secret exists');
    const keys = deriveMasterKeys(master);
    return new Uint8Array(
      createHmac('sha256', userVerified ? keys.credRandomWithUv : keys.credRandomWithoutUv)
        .update(credential.key.scalar())
        .digest(),
    );
  }
}
