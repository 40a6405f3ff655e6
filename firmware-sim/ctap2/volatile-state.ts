import type { PreparedExtension } from '../../proto/ctap2/extensions/extension.js';
import { P256Key } from './p256-key.js';
import type { Ctap2Env } from './env.js';
import { PinUvAuthTokenState } from './pin-uv-auth-token.js';

/** §6.2.3 / §6.8: getNextAssertion and the credentialManagement enumerations must follow within 30 s. */
export const STATEFUL_COMMAND_TIMEOUT_MS = 30_000;

export interface PendingAssertions {
  kind: 'getAssertion';
  rpId: string;
  rpIdHash: Uint8Array;
  clientDataHash: Uint8Array;
  flags: number;
  /** The request's extensions, prepared once (hmac-secret's decrypted salts), for each credential's output. */
  extensions: PreparedExtension[];
  /** Credential IDs still to be returned, in order. IDs, not keys: each is opened again from the store when used. */
  remaining: Uint8Array[];
}

export interface PendingRps {
  kind: 'enumerateRps';
  remaining: { rpId: string; rpIdHash: Uint8Array }[];
}

export interface PendingCredentials {
  kind: 'enumerateCredentials';
  rpIdHash: Uint8Array;
  remaining: Uint8Array[];
}

/** The CTAP1/U2F test of user presence in progress (u2f.ts): a touch asked for, or given and not yet used. */
export interface U2fPresence {
  asking: boolean;
  stopAsking?: () => void;
  touchedAt?: number;
  touchedFor?: string;
}

export type StatefulCommand = (PendingAssertions | PendingRps | PendingCredentials) & {
  epoch: string;
  expiresAt: number;
};

/**
 * An authenticatorLargeBlobs write in progress (§6.10.2): fragments arrive in order into one buffer of the announced
 * length (at most MAX_SERIALIZED_LARGE_BLOB_ARRAY bytes), committed to flash only when it is whole and its hash holds.
 */
export interface PendingLargeBlobWrite {
  buffer: Uint8Array;
  /** expectedNextOffset: how much of `buffer` has arrived. */
  received: number;
  epoch: string;
}

/**
 * What the authenticator holds in RAM: lost at power-down (powerUp() starts afresh) and bound to the FIDO2 state's
 * epoch so that nothing here outlives a wipe.
 */
export class VolatileState {
  powerUpAt: number | undefined;
  consecutivePinMismatches = 0;
  readonly token = new PinUvAuthTokenState();
  stateful: StatefulCommand | undefined;
  u2f: U2fPresence = { asking: false };
  largeBlobWrite: PendingLargeBlobWrite | undefined;
  // By PIN/UV protocol; made on first use: most bands never run clientPin, and an empty Map is ~150 bytes.
  private keyAgreementKeys: Map<number, P256Key> | undefined;
  private tokens: Map<number, Uint8Array> | undefined;

  /** `source`: the authenticator's Ctap2Env, where every random value comes from. */
  constructor(private readonly source: Pick<Ctap2Env, 'random'>) {}

  /** The authenticator's ECDH key for one PIN/UV protocol, generated on first use after power-up or regeneration. */
  keyAgreementKey(protocol: number): P256Key {
    let key = this.keyAgreementKeys?.get(protocol);
    if (key === undefined) {
      key = P256Key.generate((n) => this.source.random(n));
      (this.keyAgreementKeys ??= new Map()).set(protocol, key);
    }
    return key;
  }

  regenerateKeyAgreementKey(protocol: number): void {
    this.keyAgreementKeys?.delete(protocol);
  }

  pinUvAuthToken(protocol: number): Uint8Array {
    let token = this.tokens?.get(protocol);
    if (token === undefined) {
      token = this.source.random(32);
      (this.tokens ??= new Map()).set(protocol, token);
    }
    return token;
  }

  /** resetPinUvAuthToken() for every protocol: fresh token values, and the old token state stops. */
  resetPinUvAuthTokens(): void {
    this.tokens = undefined;
    this.token.stop();
  }

  /** Forget everything but the power-up time (used by power-up itself and by authenticatorReset). */
  clear(): void {
    this.keyAgreementKeys = undefined;
    this.resetPinUvAuthTokens();
    this.consecutivePinMismatches = 0;
    this.stateful = undefined;
    this.u2f.stopAsking?.();
    this.u2f = { asking: false };
    this.largeBlobWrite = undefined;
  }
}
