import type { EnrollSampleStatusCode } from '../../proto/ctap2/bio-enrollment.js';
import { MAX_DISCOVERABLE_CREDENTIALS } from '../../proto/limits.js';
import type { DeviceContext } from '../band-device.js';
import type { FlashStore } from '../flash-store.js';
import type { Signing } from './p256-key.js';

/**
 * Why the authenticator asks for a tap. `selection` covers authenticatorSelection and the CTAP 2.0 style
 * zero-length pinUvAuthParam probe, where a platform only wants to learn which of several authenticators the user
 * touched.
 */
export type UserPresencePurpose =
  | 'makeCredential'
  | 'getAssertion'
  | 'reset'
  | 'credentialManagement'
  | 'pin'
  | 'selection'
  | 'u2fRegister'
  | 'u2fAuthenticate';

export interface UserPresenceRequest {
  rpId?: string;
  purpose: UserPresencePurpose;
}

/**
 * The band's answer when nobody confirmed presence in time: a `Ctap2Env.userPresence` implementation rejects with it
 * where the spec has a code for a timeout (authenticatorReset -> CTAP2_ERR_USER_ACTION_TIMEOUT).
 */
export class UserPresenceTimeoutError extends Error {
  override readonly name = 'UserPresenceTimeoutError';
}

/** Everything the authenticator takes from the band, injected so tests are deterministic (OpenSK's Env idea). */
export interface Ctap2Env {
  /** Keep ALL persistent FIDO2 state under keys starting with 'fido2/'. */
  store: FlashStore;
  /** Every random value (key generation, nonces, IVs, tokens) comes from here. */
  random(n: number): Uint8Array;
  /**
   * How credentials sign: 'rfc6979' (deterministic, the default) when every output must follow from a seed,
   * 'system' (node:crypto) otherwise. Asked at each use: a band's randomness can be reseeded.
   */
  signing?(): Signing;
  /** Milliseconds, monotonic enough for the 10 s reset window and token lifetimes. */
  now(): number;
  /**
   * The band decides user presence (tap, or auto-presence on rigs). Resolve true for presence, false for a denial
   * or timeout (-> CTAP2_ERR_OPERATION_DENIED). Reject with a UserPresenceTimeoutError to report a timeout
   * distinctly where the spec has a code for it (reset -> CTAP2_ERR_USER_ACTION_TIMEOUT). Must honour ctx.signal;
   * an aborted signal (CTAPHID_CANCEL) yields CTAP2_ERR_KEEPALIVE_CANCEL.
   */
  userPresence(request: UserPresenceRequest, ctx: DeviceContext): Promise<boolean>;
  /** Built-in user verification: true while the band is authenticated on the wrist (fingerprint + liveness). */
  userVerified(): boolean;
  /** False when the band holds no enrolled user (wiped). */
  userEnrolled(): boolean;
  /** The fingerprint sensor behind built-in UV, for authenticatorBioEnrollment; absent: no bio enrollment. */
  bio?: BioSensor;
  /**
   * The band's 16-byte hardware identity (the device ID the enterprise directory registers). With it the
   * authenticator is enterprise attestation capable (CTAP 2.1 §7.1: getInfo `ep`) and its enterprise attestation
   * certificate names this ID; absent: no enterprise attestation.
   */
  deviceId?(): Uint8Array;
}

/** The enrolled fingerprint template as authenticatorBioEnrollment names it (CTAP 2.1 §6.7). */
export interface BioTemplate {
  templateId: Uint8Array;
  friendlyName: string;
}

/** How the wait for one enrollment sample ended (CTAP 2.1 §6.7.4-5). */
export type BioSampleOutcome =
  | { kind: 'sample'; status: EnrollSampleStatusCode; remaining: number }
  /** No sample within the timeout: CTAP2_ERR_USER_ACTION_TIMEOUT, and the enrollment is over. */
  | { kind: 'timeout' }
  /** CTAPHID CANCEL: CTAP2_ERR_KEEPALIVE_CANCEL, and the enrollment is over. */
  | { kind: 'cancelled' }
  /** The authenticator ended the enrollment itself (e.g. the wearer took the band off): CTAP2_ERR_OPERATION_DENIED. */
  | { kind: 'ended' };

/**
 * The band's sensor and its one template. The band decides what a name may be, who may be enrolled and which
 * template may be removed; refusals are typed answers, not exceptions.
 */
export interface BioSensor {
  /** Good touches one enrollment takes: getFingerprintSensorInfo's maxCaptureSamplesRequiredForEnroll. */
  readonly samplesRequired: number;
  /** The longest friendly name in bytes: maxTemplateFriendlyName. */
  readonly maxFriendlyNameBytes: number;
  /** The enrolled template, or undefined when no user is enrolled. */
  enrollment(): BioTemplate | undefined;
  /** Renames the enrolled template; returns the name as stored, or why it was refused. */
  rename(name: string): { ok: true; name: string } | { ok: false; problem: 'length' | 'undrawable'; detail: string };
  /** A sample wait without timeoutMilliseconds lasts this long; a longer one asked for is cut to the maximum. */
  readonly sampleTimeoutMs: { default: number; max: number };
  /** enrollBegin: starts an enrollment whose template ID is known at once ('full': the template store is full). */
  beginEnrollment(): { ok: true; templateId: Uint8Array } | { ok: false; problem: 'full' | 'denied'; detail: string };
  /** The template ID of the enrollment in progress, or undefined when none is. */
  enrollingTemplateId(): Uint8Array | undefined;
  /**
   * Waits up to `timeoutMs` for one sample of the enrollment in progress, sending KEEPALIVE(UPNEEDED) meanwhile;
   * must honour ctx.signal. The last good sample stores the template before it resolves.
   */
  nextSample(ctx: DeviceContext, timeoutMs: number): Promise<BioSampleOutcome>;
  /** cancelCurrentEnrollment: false when no enrollment is in progress. */
  cancelEnrollment(): boolean;
  /** removeEnrollment of the enrolled template, or why the authenticator keeps it. */
  removeEnrollment(): { ok: true } | { ok: false; detail: string };
}

export interface Ctap2Config {
  /** 16 bytes, reported in getInfo and in attested credential data. */
  aaguid: Uint8Array;
  /** getInfo firmwareVersion (0x0E). */
  firmwareVersion: number;
  /** How many discoverable credentials fit in flash; default proto's MAX_DISCOVERABLE_CREDENTIALS. */
  maxResidentCredentials?: number;
  /** getInfo transports (0x09); default ['usb']. */
  transports?: string[];
  /** What makeCredential's packed statement proves; default 'batch'. See {@link AttestationMode}. */
  attestation?: AttestationMode;
}

/**
 * 'batch': signed by the batch attestation key, `x5c` = [batch certificate] under the model's root CA (WebAuthn
 * §8.2 "Basic"), what relying parties that check the model or its AAGUID need. 'self': signed by the credential's
 * own key, no `x5c`, for rigs that want the band to reveal nothing about its model (WebAuthn §6.5.3 "Self").
 */
export type AttestationMode = 'self' | 'batch';
/** Every {@link AttestationMode}, for option parsers. */
export const ATTESTATION_MODES: readonly AttestationMode[] = ['self', 'batch'];

export interface ResolvedConfig {
  aaguid: Uint8Array;
  firmwareVersion: number;
  maxResidentCredentials: number;
  transports: readonly string[];
  attestation: AttestationMode;
}

const DEFAULT_TRANSPORTS: readonly string[] = Object.freeze(['usb']);

/**
 * The authenticator's own copy of the AAGUID, shared with the authenticator made before it when the AAGUID is the
 * same (a fleet holds a thousand bands of one model; one entry keeps this bounded). A copy, so a caller changing its
 * array later changes nothing; shared, because the authenticator only ever reads it (getInfo, attested credential
 * data, the attestation certificate).
 */
let lastAaguid: Uint8Array | undefined;

function modelAaguid(aaguid: Uint8Array): Uint8Array {
  if (lastAaguid === undefined || !lastAaguid.every((byte, i) => byte === aaguid[i]))
    lastAaguid = new Uint8Array(aaguid);
  return lastAaguid;
}

export function resolveConfig(config: Ctap2Config): ResolvedConfig {
  if (!(config.aaguid instanceof Uint8Array) || config.aaguid.length !== 16) {
    throw new TypeError(
      `Ctap2Config.aaguid must be 16 bytes; got ${config.aaguid?.length ?? 'nothing'}. Pass the band model's AAGUID.`,
    );
  }
  if (!Number.isSafeInteger(config.firmwareVersion) || config.firmwareVersion < 0) {
    throw new TypeError(`Ctap2Config.firmwareVersion must be a non-negative integer; got ${config.firmwareVersion}.`);
  }
  const maxResidentCredentials = config.maxResidentCredentials ?? MAX_DISCOVERABLE_CREDENTIALS;
  if (!Number.isSafeInteger(maxResidentCredentials) || maxResidentCredentials < 1) {
    throw new TypeError(
      `Ctap2Config.maxResidentCredentials must be a positive integer; got ${maxResidentCredentials}.`,
    );
  }
  const attestation = config.attestation ?? 'batch';
  if (!ATTESTATION_MODES.includes(attestation)) {
    throw new TypeError(`Ctap2Config.attestation must be 'self' or 'batch'; got ${JSON.stringify(attestation)}.`);
  }
  return {
    attestation,
    aaguid: modelAaguid(config.aaguid),
    firmwareVersion: config.firmwareVersion,
    maxResidentCredentials,
    transports: config.transports ?? DEFAULT_TRANSPORTS,
  };
}
