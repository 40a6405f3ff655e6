import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../directory/atomic-file.js';
import type { ReEnrollmentAllowed } from '../directory/index.js';

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
  /** Credentials already re-created on this band, by relying-party id (base64url credential id). */
  recreated: Record<string, string>;
  started: string;
}

export interface ProgressStore {
  get(userName: string): Promise<ReEnrollmentJournal | undefined>;
  put(journal: ReEnrollmentJournal): Promise<void>;
  delete(userName: string): Promise<void>;
}

export class MemoryProgressStore implements ProgressStore {
  private readonly entries = new Map<string, ReEnrollmentJournal>();
  async get(userName: string) {
    const entry = this.entries.get(userName);
    return entry && structuredClone(entry);
  }
  async put(journal: ReEnrollmentJournal) {
    this.entries.set(journal.userName, structuredClone(journal));
  }
  async delete(userName: string) {
    this.entries.delete(userName);
  }
}

export class ProgressStoreError extends Error {
  override readonly name = 'ProgressStoreError';
  readonly code = 'CORRUPT';
}

/** A JSON file beside the directory file, replaced atomically on every change (mode 0600). */
export class FileProgressStore implements ProgressStore {
  constructor(readonly path: string) {}

  async get(userName: string) {
    return (await this.read())[userName];
  }
  async put(journal: ReEnrollmentJournal) {
    const all = await this.read();
    all[journal.userName] = journal;
    await writeFileAtomic(this.path, JSON.stringify(all, null, 2));
  }
  async delete(userName: string) {
    const all = await this.read();
    if (!(userName in all)) return;
    delete all[userName];
    await writeFileAtomic(this.path, JSON.stringify(all, null, 2));
  }

  private async read(): Promise<Record<string, ReEnrollmentJournal>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw error;
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('expected a JSON object');
      return parsed as Record<string, ReEnrollmentJournal>;
    } catch (cause) {
      throw new ProgressStoreError(
        `re-enrollment progress file ${this.path} is damaged (${(cause as Error).message}); it holds only resume points: move it aside and run the re-enrollment again from the start`,
      );
    }
  }
}
