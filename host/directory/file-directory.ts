import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-file.js';
import { decodeDirectoryFile, encodeDirectoryFile } from './directory-file-format.js';
import { DirectoryError } from './errors.js';
import { MemoryDirectory } from './memory-directory.js';
import { emptyDirectoryState, type DirectoryState } from './model.js';

export const DEFAULT_DIRECTORY_PATH = './.band-directory.json';

export interface FileDirectoryOptions {
  clock?: () => Date;
}

/**
 * The embedded default: `MemoryDirectory` persisted as one JSON file, replaced atomically on every commit and
 * readable by its owner only (mode 0600). A missing file is an empty directory with the default policy; the file
 * is created on the first committed update. One process owns the file: it is read once, on first use.
 */
export class FileDirectory extends MemoryDirectory {
  readonly path: string;

  constructor(path: string = DEFAULT_DIRECTORY_PATH, options: FileDirectoryOptions = {}) {
    super(options.clock ? { clock: options.clock } : {});
    this.path = path;
  }

  protected override async load(): Promise<DirectoryState> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return emptyDirectoryState();
      throw new DirectoryError(
        'IO',
        `Could not read directory file ${this.path} (${(cause as Error).message}); check that it is a readable file.`,
        { path: this.path, cause },
      );
    }
    return decodeDirectoryFile(text, this.path);
  }

  protected override async persist(state: DirectoryState): Promise<void> {
    try {
      await writeFileAtomic(this.path, encodeDirectoryFile(state), 0o600);
    } catch (cause) {
      throw new DirectoryError(
        'IO',
        `Could not write directory file ${this.path} (${(cause as Error).message}); nothing was committed and the ` +
          `previous file is intact. Check free space and permissions of its folder.`,
        { path: this.path, cause },
      );
    }
  }
}
