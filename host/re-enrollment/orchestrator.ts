import type { BandClient } from '../band-client.js';
import { causeLabel } from '../errors.js';
import { deleteUserData } from '../delete-user-data.js';
import {
  ChangedDuringRunError,
  applyReEnrollment,
  decideReEnrollment,
  associationOfBand,
  decisionBasis,
  type Directory,
  type Association,
  type DecisionBasis,
  type ReEnrollmentAllowed,
  type ReEnrollmentRequest,
} from '../directory/index.js';
import { enroll, type EnrollProgress } from '../enroll.js';
import type { RelyingParty } from '../relying-party/index.js';
import { registerKey } from '../register-key.js';
import type { UserInteraction } from '../user-interaction.js';
import { ReEnrollmentError, type ReEnrollmentStep } from './errors.js';
import { MemoryProgressStore, type ProgressStore, type ReEnrollmentJournal } from './progress-store.js';
import type { WebAuthnClient } from './webauthn-client.js';

/**
 * A progress event of `ReEnrollment.run`: each step `started`, then `done` or `skipped` (with a detail to show),
 * and during the enrollment every capture touch as `progress`.
 */
export type ReEnrollmentProgress =
  | { step: ReEnrollmentStep; status: 'started' | 'done' | 'skipped'; detail?: string }
  | { step: 'enroll'; status: 'progress'; enroll: EnrollProgress };

/** What a `ReEnrollment` works against: the enterprise directory, the relying parties, where it journals. */
export interface ReEnrollmentDependencies {
  directory: Directory;
  /** Every relying party the user may hold a FIDO2 key with; keys are re-created with those that have one. */
  relyingParties: RelyingParty[];
  /** Resume points between runs (default: in memory, for this process). */
  progress?: ProgressStore;
  /** Source of the journal's timestamps. */
  clock?: () => Date;
}

/** One re-enrollment: who, which band (connected), and the person to ask. */
export interface ReEnrollmentRun {
  userName: string;
  /** The serial number the user says they hold; the connected band must report it. */
  bandSerial: string;
  /** The band the user holds, connected. */
  band: BandClient;
  /** FIDO2 ceremonies on that band (default: CTAP2 over the same link, a `BandWebAuthn` on `band.fido2`). */
  authenticator?: WebAuthnClient;
  /** The person: told what to do, asked for the setup code. */
  user: UserInteraction;
  label?: string;
  hapticFeedback?: boolean;
  signal?: AbortSignal;
  /** Called at every step (started, done, skipped) and every fingerprint touch. */
  onProgress?: (progress: ReEnrollmentProgress) => void;
  /** Per-user-action time limit (default 120 000 ms for the wipe, 60 000 ms for each enrollment step). */
  userTimeoutMs?: number;
}

/** What a completed re-enrollment did: the decision, the committed directory row, keys re-created and retired. */
export interface ReEnrollmentResult {
  decision: ReEnrollmentAllowed;
  /** The user's row for the band, as committed. */
  association: Association;
  /** rpId -> new credential id (base64url). */
  recreated: Record<string, string>;
  /** Old credentials retired, as `rpId:credentialId`. */
  retired: string[];
  /** True when this run picked up a journal left by an earlier, failed run. */
  resumed: boolean;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/**
 * Self-service re-enrollment, the product document made executable:
 * policy check → delete user data (the user's physical action) → enrollment → FIDO2 key re-creation with
 * every relying party that knew the user's old key → one atomic directory update → old keys retired.
 *
 * A refusal touches nothing. Any other failure leaves the band, the relying parties and the directory in a
 * state the same call resumes from: the directory is written once, at the end, in one transaction; the
 * journal records what is done (band enrolled, keys re-created) so a repeated call skips it.
 */
export class ReEnrollment {
  private readonly progress: ProgressStore;
  private readonly clock: () => Date;

  constructor(private readonly deps: ReEnrollmentDependencies) {
    this.progress = deps.progress ?? new MemoryProgressStore();
    this.clock = deps.clock ?? (() => new Date());
  }

  /** Decides without touching anything: what a Band Application shows before asking the user to wipe. */
  async check(userName: string, bandSerial: string) {
    return decideReEnrollment(await this.deps.directory.snapshot(), userName, bandSerial);
  }

  /** Runs (or resumes) one re-enrollment; progress goes to `request.onProgress`. Throws ReEnrollmentError. */
  async run(request: ReEnrollmentRun): Promise<ReEnrollmentResult> {
    const { band, userName, bandSerial, signal } = request;
    const report = request.onProgress ?? ignoreProgress;
    let step: ReEnrollmentStep = 'connect';
    try {
      report({ step, status: 'started' });
      const { deviceId, seosEnabled } = await connected(band, bandSerial, signal, report);

      let journal = await this.progress.get(userName);
      if (journal && (journal.bandSerial !== bandSerial || journal.deviceId !== deviceId)) journal = undefined;
      const resumed = journal !== undefined;

      step = 'policy';
      report({ step, status: 'started' });
      const decided = await this.decide(userName, bandSerial, deviceId, journal);
      const { decision } = decided;
      // The commit re-checks what the decision rested on against this: as it was when the person was asked to wipe
      // the band (kept in the journal for a resumed run), or as it is now for a run that wipes the band itself.
      let basis = journal?.basis ?? decided.basis;
      report({ step, status: 'done', detail: describeDecision(decision) });

      if (!journal || journal.phase === 'enrolled') {
        const enrolledToUser = await enrolledTo(band, userName, signal);
        const stillEnrolled = journal !== undefined && enrolledToUser;
        if (stillEnrolled) {
          report({ step: 'delete-user-data', status: 'skipped', detail: 'done by an earlier run' });
          report({ step: 'enroll', status: 'skipped', detail: 'done by an earlier run' });
        } else {
          step = 'delete-user-data';
          report({ step, status: 'started' });
          const wiped = await deleteUserData(band, request.user, { signal, timeoutMs: request.userTimeoutMs });
          report({
            step,
            status: wiped === 'deleted' ? 'done' : 'skipped',
            detail: wiped === 'deleted' ? 'USER DATA DELETED' : 'the band held no user data',
          });

          step = 'enroll';
          report({ step, status: 'started' });
          const enrolled = await enroll(
            band,
            request.user,
            { userName, label: request.label, hapticFeedback: request.hapticFeedback },
            {
              signal,
              stepTimeoutMs: request.userTimeoutMs,
              onProgress: enrollProgress(report),
            },
          );
          report({ step, status: 'done', detail: `label ${enrolled.label}` });
          basis = decided.basis;
          // Keys made by an earlier run lived on the band before this wipe: they are gone.
          journal = frozenJournal({
            userName,
            bandSerial,
            deviceId,
            phase: 'enrolled',
            decision: { ...decision },
            basis,
            recreated: {},
            started: this.clock().toISOString(),
          });
          await this.progress.put(journal);
        }
      }
      journal = journal!;

      if (journal.phase === 'enrolled') {
        step = 'fido2';
        report({ step, status: 'started' });
        for (const rp of this.deps.relyingParties) {
          if (journal.recreated[rp.id]) {
            report({ step, status: 'skipped', detail: `${rp.id}: re-created by an earlier run` });
            continue;
          }
          // Any live key, on the old band or on this one before its wipe, means this relying party needs a new one.
          if (!(await rp.credentials(userName)).some((c) => !c.retired)) continue;
          // A resumed run may find the band rebooted or taken off: registerKey authenticates it first.
          const credential = await registerKey({
            band,
            relyingParty: rp,
            userName,
            user: request.user,
            signal,
            stepTimeoutMs: request.userTimeoutMs,
            authenticator: request.authenticator,
          });
          journal = frozenJournal({ ...journal, recreated: { ...journal.recreated, [rp.id]: credential.id } });
          await this.progress.put(journal);
          report({ step, status: 'done', detail: `${rp.id}: new key ${credential.id.slice(0, 16)}…` });
        }
        if (Object.keys(journal.recreated).length === 0)
          report({ step, status: 'skipped', detail: 'no relying party knew a key of this user' });

        step = 'directory';
        report({ step, status: 'started' });
        try {
          await this.#commit({
            userName,
            band: { serialNumber: bandSerial, deviceId, seosEnabled },
            expected: decision,
            basis,
          });
        } catch (error) {
          if (error instanceof ChangedDuringRunError) await this.abandon(journal, error);
          throw error;
        }
        journal = frozenJournal({ ...journal, phase: 'committed' });
        await this.progress.put(journal);
        report({ step, status: 'done' });
      }

      step = 'retire';
      report({ step, status: 'started' });
      const retired: string[] = [];
      for (const rp of this.deps.relyingParties) {
        const fresh = journal.recreated[rp.id];
        if (!fresh) continue;
        for (const credential of await rp.credentials(userName)) {
          if (credential.retired || credential.id === fresh) continue;
          await rp.retireCredential(userName, credential.id);
          retired.push(`${rp.id}:${credential.id}`);
        }
      }
      report({
        step,
        status: 'done',
        detail: retired.length ? `${retired.length} old key(s) retired` : 'nothing to retire',
      });
      await this.progress.delete(userName);

      const held = associationOfBand(await this.deps.directory.snapshot(), bandSerial);
      const association = held?.userName === userName ? held : undefined;
      if (!association)
        throw new Error(`the directory lost the association of ${bandSerial} with ${userName} after committing it`);
      return {
        decision: { ...decision },
        association: { ...association },
        recreated: { ...journal.recreated },
        retired,
        resumed,
      };
    } catch (error) {
      throw stopped(error, step, request);
    }
  }

  /**
   * The one directory transaction. A method of its own so the callback closes over `change` alone: a closure in
   * `run` would keep run's variables in a context for the whole run (1,000 runs wait for a tap at once).
   */
  async #commit(change: ReEnrollmentRequest): Promise<void> {
    await this.deps.directory.update((draft) => applyReEnrollment(draft, change));
  }

  /**
   * An administrator changed what the decision rested on while the run waited for the person: the directory keeps
   * that change. The keys this run created live on a band the directory did not give the user, so they are retired
   * (the user's old keys still work), and the resume point is dropped so a new run decides afresh.
   */
  private async abandon(journal: ReEnrollmentJournal, error: ChangedDuringRunError): Promise<never> {
    const retired: string[] = [];
    for (const rp of this.deps.relyingParties) {
      const id = journal.recreated[rp.id];
      if (!id) continue;
      await rp.retireCredential(journal.userName, id);
      retired.push(`${rp.id}:${id}`);
    }
    await this.progress.delete(journal.userName);
    const keys = retired.length > 0 ? ` The key(s) this run created were retired (${retired.join(', ')}).` : '';
    throw new ReEnrollmentError('DIRECTORY_CHANGED', `${error.message}${keys}`, 'directory', {
      cause: error,
      changes: error.changes,
    });
  }

  private async decide(
    userName: string,
    bandSerial: string,
    deviceId: string,
    journal: ReEnrollmentJournal | undefined,
  ): Promise<{ decision: ReEnrollmentAllowed; basis: DecisionBasis }> {
    const basis = decisionBasis(await this.deps.directory.snapshot(), userName, bandSerial);
    // Once committed, the directory already records this re-enrollment; only retiring old keys is left.
    if (journal?.phase === 'committed') return { decision: journal.decision, basis };
    // Everything the final directory transaction would refuse must be refused now, before the band is wiped.
    const registered = basis.bands[0];
    if (registered && registered.deviceId !== deviceId) {
      throw new ReEnrollmentError(
        'BAND_MISMATCH',
        `band ${bandSerial} is registered with device ID ${registered.deviceId}, but the connected band reports ${deviceId}; ` +
          'nothing was touched. Connect the band the directory knows, or have an administrator correct its registration.',
        'policy',
      );
    }
    // The basis holds every row the decision reads.
    const decision = decideReEnrollment(basis, userName, bandSerial);
    if (!decision.allowed) throw new ReEnrollmentError('REFUSED_BY_POLICY', decision.reason, 'policy');
    return { decision, basis };
  }
}

/** The default `onProgress`: one function for every run, not a closure per run. */
function ignoreProgress(): void {}

/**
 * The run's journal, frozen: the run makes a new one for each change rather than editing it, so a memory store
 * can keep this very object (progress-store.ts) instead of a copy, and run and store hold one journal between them.
 * The basis must already be frozen (`decisionBasis`) or come from the store (a resumed run's, never edited).
 */
function frozenJournal(journal: ReEnrollmentJournal): ReEnrollmentJournal {
  // A journal a custom store handed back may be that store's own object: copy what is not frozen yet rather than
  // freeze it under the store. Once frozen, later changes share it.
  return Object.freeze({
    ...journal,
    decision: Object.isFrozen(journal.decision) ? journal.decision : Object.freeze({ ...journal.decision }),
    recreated: Object.isFrozen(journal.recreated) ? journal.recreated : Object.freeze({ ...journal.recreated }),
  });
}

/**
 * The connect step: the band must be the one the user says they hold. Its own function, so the run keeps what it
 * needs of the band's GetInfo reply (device ID, SEOS), not the reply, while it waits for the person.
 */
async function connected(
  band: BandClient,
  bandSerial: string,
  signal: AbortSignal | undefined,
  report: (progress: ReEnrollmentProgress) => void,
): Promise<{ deviceId: string; seosEnabled: boolean }> {
  const info = await band.getInfo({ signal });
  if (info.serialNumber !== bandSerial) {
    throw new ReEnrollmentError(
      'BAND_MISMATCH',
      `expected band ${bandSerial}, but the connected band reports ${info.serialNumber}; connect the band the user holds`,
      'connect',
    );
  }
  report({ step: 'connect', status: 'done', detail: `${info.serialNumber} (${info.firmwareVersion})` });
  return { deviceId: hex(info.deviceId), seosEnabled: info.capabilities.includes('CAPABILITY_SEOS') };
}

/** Whether the band is still enrolled to the directory user (the run keeps the answer, not the band's state). */
async function enrolledTo(band: BandClient, userName: string, signal: AbortSignal | undefined): Promise<boolean> {
  const state = await band.getState({ signal });
  // A local user (enrolled over CTAP, docs/band.md) is never the directory's, whatever it is called.
  return state.enrolled && !state.localUser && state.userName === userName;
}

/** The enrollment's touches as the run's progress events (made here, so `run` itself creates no closure). */
function enrollProgress(report: (progress: ReEnrollmentProgress) => void): (p: EnrollProgress) => void {
  return (p) => report({ step: 'enroll', status: 'progress', enroll: p });
}

/** What a run that stopped at `step` throws: a ReEnrollmentError as it came, else one saying how to resume. */
function stopped(error: unknown, step: ReEnrollmentStep, request: ReEnrollmentRun): ReEnrollmentError {
  if (error instanceof ReEnrollmentError) return error;
  const { userName, bandSerial, signal } = request;
  if (signal?.aborted)
    return new ReEnrollmentError('CANCELLED', `re-enrollment cancelled during ${step}`, step, { cause: error });
  return new ReEnrollmentError(
    'STEP_FAILED',
    `re-enrollment of ${bandSerial} for ${userName} stopped at ${step} (${causeLabel(error)}; error.cause says ` +
      `what happened). Nothing in the directory changed: deal with the cause, then run the same re-enrollment ` +
      `again to resume.`,
    step,
    { cause: error },
  );
}

function describeDecision(decision: ReEnrollmentAllowed): string {
  switch (decision.kind) {
    case 'first-enrollment':
      return 'first enrollment of this user';
    case 'own-band':
      return "the user's own band";
    case 'unheld-band':
      return 'a band no other user holds';
    case 'other-users-band':
      return `a band held by ${decision.previousHolder}; that association will be removed`;
  }
}
