import { normalizeDeviceId } from './device-id.js';
import { DirectoryError } from './errors.js';
import { describeChange, diffDirectory, type DirectoryChange } from './changes.js';
import type { Association, DirectoryBand, DirectoryDraft, DirectorySnapshot, DirectoryUser, Policy } from './model.js';
import { decideReEnrollment, type ReEnrollmentAllowed, type ReEnrollmentRefused } from './policy.js';
import { pushRow, removeAssociationsOfBand, setAssociationFlags } from './draft.js';
import { associationsOf, associationsOfUserOrBand, findBand, findUser } from './queries.js';
import { ASSOCIATION_ROWS, BAND_ROWS, USER_ROWS, type RowKind } from './rows.js';

export const NOTE_SELF_SERVICE_ENROLLMENT = 'Self-service enrollment';
export const NOTE_SELF_SERVICE_RE_ENROLLMENT = 'Self-service re-enrollment';

/** The band as read during enrollment (its GetInfo reply). */
export interface EnrolledBand {
  serialNumber: string;
  deviceId: string;
  /** Used only when the band is new to the directory; for a known band the directory's flag stands. */
  seosEnabled: boolean;
}

export interface ReEnrollmentRequest {
  userName: string;
  band: EnrolledBand;
  /**
   * The decision the user was shown before the band was wiped. The policy is decided again here, inside the
   * transaction; if the answer changed meanwhile (a colleague took the band, an administrator changed the policy)
   * the update fails with STALE_DECISION rather than doing something the user never agreed to.
   */
  expected?: ReEnrollmentAllowed;
  /**
   * What the decision rested on, read when it was made (`decisionBasis`). If any of it changed since (an
   * administrator suspended or disconnected the band, changed the user's rows or the policy), the update fails
   * with ChangedDuringRunError naming the changes, and the administrator's change stands.
   */
  basis?: DecisionBasis;
}

/**
 * Everything a self-service decision for one user and one band depends on: the policy, the user's row and every
 * association of the user, the band's registration and whoever holds it. Plain JSON, so a resumable run can keep
 * it in its journal.
 */
export interface DecisionBasis {
  readonly userName: string;
  readonly serialNumber: string;
  readonly policy: Readonly<Policy>;
  readonly users: readonly Readonly<DirectoryUser>[];
  readonly bands: readonly Readonly<DirectoryBand>[];
  readonly associations: readonly Readonly<Association>[];
}

/** One shared empty table: a basis without a user, band or association row holds no array of its own. */
const NO_ROWS: readonly never[] = Object.freeze([]);

/**
 * A basis is itself a (small) view: `decideReEnrollment(basis, userName, serialNumber)` reads only the rows it
 * holds, so it decides as it would on the whole directory it was read from.
 *
 * Deeply frozen, and holding the view's own rows and policy where they are frozen (a committed view's always are):
 * a re-enrollment keeps its basis across the person's wipe, enrollment and taps, and its journal keeps the same
 * one (progress-store.ts), so a basis costs a few small frozen arrays, not copies of the rows. A draft's (mutable)
 * rows are copied, as frozen copies of their persisted fields.
 */
export function decisionBasis(view: DirectorySnapshot, userName: string, serialNumber: string): DecisionBasis {
  const user = findUser(view, userName);
  const band = findBand(view, serialNumber);
  const associations = associationsOfUserOrBand(view, userName, serialNumber);
  const { policy } = view;
  return Object.freeze({
    userName,
    serialNumber,
    policy: Object.isFrozen(policy)
      ? policy
      : Object.freeze({
          allowReEnrollOwnBand: policy.allowReEnrollOwnBand,
          allowReEnrollAnyActiveBand: policy.allowReEnrollAnyActiveBand,
        }),
    users: user ? Object.freeze([frozenRow(user, USER_ROWS)]) : NO_ROWS,
    bands: band ? Object.freeze([frozenRow(band, BAND_ROWS)]) : NO_ROWS,
    associations:
      associations.length === 0 ? NO_ROWS : Object.freeze(associations.map((a) => frozenRow(a, ASSOCIATION_ROWS))),
  });
}

/** `row` itself when it is frozen (a committed row, never changed again), else a frozen copy. */
function frozenRow<T extends object>(row: Readonly<T>, kind: RowKind<T>): Readonly<T> {
  return Object.isFrozen(row) ? row : kind.freeze(row);
}

/** A basis that `decisionBasis` made: deeply frozen, so it can be shared rather than copied. */
export function isFrozenBasis(basis: DecisionBasis): boolean {
  return (
    Object.isFrozen(basis) &&
    Object.isFrozen(basis.policy) &&
    [basis.users, basis.bands, basis.associations].every(
      (rows) => Object.isFrozen(rows) && rows.every((row) => Object.isFrozen(row)),
    )
  );
}

/** What changed in the rows `basis` covers, between when it was read and `view`. */
export function changesSinceDecision(basis: DecisionBasis, view: DirectorySnapshot): DirectoryChange[] {
  return diffDirectory(basis, decisionBasis(view, basis.userName, basis.serialNumber));
}

/** The directory changed under a running re-enrollment; `changes` says how. Nothing was written. */
export class ChangedDuringRunError extends DirectoryError {
  override readonly name = 'ChangedDuringRunError';
  constructor(
    readonly changes: DirectoryChange[],
    message: string,
  ) {
    super('CHANGED_DURING_RUN', message);
  }
}

export interface ReEnrollmentOutcome {
  decision: ReEnrollmentAllowed;
  /** The user's row for the enrolled band, as committed. */
  association: Association;
  /** The user's band that stopped being active, if any. */
  deactivated?: string;
  /** The user whose association with the band was removed (other-users-band). */
  removedFrom?: string;
}

export class ReEnrollmentRefusedError extends DirectoryError {
  override readonly name = 'ReEnrollmentRefusedError';
  constructor(readonly decision: ReEnrollmentRefused) {
    super('REFUSED', `${decision.reason} ${decision.remedy}`);
  }
}

/**
 * The directory effect of a successful (re-)enrollment, applied to a draft inside `Directory.update`:
 * - own band: the same row, made active (any other active band of the user is deactivated); Is Primary and the
 *   row's notes are left as they were, so the User Properties window shows the same band as before.
 * - another band: the user's current active band stops being active but keeps Is Primary; the new band's row is
 *   Active and not Primary. If the user has no primary band at all (first enrollment, or an administrator removed
 *   it), the new row becomes Primary so the user always has a band to be restored to.
 * - another user's band: that user's association is removed first.
 * - a band the directory does not know yet is registered (enrollment step 1 registers the band with the server).
 * @throws ChangedDuringRunError (code CHANGED_DURING_RUN) when what `basis` covers changed;
 *   ReEnrollmentRefusedError (code REFUSED) when the policy refuses; DirectoryError STALE_DECISION,
 *   DEVICE_ID_MISMATCH, INVALID_SERIAL, INVALID_DEVICE_ID, UNKNOWN_USER.
 */
export function applyReEnrollment(draft: DirectoryDraft, request: ReEnrollmentRequest): ReEnrollmentOutcome {
  const { userName, band } = request;
  // Everything the decision reads, read from the draft once (a pass over each table).
  const now = decisionBasis(draft, userName, band.serialNumber);
  if (request.basis) {
    const changes = diffDirectory(request.basis, now);
    if (changes.length > 0) {
      throw new ChangedDuringRunError(
        changes,
        `The directory changed while the re-enrollment of band ${band.serialNumber} for ${userName} was running: ` +
          `${changes.map((c) => describeChange(c, draft)).join(' ')} Nothing was written, so that change stands. ` +
          `Check with the administrator; running the re-enrollment again decides from the directory as it is now.`,
      );
    }
  }
  const decision = decideReEnrollment(now, userName, band.serialNumber);
  if (!decision.allowed) throw new ReEnrollmentRefusedError(decision);
  const { expected } = request;
  if (expected && (expected.kind !== decision.kind || expected.previousHolder !== decision.previousHolder)) {
    throw new DirectoryError(
      'STALE_DECISION',
      `Expected a ${describe(expected)} for ${userName} on band ${band.serialNumber}, but the directory now says ` +
        `${describe(decision)}; nothing was written. Show the user the new decision and ask again.`,
    );
  }

  registerIfNew(draft, band, now.bands[0]);
  const outcome: Omit<ReEnrollmentOutcome, 'association'> = { decision };

  // Through the draft's queries and edits (draft.ts): a few rows touched, not the whole table copied.
  if (decision.previousHolder !== undefined) {
    removeAssociationsOfBand(draft, band.serialNumber);
    outcome.removedFrom = decision.previousHolder;
  }

  for (const a of associationsOf(draft, userName)) {
    if (a.isActive && a.serialNumber !== band.serialNumber) {
      setAssociationFlags(draft, a, { isActive: false });
      outcome.deactivated = a.serialNumber;
    }
  }

  const mine = associationsOf(draft, userName);
  let row = mine.find((a) => a.serialNumber === band.serialNumber);
  if (row) {
    row = setAssociationFlags(draft, row, { isActive: true });
  } else {
    row = pushRow(draft, 'associations', {
      userName,
      serialNumber: band.serialNumber,
      isActive: true,
      isPrimary: !mine.some((a) => a.isPrimary),
      notes: noteFor(decision),
      created: draft.now,
    });
  }
  return { ...outcome, association: { ...row } };
}

/** `known`: the draft's row for the band, if it has one. */
function registerIfNew(draft: DirectoryDraft, band: EnrolledBand, known: DirectoryBand | undefined): void {
  const deviceId = normalizeDeviceId(band.deviceId);
  if (!known) {
    pushRow(draft, 'bands', {
      serialNumber: band.serialNumber,
      deviceId,
      seosEnabled: band.seosEnabled === true,
      created: draft.now,
    });
    return;
  }
  if (known.deviceId !== deviceId) {
    throw new DirectoryError(
      'DEVICE_ID_MISMATCH',
      `Band ${band.serialNumber} is registered with device ID ${known.deviceId}, but the band enrolled reports ` +
        `${deviceId}; nothing was written. Check which band is on the user's wrist, or have an administrator ` +
        `re-register the band.`,
    );
  }
}

function noteFor(decision: ReEnrollmentAllowed): string {
  switch (decision.kind) {
    case 'first-enrollment':
      return NOTE_SELF_SERVICE_ENROLLMENT;
    case 'other-users-band':
      return `${NOTE_SELF_SERVICE_RE_ENROLLMENT} (previously assigned to ${decision.previousHolder})`;
    default:
      return NOTE_SELF_SERVICE_RE_ENROLLMENT;
  }
}

function describe(d: ReEnrollmentAllowed): string {
  return d.previousHolder ? `${d.kind} (from ${d.previousHolder})` : d.kind;
}
