import { randomBytes as nodeRandomBytes } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { FileLockOptions } from '../directory/file-lock.js';
import { SerialQueue } from '../directory/serial-queue.js';
import { isSerialNumber } from '../../proto/index.js';
import {
  attestationPolicy,
  checkAttestation,
  type AttestationPolicy,
  type AttestationRequirement,
  type AttestedRegistration,
} from './attestation-policy.js';
import {
  authenticationOptions,
  registrationConstants,
  registrationOptions,
  type RegistrationConstants,
} from './ceremony-options.js';
import { RelyingPartyError } from './errors.js';
import { RegistrationVerificationError, rpIdHash, verifyRegistration } from './registration-verification.js';
import type { RelyingPartyState, RelyingPartyUserRecord } from './relying-party-state.js';
import { FileRelyingPartyStore, MemoryRelyingPartyStore, type RelyingPartyStore } from './relying-party-store.js';
import type {
  RegisteredCredential,
  RelyingParty,
  StartAuthenticationOptions,
  StartRegistrationOptions,
} from './relying-party.js';

/** ES256 only: what the band's CTAP2 engine (P-256) produces, and what its packed attestation is checked with. */
export const SUPPORTED_ALGORITHM_IDS = [-7];

/** Who the relying party is (id, origin, name), where it keeps its credentials, and its injected clock and randomness. */
export interface WebAuthnRelyingPartyOptions {
  /** RP ID, a domain such as `login.example.com`. */
  id: string;
  /** Expected clientDataJSON origin, e.g. `https://login.example.com`. */
  origin: string;
  name?: string;
  /** Challenge and user-handle bytes. Tests pass a seeded source. */
  randomBytes?: (length: number) => Uint8Array;
  /** Time for ceremony expiry and the credentials' dates (default: the system clock). */
  clock?: () => Date;
  /**
   * Default false: the band gates every use by its own wrist authentication (fingerprint and ECG), and a CTAP2
   * client talking to it may not ask for UV, so requiring the UV flag would refuse a legitimate band. A deployment
   * whose clients always request UV can turn it on. User presence is always required.
   */
  requireUserVerification?: boolean;
  /** How long a started ceremony may be finished; default 2 minutes (a fingerprint capture takes a while). */
  ceremonyTimeoutMs?: number;
  /**
   * Persist users and credentials to this JSON file, which several processes may share: every change is made under
   * the file's lock (`FILE.lock`) on a fresh read and replaces the file atomically (mode 0600), keeping the previous
   * file as `FILE.bak`. Memory only when omitted.
   */
  statePath?: string;
  /** The lock that serialises writers of `statePath` across processes (as `FileDirectoryOptions.lock`). */
  lock?: FileLockOptions;
  /**
   * Require attestation from listed authenticator models (AAGUIDs) and/or trusted root certificates; a registration
   * that does not meet it fails with code `ATTESTATION_REFUSED` and `attestationRefusal` saying why. Omitted: any
   * verified attestation is accepted, `none` and self included. The band model's root:
   * `bandsim --attestation-root-out FILE`.
   */
  attestation?: AttestationRequirement;
}

interface PendingCeremony {
  challenge: string;
  expiresAt: number;
  /** Registration: the band the credential will live on. */
  bandSerial?: string;
  /** Authentication: the credential IDs offered. */
  allowed?: string[];
}

/** A verified registration, whichever verifier it went through. */
type AttestedRegistrationResult = Omit<AttestedRegistration, 'bandSerial'> & {
  /** base64url, from the signed authenticator data. */
  credentialId: string;
  /** COSE_Key bytes. */
  publicKey: Uint8Array;
  counter: number;
};

/** An AAGUID as @simplewebauthn/server writes it: lower-case hex, 8-4-4-4-12. */
function aaguidText(aaguid: Uint8Array): string {
  const hex = Buffer.from(aaguid).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const CHALLENGE_BYTES = 32;
const USER_HANDLE_BYTES = 16;

/**
 * `@simplewebauthn/server`, an optional peer dependency: loaded the first time a ceremony needs it, so a host
 * application that brings its own relying party never installs it.
 */
let server: Promise<typeof import('@simplewebauthn/server')> | undefined;
function webauthnServer(): Promise<typeof import('@simplewebauthn/server')> {
  server ??= import('@simplewebauthn/server').catch((error: unknown) => {
    server = undefined;
    throw new RelyingPartyError(
      'MISSING_DEPENDENCY',
      `WebAuthnRelyingParty verifies with @simplewebauthn/server, which could not be loaded (see error.cause); ` +
        `run 'npm install @simplewebauthn/server', or implement RelyingParty with your own server.`,
      { cause: error },
    );
  });
  return server;
}

/**
 * Fails as `webauthnServer` would when the library is not installed, without loading it: resolving the package
 * (through any resolve hooks, as an import would) costs a file lookup, loading it tens of megabytes.
 */
async function requireWebauthnServer(): Promise<void> {
  if (server !== undefined) {
    await server;
    return;
  }
  try {
    import.meta.resolve('@simplewebauthn/server');
  } catch {
    // The import reports it, with the loader's own error as the cause.
    await webauthnServer();
  }
}

/**
 * The embedded relying party: registrations of the band's formats verified by `verifyRegistration` (WebAuthn §7.1
 * with node:crypto), everything else and authentication by @simplewebauthn/server, plus a small credential store.
 */
export class WebAuthnRelyingParty implements RelyingParty {
  readonly id: string;
  readonly origin: string;
  readonly name: string;
  readonly #random: (length: number) => Uint8Array;
  readonly #clock: () => Date;
  readonly #requireUV: boolean;
  readonly #timeoutMs: number;
  readonly #store: RelyingPartyStore;
  readonly #attestation: AttestationPolicy | undefined;
  readonly #rpIdHash: Uint8Array;
  /** The frozen parts every creation options object of this relying party shares (ceremony-options.ts). */
  readonly #creation: RegistrationConstants;
  readonly #queue = new SerialQueue();
  readonly #registrations = new Map<string, PendingCeremony>();
  readonly #authentications = new Map<string, PendingCeremony>();

  constructor(options: WebAuthnRelyingPartyOptions) {
    if (!options.id || !options.origin) {
      throw new RelyingPartyError(
        'INVALID_ARGUMENT',
        'Expected a relying party id (domain) and origin (https URL); pass both.',
      );
    }
    this.id = options.id;
    this.origin = options.origin;
    this.name = options.name ?? options.id;
    this.#random = options.randomBytes ?? ((n) => new Uint8Array(nodeRandomBytes(n)));
    this.#clock = options.clock ?? (() => new Date());
    this.#requireUV = options.requireUserVerification ?? false;
    this.#timeoutMs = options.ceremonyTimeoutMs ?? 120_000;
    this.#store =
      options.statePath === undefined
        ? new MemoryRelyingPartyStore()
        : new FileRelyingPartyStore(options.statePath, options.id, options.lock);
    this.#attestation = options.attestation === undefined ? undefined : attestationPolicy(options.attestation);
    this.#rpIdHash = rpIdHash(this.id);
    this.#creation = registrationConstants(this.#creationConstantsInput());
  }

  #creationConstantsInput() {
    return {
      rpName: this.name,
      rpID: this.id,
      authenticatorAttachment: 'cross-platform',
      userVerification: this.#requireUV ? 'required' : 'preferred',
      algorithms: SUPPORTED_ALGORITHM_IDS,
    } as const;
  }

  startRegistration(
    userName: string,
    options: StartRegistrationOptions,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return this.#queue.run(async () => {
      requireUserName(userName);
      if (!isSerialNumber(options?.bandSerial)) {
        throw new RelyingPartyError(
          'INVALID_ARGUMENT',
          `Expected the serial number of the band the key will be created on (e.g. ACAK-00056), got ` +
            `${JSON.stringify(options?.bandSerial)}.`,
        );
      }
      // Checked first: without it nothing is written, not even the user handle. Only checked, not loaded: the
      // band's formats are verified without it, but which format comes back is not known until the finish.
      await requireWebauthnServer();
      // The user handle is fixed once, in the file, so every process registering this user uses the same one.
      const user = await this.#store.change((state) => {
        const existing = state.users.get(userName);
        if (existing) return { changed: false, result: existing };
        const record: RelyingPartyUserRecord = {
          handle: Buffer.from(this.#bytes(USER_HANDLE_BYTES)).toString('base64url'),
          credentials: [],
        };
        state.users.set(userName, record);
        return { changed: true, result: record };
      });
      const creation = registrationOptions(
        {
          ...this.#creationConstantsInput(),
          userName,
          // Stored as unpadded base64url, what the options carry: the same string, not a decode and re-encode.
          userID: user.handle,
          userDisplayName: options.displayName ?? userName,
          challenge: this.#bytes(CHALLENGE_BYTES),
          timeout: this.#timeoutMs,
          attestation: this.#attestation?.enterprise ? 'enterprise' : 'direct',
          excludeCredentials: user.credentials
            .filter((c) => c.retired === undefined)
            .map((c) => ({ id: c.id, transports: c.transports })),
        },
        this.#creation,
      );
      this.#registrations.set(userName, {
        challenge: creation.challenge,
        expiresAt: this.#nowMs() + this.#timeoutMs,
        bandSerial: options.bandSerial,
      });
      return creation;
    });
  }

  finishRegistration(userName: string, response: RegistrationResponseJSON): Promise<RegisteredCredential> {
    return this.#queue.run(async () => {
      const pending = this.#take(this.#registrations, userName, 'registration');
      const registration = await this.#verifyRegistration(userName, pending, response);
      // The ID is taken from the signed authenticator data; the unsigned JSON `id` must agree with it.
      if (registration.credentialId !== response.id) {
        throw verificationFailed(
          'registration',
          userName,
          new Error(
            `the response id ${response.id} is not the credential ID ${registration.credentialId} in the authenticator data`,
          ),
        );
      }

      let attestedDeviceId: string | undefined;
      if (this.#attestation !== undefined) {
        const bandSerial = pending.bandSerial as string;
        ({ attestedDeviceId } = await checkAttestation(
          this.#attestation,
          { ...registration, bandSerial },
          userName,
          this.#clock(),
        ));
      }

      const credentialId = registration.credentialId;
      const stored: RegisteredCredential = {
        id: credentialId,
        userName,
        bandSerial: pending.bandSerial as string,
        publicKey: Buffer.from(registration.publicKey).toString('base64url'),
        counter: registration.counter,
        transports: [...(response.response.transports ?? [])],
        created: this.#clock().toISOString(),
        ...(attestedDeviceId === undefined ? {} : { attestedDeviceId }),
      };
      await this.#store.change((state) => {
        const owner = state.owners.get(credentialId);
        if (owner !== undefined) {
          throw new RelyingPartyError(
            'DUPLICATE_CREDENTIAL',
            `Credential ${credentialId} is already registered${owner === userName ? '' : ' to another user'}; ` +
              `create a new credential on the band instead of re-sending an old response.`,
          );
        }
        state.owners.set(credentialId, userName);
        this.#userRecord(state, userName).credentials.push(stored);
        return { changed: true, result: undefined };
      });
      return { ...stored, transports: [...stored.transports] };
    });
  }

  startAuthentication(
    userName: string,
    options: StartAuthenticationOptions = {},
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.#queue.run(async () => {
      requireUserName(userName);
      const state = await this.#store.read();
      const usable = (state.users.get(userName)?.credentials ?? []).filter(
        (c) => c.retired === undefined && (options.bandSerial === undefined || c.bandSerial === options.bandSerial),
      );
      if (usable.length === 0) {
        const where = options.bandSerial ? ` on band ${options.bandSerial}` : '';
        throw new RelyingPartyError(
          'NO_CREDENTIALS',
          `User ${userName} has no active credential${where} at ${this.id}; register one first.`,
        );
      }
      // As for registration: verifying the assertion needs the library, so a missing one is reported now.
      await requireWebauthnServer();
      const request = authenticationOptions({
        rpID: this.id,
        challenge: this.#bytes(CHALLENGE_BYTES),
        timeout: this.#timeoutMs,
        allowCredentials: usable.map((c) => ({ id: c.id, transports: c.transports })),
        userVerification: this.#requireUV ? 'required' : 'preferred',
      });
      this.#authentications.set(userName, {
        challenge: request.challenge,
        expiresAt: this.#nowMs() + this.#timeoutMs,
        allowed: usable.map((c) => c.id),
      });
      return request;
    });
  }

  finishAuthentication(userName: string, response: AuthenticationResponseJSON): Promise<RegisteredCredential> {
    return this.#queue.run(async () => {
      const pending = this.#take(this.#authentications, userName, 'authentication');
      const { user, stored } = this.#usableCredential(await this.#store.read(), userName, response?.id);
      if (!pending.allowed?.includes(stored.id)) {
        throw new RelyingPartyError(
          'UNKNOWN_CREDENTIAL',
          `Credential ${stored.id} was not offered in this authentication ceremony; start a new one for that band.`,
        );
      }
      const userHandle = response.response?.userHandle;
      if (userHandle !== undefined && userHandle !== user.handle) {
        throw verificationFailed('authentication', userName, new Error('the userHandle does not match the user'));
      }

      const { verifyAuthenticationResponse } = await webauthnServer();
      let verification;
      try {
        verification = await verifyAuthenticationResponse({
          response,
          expectedChallenge: pending.challenge,
          expectedOrigin: this.origin,
          expectedRPID: this.id,
          // Counter 0 turns off the library's check, which runs before the signature is verified; ours runs after,
          // so a counter is only trusted once it is known to be signed.
          credential: {
            id: stored.id,
            publicKey: Uint8Array.from(Buffer.from(stored.publicKey, 'base64url')),
            counter: 0,
          },
          requireUserVerification: this.#requireUV,
        });
      } catch (cause) {
        throw verificationFailed('authentication', userName, cause);
      }
      if (!verification.verified) throw verificationFailed('authentication', userName, undefined);

      const { newCounter } = verification.authenticationInfo;
      // Checked again on a fresh read under the lock: another process may have retired the credential or seen a
      // later counter while this one verified.
      return this.#store.change((state) => {
        const current = this.#usableCredential(state, userName, stored.id).stored;
        // A band that does not count reports 0 forever; once a counter is non-zero it must strictly increase,
        // otherwise the key may have been cloned.
        if ((newCounter > 0 || current.counter > 0) && newCounter <= current.counter) {
          throw new RelyingPartyError(
            'COUNTER_REGRESSION',
            `Credential ${current.id} (on band ${current.bandSerial}) signed with counter ${newCounter}, but ` +
              `${current.counter} was already seen; expected a larger value. The key may be cloned: retire it and ` +
              `re-create it.`,
          );
        }
        current.counter = newCounter;
        current.lastUsed = this.#clock().toISOString();
        return { changed: true, result: { ...current, transports: [...current.transports] } };
      });
    });
  }

  credentials(userName: string): Promise<RegisteredCredential[]> {
    return this.#queue.run(async () => {
      const state = await this.#store.read();
      return (state.users.get(userName)?.credentials ?? []).map((c) => ({ ...c, transports: [...c.transports] }));
    });
  }

  retireCredential(userName: string, credentialId: string): Promise<RegisteredCredential> {
    return this.#queue.run(() =>
      this.#store.change((state) => {
        const stored = state.users.get(userName)?.credentials.find((c) => c.id === credentialId);
        if (!stored) {
          throw new RelyingPartyError(
            'UNKNOWN_CREDENTIAL',
            `Credential ${JSON.stringify(credentialId)} is not registered to ${userName} at ${this.id}; list the ` +
              `user's credentials to find the one on the old band.`,
          );
        }
        const changed = stored.retired === undefined;
        if (changed) stored.retired = this.#clock().toISOString();
        return { changed, result: { ...stored, transports: [...stored.transports] } };
      }),
    );
  }

  /**
   * WebAuthn §7.1 for the formats the band produces (packed, none) by our own verifier; any other format or
   * attestation algorithm by @simplewebauthn/server, as before. Either way the same facts come out.
   */
  async #verifyRegistration(
    userName: string,
    pending: PendingCeremony,
    response: RegistrationResponseJSON,
  ): Promise<AttestedRegistrationResult> {
    try {
      const verified = verifyRegistration(response, {
        challenge: pending.challenge,
        origin: this.origin,
        rpIdHash: this.#rpIdHash,
        requireUserVerification: this.#requireUV,
        algorithms: SUPPORTED_ALGORITHM_IDS,
        now: this.#clock(),
      });
      if (verified !== undefined) {
        return {
          fmt: verified.fmt,
          aaguid: aaguidText(verified.aaguid),
          credentialId: Buffer.from(verified.credentialId).toString('base64url'),
          publicKey: verified.publicKey,
          counter: verified.counter,
          x5c: verified.attestation?.x5c,
          ...(verified.attestation === undefined
            ? {}
            : { leaf: verified.attestation.leaf, leafFacts: verified.attestation.facts }),
        };
      }
    } catch (cause) {
      if (cause instanceof RegistrationVerificationError) throw verificationFailed('registration', userName, cause);
      throw cause;
    }
    const { verifyRegistrationResponse } = await webauthnServer();
    let verification;
    try {
      verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: pending.challenge,
        expectedOrigin: this.origin,
        expectedRPID: this.id,
        requireUserPresence: true,
        requireUserVerification: this.#requireUV,
        supportedAlgorithmIDs: SUPPORTED_ALGORITHM_IDS,
      });
    } catch (cause) {
      throw verificationFailed('registration', userName, cause);
    }
    if (!verification.verified) throw verificationFailed('registration', userName, undefined);
    const { fmt, aaguid, credential, attestationObject } = verification.registrationInfo;
    const { decodeAttestationObject } = await import('@simplewebauthn/server/helpers');
    return {
      fmt,
      aaguid,
      credentialId: credential.id,
      publicKey: credential.publicKey,
      counter: credential.counter,
      x5c: decodeAttestationObject(attestationObject).get('attStmt').get('x5c'),
    };
  }

  #take(pendings: Map<string, PendingCeremony>, userName: string, kind: string): PendingCeremony {
    const pending = pendings.get(userName);
    // One attempt per challenge: a failed finish cannot be retried with a doctored response.
    pendings.delete(userName);
    if (!pending) {
      throw new RelyingPartyError(
        'NO_PENDING_CEREMONY',
        `No ${kind} is in progress for ${userName} at ${this.id}; call start${kind === 'registration' ? 'Registration' : 'Authentication'} first.`,
      );
    }
    if (this.#nowMs() > pending.expiresAt) {
      throw new RelyingPartyError(
        'CEREMONY_EXPIRED',
        `The ${kind} for ${userName} at ${this.id} expired ${this.#nowMs() - pending.expiresAt} ms ago; start it again.`,
      );
    }
    return pending;
  }

  #userRecord(state: RelyingPartyState, userName: string): RelyingPartyUserRecord {
    let record = state.users.get(userName);
    if (!record) {
      record = { handle: Buffer.from(this.#bytes(USER_HANDLE_BYTES)).toString('base64url'), credentials: [] };
      state.users.set(userName, record);
    }
    return record;
  }

  /** The user's registered, unretired credential `credentialId`, or the refusal saying why it is not usable. */
  #usableCredential(state: RelyingPartyState, userName: string, credentialId: string | undefined) {
    const user = state.users.get(userName);
    const stored = user?.credentials.find((c) => c.id === credentialId);
    if (!user || !stored) {
      throw new RelyingPartyError(
        'UNKNOWN_CREDENTIAL',
        `Credential ${JSON.stringify(credentialId)} is not registered to ${userName} at ${this.id}; ` +
          `use a credential registered to this user, or register one.`,
      );
    }
    if (stored.retired !== undefined) {
      throw new RelyingPartyError(
        'RETIRED_CREDENTIAL',
        `Credential ${stored.id} (on band ${stored.bandSerial}) was retired at ${stored.retired} after the key was ` +
          `re-created on another band; authenticate with the band the user is enrolled to now.`,
      );
    }
    return { user, stored };
  }

  #bytes(length: number): Uint8Array<ArrayBuffer> {
    const bytes = this.#random(length);
    if (!(bytes instanceof Uint8Array) || bytes.length !== length) {
      throw new RelyingPartyError(
        'INVALID_ARGUMENT',
        `Expected the random source to return ${length} bytes; fix the injected randomBytes.`,
      );
    }
    return Uint8Array.from(bytes);
  }

  #nowMs(): number {
    return this.#clock().getTime();
  }
}

function requireUserName(userName: string): void {
  if (typeof userName !== 'string' || userName.length === 0) {
    throw new RelyingPartyError('INVALID_ARGUMENT', `Expected a non-empty user name, got ${JSON.stringify(userName)}.`);
  }
}

function verificationFailed(kind: string, userName: string, cause: unknown): RelyingPartyError {
  const why = cause instanceof Error ? cause.message : 'the library reported it unverified';
  return new RelyingPartyError(
    'VERIFICATION_FAILED',
    `The ${kind} response for ${userName} did not verify (${why}); expected a response to this ceremony's ` +
      `challenge from origin and RP ID of this relying party. Start the ceremony again.`,
    { cause },
  );
}
