import { access, readFile } from 'node:fs/promises';
import { backupFile, writeFileAtomic } from './atomic-file.js';
import { CommittedDirectory } from './committed-directory.js';
import { decodeDirectoryFile, encodeDirectoryFile } from './directory-file-format.js';
import { DirectoryError } from './errors.js';
import { withFileLock, type FileLockOptions } from './file-lock.js';
import { MemoryDirectory, type DirectoryCommit } from './memory-directory.js';
import { emptyDirectoryState } from './model.js';

export const DEFAULT_DIRECTORY_PATH = './.band-directory.json';

export interface FileDirectoryOptions {
  clock?: () => Date;
  /** The lock that serialises writers across processes (file-lock.ts). */
  lock?: FileLockOptions;
}

/**
 * The embedded default: `MemoryDirectory` persisted as one JSON file that any number of processes share.
 *
 * - Every update runs under an exclusive lock on the file (`FILE.lock`, file-lock.ts) on a fresh read of the file,
 *   so an update made by another process meanwhile is the base of this one, never overwritten.
 * - The file is replaced atomically (temp file, fsync, rename, fsync of the folder) and is readable by its owner
 *   only (mode 0600). The file as it was before the commit is kept as `FILE.bak`.
 * - Reads take no lock (a replace is atomic, so a reader sees the old file or the new one) and re-read the file
 *   each time; unchanged bytes reuse the state already parsed and checked.
 *
 * A missing file is an empty directory with the default policy; the file is created on the first committed update.
 */
export class FileDirectory extends MemoryDirectory {
  readonly path: string;
  /** The file before the last commit. */
  readonly backupPath: string;
  readonly #lock: FileLockOptions;
  /** The bytes behind the state this object holds; undefined when it was read from a missing file. */
  #bytes: Buffer | undefined;

  constructor(path: string = DEFAULT_DIRECTORY_PATH, options: FileDirectoryOptions = {}) {
    super(options.clock ? { clock: options.clock } : {});
    this.path = path;
    this.backupPath = `${path}.bak`;
    this.#lock = options.lock ?? {};
  }

  protected override async refresh(current: CommittedDirectory | undefined): Promise<CommittedDirectory> {
    let bytes: Buffer | undefined;
    try {
      bytes = await readFile(this.path);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new DirectoryError(
          'IO',
          `Could not read directory file ${this.path} (${(cause as Error).message}); check that it is a readable file.`,
          { path: this.path, cause },
        );
      }
    }
    if (current !== undefined && sameBytes(bytes, this.#bytes)) return current;
    const state = bytes === undefined ? emptyDirectoryState() : await this.#decode(bytes);
    const committed = new CommittedDirectory(state);
    this.#bytes = bytes;
    return committed;
  }

  protected override exclusive<T>(fn: (assertHeld: () => void) => Promise<T>): Promise<T> {
    return withFileLock(this.path, fn, this.#lock);
  }

  protected override async persist(commit: DirectoryCommit, assertHeld: () => void): Promise<void> {
    if (commit.unchanged && this.#bytes !== undefined) return;
    const text = encodeDirectoryFile(commit.view);
    try {
      assertHeld();
      if (this.#bytes !== undefined) await backupFile(this.path, this.backupPath);
      assertHeld();
      await writeFileAtomic(this.path, text, 0o600);
    } catch (cause) {
      if (cause instanceof DirectoryError) throw cause;
      throw new DirectoryError(
        'IO',
        `Could not write directory file ${this.path} (${(cause as Error).message}); nothing was committed and the ` +
          `previous file is intact. Check free space and permissions of its folder.`,
        { path: this.path, cause },
      );
    }
    this.#bytes = Buffer.from(text);
  }

  async #decode(bytes: Buffer) {
    try {
      return decodeDirectoryFile(bytes.toString('utf8'), this.path);
    } catch (error) {
      if (!(error instanceof DirectoryError) || error.code !== 'CORRUPT') throw error;
      const backup = await access(this.backupPath).then(
        () => true,
        () => false,
      );
      if (!backup) throw error;
      throw new DirectoryError(
        'CORRUPT',
        `${error.message} The file as it was before its last change is ${this.backupPath}.`,
        {
          path: this.path,
          cause: error.cause,
          ...(error.rule ? { rule: error.rule } : {}),
        },
      );
    }
  }
}

function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.equals(b);
}
