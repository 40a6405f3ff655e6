import { createHash } from 'node:crypto';
import type { DeviceContext } from '../../firmware-sim/band-device.js';
import {
  Ctap2Authenticator,
  UserPresenceTimeoutError,
  type AttestationMode,
  type Ctap2Env,
  type UserPresenceRequest,
} from '../../firmware-sim/ctap2/index.js';
import {
  decodeCanonical,
  encodeCanonical,
  Fido2Client,
  type CborInput,
  type CborValue,
  type Transact,
} from '../../host/fido2/index.js';
import type { CborKey } from '../../proto/ctap2/canonical-cbor.js';
import { Command } from '../../transport/index.js';
import type { FlashStore } from '../../firmware-sim/flash-store.js';
import { MemoryFlashStore } from './memory-store.js';

export const AAGUID = Uint8Array.from(Buffer.from('b5a7b1e0c3d24f0a9a3e5b6d7c8e9f01', 'hex'));

/** A deterministic random source: SHA-256(seed || counter) blocks. */
export function seededRandom(seed: string): (n: number) => Uint8Array {
  let counter = 0;
  let pool = new Uint8Array(0);
  return (n: number) => {
    while (pool.length < n) {
      const block = createHash('sha256').update(seed).update(String(counter++)).digest();
      pool = new Uint8Array([...pool, ...block]);
    }
    const out = pool.slice(0, n);
    pool = pool.slice(n);
    return out;
  };
}

export type PresenceAnswer = boolean | 'timeout' | 'wait-for-abort';

/** The band's body as the authenticator sees it, scriptable from tests. */
export class FakeBand<S extends FlashStore = MemoryFlashStore> implements Ctap2Env {
  clock = 1_000_000;
  enrolled = true;
  onWrist = true;
  /** Answers for the next user-presence requests, in order; 'true' once they run out. */
  presenceAnswers: PresenceAnswer[] = [];
  readonly presenceLog: UserPresenceRequest[] = [];
  readonly random: (n: number) => Uint8Array;
  /** Set (see makeRig's deviceId) to make the authenticator enterprise attestation capable. */
  deviceId?: () => Uint8Array;

  constructor(
    readonly store: S,
    seed: string,
  ) {
    this.random = seededRandom(seed);
  }

  now(): number {
    return this.clock;
  }

  userVerified(): boolean {
    return this.enrolled && this.onWrist;
  }

  userEnrolled(): boolean {
    return this.enrolled;
  }

  async userPresence(request: UserPresenceRequest, ctx: DeviceContext): Promise<boolean> {
    this.presenceLog.push(request);
    const answer = this.presenceAnswers.shift() ?? true;
    if (answer === 'timeout') {
      throw new UserPresenceTimeoutError('no touch');
    }
    if (answer === 'wait-for-abort') {
      ctx.keepalive(2);
      return new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve(false), { once: true }));
    }
    return answer;
  }
}

export interface Rig {
  band: FakeBand;
  store: MemoryFlashStore;
  authenticator: Ctap2Authenticator;
  client: Fido2Client;
  /** Raw request -> raw reply, bypassing the client. */
  raw(request: Uint8Array, signal?: AbortSignal): Promise<Uint8Array>;
  /** A new authenticator on the same store and band, as after a reboot (powerUp called). */
  reboot(): Rig;
}

export function makeRig(
  options: {
    seed?: string;
    store?: MemoryFlashStore;
    band?: FakeBand;
    maxResidentCredentials?: number;
    attestation?: AttestationMode;
    /** Default the rig's AAGUID. */
    aaguid?: Uint8Array;
    /** The band's device ID: the authenticator becomes enterprise attestation capable. */
    deviceId?: Uint8Array;
  } = {},
): Rig {
  const store = options.store ?? new MemoryFlashStore();
  const band = options.band ?? new FakeBand(store, options.seed ?? 'rig');
  const deviceId = options.deviceId;
  if (deviceId !== undefined) band.deviceId = () => new Uint8Array(deviceId);
  const authenticator = new Ctap2Authenticator(band, {
    aaguid: options.aaguid ?? AAGUID,
    firmwareVersion: 7,
    ...(options.maxResidentCredentials !== undefined ? { maxResidentCredentials: options.maxResidentCredentials } : {}),
    ...(options.attestation !== undefined ? { attestation: options.attestation } : {}),
  });
  authenticator.powerUp();
  const raw = (request: Uint8Array, signal?: AbortSignal) =>
    authenticator.handle(request, { signal: signal ?? new AbortController().signal, keepalive: () => {} });
  const transact: Transact = async (command, payload, opts) => {
    if (command !== Command.CBOR) throw new Error(`test transact only carries CBOR, got ${command}`);
    return authenticator.handle(payload, {
      signal: opts.signal ?? new AbortController().signal,
      keepalive: (s) => opts.onKeepalive?.(s),
    });
  };
  const rig: Rig = {
    band,
    store,
    authenticator,
    client: new Fido2Client(transact),
    raw,
    reboot: () =>
      makeRig({
        store,
        band,
        ...(options.maxResidentCredentials !== undefined
          ? { maxResidentCredentials: options.maxResidentCredentials }
          : {}),
        ...(options.attestation !== undefined ? { attestation: options.attestation } : {}),
        ...(options.aaguid !== undefined ? { aaguid: options.aaguid } : {}),
        ...(options.deviceId !== undefined ? { deviceId: options.deviceId } : {}),
      }),
  };
  return rig;
}

export const RP = { id: 'example.com', name: 'Example' };
export const ORIGIN = 'https://example.com';

export function user(n: number) {
  return { id: Uint8Array.of(0x75, n), name: `user${n}@example.com`, displayName: `User ${n}` };
}

export function hash(text: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(text).digest());
}

/** command byte + canonical CBOR parameters, as a platform would send them. */
export function ctapRequest(command: number, params?: CborInput): Uint8Array {
  return params === undefined ? Uint8Array.of(command) : Uint8Array.from([command, ...encodeCanonical(params)]);
}

/** The CBOR map after a reply's OK status byte. */
export function replyMap(reply: Uint8Array): Map<CborKey, CborValue> {
  if (reply[0] !== 0) throw new Error(`expected CTAP2_OK, got status 0x${reply[0]?.toString(16)}`);
  return decodeCanonical(reply.subarray(1)) as Map<CborKey, CborValue>;
}
