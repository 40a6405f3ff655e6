import { MAX_DISCOVERABLE_CREDENTIALS, MAX_LABEL_CHARS, resolveLabel, type FidoCredential } from '../proto/index.js';
import { MAX_UNIT_PAYLOAD } from '../transport/index.js';
import type { Band } from './band.js';
import type { Clock } from './clock.js';
import {
  ATTESTATION_MODEL,
  Ctap2Authenticator,
  modelAttestationRoot,
  StoreKeys,
  type AttestationMode,
} from './ctap2/index.js';
import { decodeResidentCredential } from './ctap2/resident-credential.js';
import type { BioSampleOutcome, BioSensor, BioTemplate, Ctap2Env, UserPresenceRequest } from './ctap2/env.js';
import type { Signing } from './ctap2/p256-key.js';
import type { DeviceContext } from './band-device.js';
import type { SampleOutcome, SampleVerdict } from './enrollment-session.js';
import { EnrollSampleStatus } from '../proto/ctap2/bio-enrollment.js';
import type { FlashStore } from './flash-store.js';
import { Rules } from './rules.js';
import { templateIdOf } from './template.js';
import { Keys } from './user-data.js';

/** The band model's AAGUID: first 16 bytes of SHA-256("band-stack bandsim"), fixed for the model as a real one is. */
export const BAND_AAGUID = Uint8Array.from(Buffer.from('bbaf4d27b2d0d7369e34164abb7a9d65', 'hex'));

/**
 * The DER root CA certificate of the emulated band model with this AAGUID: what a relying party trusts to accept
 * the band's batch attestation (`bandsim --attestation-root-out FILE` writes it as PEM).
 */
export function bandAttestationRoot(aaguid: Uint8Array = BAND_AAGUID): Uint8Array {
  return modelAttestationRoot({ aaguid, model: ATTESTATION_MODEL }).certificate;
}

/** The CTAP2 authenticator the band hosts, seeing the band only through its Ctap2Env. */
export function fido2Authenticator(
  band: Band,
  clock: Clock,
  config: { aaguid: Uint8Array; firmwareVersion: string; attestation?: AttestationMode },
): Ctap2Authenticator {
  return new Ctap2Authenticator(new BandCtap2Env(band, clock), {
    aaguid: config.aaguid,
    firmwareVersion: numericVersion(config.firmwareVersion),
    // How many discoverable credentials the band's flash holds: proto's limit, also band.proto's list maximum.
    maxResidentCredentials: MAX_DISCOVERABLE_CREDENTIALS,
    attestation: config.attestation,
  });
}

/**
 * The band as its authenticator's Ctap2Env. A class, not an object of arrow functions: a fleet holds a thousand
 * bands in one process, and fourteen closures (and their contexts) a band were a measurable part of its live heap.
 */
class BandCtap2Env implements Ctap2Env {
  readonly bio: BioSensor;

  constructor(
    private readonly band: Band,
    private readonly clock: Clock,
  ) {
    this.bio = new BandSensor(band);
  }

  get store(): FlashStore {
    return this.band.store;
  }
  random(n: number): Uint8Array {
    return this.band.random.bytes(n);
  }
  now(): number {
    return this.clock.now();
  }
  signing(): Signing {
    return this.band.random.seeded ? 'rfc6979' : 'system';
  }
  userPresence(request: UserPresenceRequest, ctx: DeviceContext): Promise<boolean> {
    return this.band.presence.wait(ctx, request);
  }
  userVerified(): boolean {
    return this.band.userVerified;
  }
  userEnrolled(): boolean {
    return this.band.enrolled;
  }
  deviceId(): Uint8Array {
    return this.band.deviceId;
  }
}

/** What the band's capture pipeline says of a sample, in CTAP 2.1 §6.7.3's terms (lastEnrollSampleStatus). */
const SAMPLE_STATUS: Record<SampleVerdict, (typeof EnrollSampleStatus)[keyof typeof EnrollSampleStatus]> = {
  good: EnrollSampleStatus.CTAP2_ENROLL_FEEDBACK_FP_GOOD,
  'poor-quality': EnrollSampleStatus.CTAP2_ENROLL_FEEDBACK_FP_POOR_QUALITY,
  // A finger other than the first good one cannot join the template being built.
  'other-finger': EnrollSampleStatus.CTAP2_ENROLL_FEEDBACK_FP_MERGE_FAILURE,
};

/** The band model's sample timeouts: one frozen object for every band. */
const SAMPLE_TIMEOUT_MS = Object.freeze({
  default: Rules.CTAP_SAMPLE_TIMEOUT_MS,
  max: Rules.MAX_CTAP_SAMPLE_TIMEOUT_MS,
});

/**
 * The band's fingerprint sensor as authenticatorBioEnrollment sees it: the one template is the wearer's, and its
 * friendly name is the band's label (what the band shows), so renaming over CTAP is set_label. Enrolling over CTAP
 * runs the band's own capture (EnrollmentSession) and stores a local user (docs/band.md).
 */
class BandSensor implements BioSensor {
  constructor(private readonly band: Band) {}

  get sampleTimeoutMs(): { default: number; max: number } {
    return SAMPLE_TIMEOUT_MS;
  }
  get samplesRequired(): number {
    return Rules.TOUCHES_REQUIRED;
  }
  /** Labels are drawn in the display's ASCII font: characters are bytes. */
  get maxFriendlyNameBytes(): number {
    return MAX_LABEL_CHARS;
  }

  beginEnrollment(): { ok: true; templateId: Uint8Array } | { ok: false; problem: 'full' | 'denied'; detail: string } {
    const begun = this.band.enrollment.beginOverCtap();
    if ('refused' in begun)
      return { ok: false, problem: begun.refused === 'full' ? 'full' : 'denied', detail: begun.detail };
    return { ok: true, templateId: begun.templateId };
  }

  enrollingTemplateId(): Uint8Array | undefined {
    return this.band.enrollment.ctapTemplateId;
  }

  async nextSample(ctx: DeviceContext, timeoutMs: number): Promise<BioSampleOutcome> {
    const outcome: SampleOutcome = await this.band.enrollment.nextSample(ctx, timeoutMs);
    if (outcome.kind !== 'sample') return outcome;
    return { kind: 'sample', status: SAMPLE_STATUS[outcome.verdict], remaining: outcome.remaining };
  }

  cancelEnrollment(): boolean {
    return this.band.enrollment.cancelOverCtap();
  }

  removeEnrollment(): { ok: true } | { ok: false; detail: string } {
    const removed = this.band.enrollment.removeOverCtap();
    return removed.removed ? { ok: true } : { ok: false, detail: removed.detail };
  }

  enrollment(): BioTemplate | undefined {
    const band = this.band;
    const template = band.user ? band.read(Keys.template) : undefined;
    if (!band.user || !template) return undefined;
    return { templateId: templateIdOf(template), friendlyName: band.user.label };
  }

  rename(name: string): { ok: true; name: string } | { ok: false; problem: 'length' | 'undrawable'; detail: string } {
    const band = this.band;
    const user = band.user;
    if (!user) throw new Error('the authenticator renamed a template on a band without a user');
    if (name === '' || Buffer.byteLength(name) > MAX_LABEL_CHARS)
      return {
        ok: false,
        problem: 'length',
        detail: `a friendly name is 1 to ${MAX_LABEL_CHARS} bytes, got ${Buffer.byteLength(name)}`,
      };
    const label = resolveLabel(name, user.userName);
    if (!label.ok) return { ok: false, problem: 'undrawable', detail: label.problem };
    return { ok: true, name: band.enrollment.setLabel(label.label).label };
  }
}

/** CTAP getInfo wants an integer: "bandsim 1.2.3" is 10203. */
function numericVersion(version: string): number {
  const m = /(\d+)\.(\d+)\.(\d+)/.exec(version);
  return m ? Number(m[1]) * 10_000 + Number(m[2]) * 100 + Number(m[3]) : 0;
}

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

/**
 * The list_fido_credentials reply: newest first, every string whole (never shortened: a shortened rp_id would
 * name another relying party). All of them when they fit one BAND unit (7609 bytes), which typical credentials
 * do; otherwise the newest that fit, and the host sees fewer than GetState.fido_credential_count (band.proto).
 */
export function listedCredentials(all: FidoCredential[]): FidoCredential[] {
  // BandMessage{ request_id (tag + varint up to 5 bytes), list_fido_credentials (tag + length up to 2 bytes) }.
  let size = 1 + 5 + 1 + 2;
  const listed: FidoCredential[] = [];
  for (const c of all.slice(0, MAX_DISCOVERABLE_CREDENTIALS)) {
    const entry =
      field(Buffer.byteLength(c.rpId)) + field(c.credentialId.length) + field(Buffer.byteLength(c.userName));
    size += 1 + varintLength(entry) + entry;
    if (size > MAX_UNIT_PAYLOAD) break;
    listed.push(c);
  }
  return listed;
}

/** A proto3 length-delimited field of `length` bytes (tag < 16): omitted when empty. */
function field(length: number): number {
  return length === 0 ? 0 : 1 + varintLength(length) + length;
}

function varintLength(n: number): number {
  let bytes = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    bytes++;
  }
  return bytes;
}
