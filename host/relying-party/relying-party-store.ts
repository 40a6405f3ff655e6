import { access, readFile } from 'node:fs/promises';
import { backupFile, writeFileAtomic } from '../directory/atomic-file.js';
import { DirectoryError } from '../directory/errors.js';
import { withFileLock, type FileLockOptions } from '../directory/file-lock.js';
import { RelyingPartyError } from './errors.js';
import {
  decodeRelyingPartyState,
  emptyRelyingPartyState,
  encodeRelyingPartyState,
  type RelyingPartyState,
} from './relying-party-state.js';

/**
 * Where a relying party keeps its users and credentials. `read` gives a state the caller may look at; `change`
 * runs `edit` on the current state and keeps what it did when it returns `true` as `changed`.
 */
export interface RelyingPartyStore {
  read(): Promise<RelyingPartyState>;
  change<T>(edit: (state: RelyingPartyState) => { changed: boolean; result: T }): Promise<T>;
}

/** One process's memory. */
export class MemoryRelyingPartyStore implements RelyingPartyStore {
  readonly #state: RelyingPartyState = emptyRelyingPartyState();
  read(): Promise<RelyingPartyState> {
    return Promise.resolve(this.#state);
  }
  change<T>(edit: (state: RelyingPartyState) => { changed: boolean; result: T }): Promise<T> {
    return Promise.resolve(edit(this.#state).result);
  }
}

/**
 * A JSON file that any number of processes share (two `bandctl register-key` at once), kept as the directory file
 * is (file-directory.ts):
 * - every change is a read-modify-write under the file's exclusive lock (`FILE.lock`, file-lock.ts) on a fresh
 *   read, so a credential another process stored meanwhile is the base of this change, never overwritten;
 * - the file is replaced atomically (temp file, fsync, rename, fsync of the folder; mode 0600), so a kill or power
 *   cut leaves the old file or the new one; the file as it was before the change is kept as `FILE.bak`;
 * - reads take no lock (a replace is atomic) and re-read the file every time.
 */
export class FileRelyingPartyStore implements RelyingPartyStore {
  readonly backupPath: string;
  constructor(
    readonly path: string,
    readonly rpId: string,
    private readonly lock: FileLockOptions = {},
  ) {
    this.backupPath = `${path}.bak`;
  }

  async read(): Promise<RelyingPartyState> {
    return (await this.#readFile()).state;
  }

  async change<T>(edit: (state: RelyingPartyState) => { changed: boolean; result: T }): Promise<T> {
    try {
      return await withFileLock(
        this.path,
        async (assertHeld) => {
          const { state, exists } = await this.#readFile();
          const { changed, result } = edit(state);
          if (!changed) return result;
          const text = encodeRelyingPartyState(this.rpId, state);
          try {
            assertHeld();
            if (exists) await backupFile(this.path, this.backupPath);
            assertHeld();
            await writeFileAtomic(this.path, text, 0o600);
          } catch (cause) {
            if (cause instanceof DirectoryError) throw cause;
            throw new RelyingPartyError(
              'IO',
              `Could not write relying-party file ${this.path} (${(cause as Error).message}); nothing was stored ` +
                `and the previous file is intact. Check free space and permissions of its folder.`,
              { cause },
            );
          }
          return result;
        },
        this.lock,
      );
    } catch (error) {
      // The lock belongs to the directory module; a relying party's caller switches on RelyingPartyError codes.
      if (error instanceof DirectoryError && (error.code === 'LOCKED' || error.code === 'IO')) {
        throw new RelyingPartyError(error.code, error.message, { cause: error });
      }
      throw error;
    }
  }

  async #readFile(): Promise<{ state: RelyingPartyState; exists: boolean }> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return { state: emptyRelyingPartyState(), exists: false };
      throw new RelyingPartyError(
        'IO',
        `Could not read relying-party file ${this.path} (${(cause as Error).message}); check that it is a readable file.`,
        { cause },
      );
    }
    try {
      return { state: decodeRelyingPartyState(text, this.path, this.rpId), exists: true };
    } catch (error) {
      if (!(error instanceof RelyingPartyError) || error.code !== 'CORRUPT') throw error;
      const backup = await access(this.backupPath).then(
        () => true,
        () => false,
      );
      if (!backup) throw error;
      throw new RelyingPartyError(
        'CORRUPT',
        `${error.message} The file as it was before its last change is ${this.backupPath}.`,
        { cause: error.cause },
      );
    }
  }
}
