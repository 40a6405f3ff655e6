import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../directory/atomic-file.js';
import { withFileLock, type FileLockOptions } from '../directory/file-lock.js';
import { isFrozenBasis, type DecisionBasis, type ReEnrollmentAllowed } from '../directory/index.js';

/**
 * Where a re-enrollment stands, kept between runs so that a failed run resumes instead of starting over
 * (a user should not have to wipe and enroll a band twice because a relying party was briefly down).
 * The directory is not touched until the `committed` phase, so it is never half updated.
 */
export interface ReEnrollmentJournal {
  userName: string;
  bandSerial: string;
  /** Hex device ID read from the band; a different band with the same serial does not resume. */
  deviceId: string;
  /** enrolled: wiped and enrolled to the user · committed: directory updated, old keys being retired. */
  phase: 'enrolled' | 'committed';
  /** The policy decision the user acted on. */
  decision: ReEnrollmentAllowed;
  /**
   * The directory rows the decision rested on, read before the band was wiped: the commit refuses if any of them
   * changed since (absent in journals written before this field existed: the resumed run reads them afresh).
   */
  basis?: DecisionBasis;
  /** Credentials already re-created on this band, by relying-party id (base64url credential id). */
  recreated: Record<string, string>;
  started: string;
}

/** Where a re-enrollment journals what it has done, per user, so a failed run resumes. */
export interface ProgressStore {
  /** The journal of the user's unfinished re-enrollment, if any (read-only: it may be the frozen one stored). */
  get(userName: string): Promise<ReEnrollmentJournal | undefined>;
  /** Records what the re-enrollment has done so far. */
  put(journal: ReEnrollmentJournal): Promise<void>;
  /** Forgets the journal once the re-enrollment completed. */
  delete(userName: string): Promise<void>;
}

/** A journal in memory: resumes within this process only. */
export class MemoryProgressStore implements ProgressStore {
  private readonly entries = new Map<string, ReEnrollmentJournal>();
  async get(userName: string) {
    const entry = this.entries.get(userName);
    return entry && copyJournal(entry);
  }
  async put(journal: ReEnrollmentJournal) {
    this.entries.set(journal.userName, copyJournal(journal));
  }
  async delete(userName: string) {
    this.entries.delete(userName);
  }
}

/**
 * A deep copy, so the caller's later edits (the orchestrator updates its journal as it goes) never reach the store.
 * Field by field: structuredClone's serialization was a measurable part of a re-enrollment (`node --cpu-prof`, fleet).
 * What nothing can edit is shared, not copied: a basis `decisionBasis` made (deeply frozen), and a whole frozen
 * journal (the orchestrator's: it makes a new one for each change), so a run and its stored journal hold one journal
 * and one basis between them while the person wipes, enrolls and taps.
 */
function copyJournal(journal: ReEnrollmentJournal): ReEnrollmentJournal {
  const { basis } = journal;
  if (isFrozenJournal(journal)) return journal;
  return {
    userName: journal.userName,
    bandSerial: journal.bandSerial,
    deviceId: journal.deviceId,
    phase: journal.phase,
    decision: { ...journal.decision },
    ...(basis && { basis: isFrozenBasis(basis) ? basis : copyBasis(basis) }),
    recreated: { ...journal.recreated },
    started: journal.started,
  };
}

/**
 * A journal nothing can edit (the orchestrator's are): frozen, with its decision and keys, and a basis that is
 * deeply frozen or absent. A store keeps it, and hands it out, as it is.
 */
function isFrozenJournal(journal: ReEnrollmentJournal): boolean {
  return (
    Object.isFrozen(journal) &&
    Object.isFrozen(journal.decision) &&
    Object.isFrozen(journal.recreated) &&
    (journal.basis === undefined || isFrozenBasis(journal.basis))
  );
}

function copyBasis(basis: DecisionBasis): DecisionBasis {
  return {
    userName: basis.userName,
    serialNumber: basis.serialNumber,
    policy: { ...basis.policy },
    users: basis.users.map((u) => ({ ...u })),
    bands: basis.bands.map((b) => ({ ...b })),
    associations: basis.associations.map((a) => ({ ...a })),
  };
}

export class ProgressStoreError extends Error {
  override readonly name = 'ProgressStoreError';
  readonly code = 'CORRUPT';
}

/**
 * A JSON file beside the directory file, one entry per user, that several processes share (two users
 * re-enrolling at once from two terminals): each change is a read-modify-write under the file's lock
 * (file-lock.ts) on a fresh read, then an atomic replace (mode 0600), so no process loses another's entry.
 * Reads take no lock: a replace is atomic.
 */
export class FileProgressStore implements ProgressStore {
  constructor(
    readonly path: string,
    private readonly lock: FileLockOptions = {},
  ) {}

  async get(userName: string) {
    const all = await this.read();
    return Object.hasOwn(all, userName) ? all[userName] : undefined;
  }
  async put(journal: ReEnrollmentJournal) {
    await this.change((all) => {
      all[journal.userName] = journal;
      return true;
    });
  }
  async delete(userName: string) {
    await this.change((all) => {
      if (!Object.hasOwn(all, userName)) return false;
      delete all[userName];
      return true;
    });
  }

  private change(edit: (all: Record<string, ReEnrollmentJournal>) => boolean): Promise<void> {
    return withFileLock(
      this.path,
      async (assertHeld) => {
        const all = await this.read();
        if (!edit(all)) return;
        assertHeld();
        await writeFileAtomic(this.path, JSON.stringify(all, null, 2));
      },
      this.lock,
    );
  }

  private async read(): Promise<Record<string, ReEnrollmentJournal>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        return Object.create(null) as Record<string, ReEnrollmentJournal>;
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('expected a JSON object');
      // Without a prototype, a user named __proto__ is just another key.
      return Object.assign(Object.create(null), parsed) as Record<string, ReEnrollmentJournal>;
    } catch (cause) {
      throw new ProgressStoreError(
        `re-enrollment progress file ${this.path} is damaged (${(cause as Error).message}); it holds only resume points: move it aside and run the re-enrollment again from the start`,
      );
    }
  }
}
