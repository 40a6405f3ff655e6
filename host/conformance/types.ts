import type { X509Certificate } from 'node:crypto';
import type { Capability, GetInfoResponse } from '../../proto/index.js';
import type { Transport } from '../../transport/index.js';
import type { BandClient } from '../band-client.js';
import type { UnitLog } from './unit-log.js';

/**
 * What a requirement needs beyond a band that answers: the debug link (the rig's hands and eyes), a FIDO2
 * authenticator on the CBOR command, raw access to the wire — CTAPHID reports (`hid`: USB HID, UDP) or
 * COBS/CRC frames (`framed`: serial, TCP, loopback) — or leave to delete the band's user data (`erase`: the
 * requirement wipes and enrolls the band; granted by `destructive`, or when the band holds no user data).
 */
export type Need = 'debug-link' | 'fido2' | 'hid' | 'framed' | 'erase';

/** Which wire the suite talks over, as far as raw access goes. */
export type LinkKind = 'hid' | 'framed' | 'other';

/** What the runner learnt about the band before running anything (one GetInfo on a probe link). */
export interface BandProfile {
  link: LinkKind;
  /** The GetInfo reply, when the band gave one (whatever its request_id). */
  info?: GetInfoResponse;
  /** Why there is no `info`. */
  infoProblem?: string;
  capabilities: ReadonlySet<Capability>;
  /**
   * Whose user data the band holds, from one GetState: `null` when it holds none (enrolled false, no FIDO2
   * credentials), undefined when GetState failed (then the band counts as holding some).
   */
  userData?: { userName: string; fidoCredentials: number } | null;
}

/** Raw CTAPHID report access (present on HID and UDP links). */
export interface HidAccess {
  /** The channel INIT allocated to this link. */
  readonly channel: number;
  writeReport(report: Uint8Array): Promise<void>;
  /** Every incoming report, whatever its channel. Returns an unsubscribe function. */
  onReport(listener: (report: Uint8Array) => void): () => void;
}

/** Raw byte access to a COBS/CRC framed link. */
export interface FramedAccess {
  writeBytes(bytes: Uint8Array): Promise<void>;
}

/** What a requirement's check is given: a fresh link to the band and ways to reach below the client. */
export interface ConformanceContext {
  readonly transport: Transport;
  /** A client on `transport` (not connected: GetInfo was sent raw when the link opened). */
  readonly band: BandClient;
  readonly profile: BandProfile;
  /** Every unit received on this link since it opened, in order. */
  readonly units: UnitLog;
  readonly hid?: HidAccess;
  readonly framed?: FramedAccess;
  /** Aborted when the requirement times out. */
  readonly signal: AbortSignal;
  /** Deadline for one exchange with the band. */
  readonly callTimeoutMs: number;
  /**
   * Root CA certificates the band's attestation chain must end at (`ConformanceOptions.attestationRoots`,
   * `bandctl conformance --attestation-root FILE`); empty: the chain is checked within x5c only.
   */
  readonly attestationRoots: readonly X509Certificate[];
}

export interface Requirement {
  /** Stable id: GROUP-NNN, e.g. FRAME-001. */
  id: string;
  /** What the band must do, in one line. */
  title: string;
  /** Where the requirement comes from, e.g. 'docs/protocol.md §Layer 1a' or 'CTAP 2.1 §11.2.9.1.3'. */
  source: string;
  needs: Need[];
  /** Overrides the runner's per-requirement timeout (slow checks: big PINGs over serial, lockout). */
  timeoutMs?: number;
  run(ctx: ConformanceContext): Promise<void>;
}

export type ResultStatus = 'pass' | 'fail' | 'skip';

export interface RequirementResult {
  id: string;
  title: string;
  source: string;
  status: ResultStatus;
  /** For a failure: what was expected and what came. For a skip: why. Empty for a pass. */
  detail: string;
  ms: number;
}

export interface ConformanceReport {
  passed: number;
  failed: number;
  skipped: number;
  /** The band as the probe saw it. */
  target: {
    link: LinkKind;
    serialNumber?: string;
    firmwareVersion?: string;
    capabilities: Capability[];
    /** The user whose data the band held when the run began (`null`: none; absent: unknown). */
    userName?: string | null;
  };
  /** Whether requirements that delete user data ran (`destructive`, or a band that held none). */
  erased: boolean;
  results: RequirementResult[];
}
