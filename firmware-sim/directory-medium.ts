import * as fs from 'node:fs';
import * as path from 'node:path';
import { FlashIoError } from './flash-errors.js';
import type { FlashMedium } from './flash-medium.js';

/**
 * A flash image in a directory (bandsim --state DIR). The image holds private keys, so the directory is
 * 0700 and every file 0600, and modes are re-asserted on open in case a copy loosened them. Every
 * write is fsynced, and a rename is followed by an fsync of the directory, so a crash of the host
 * machine leaves the same old-or-new image a simulated power cut does.
 */
export class DirectoryMedium implements FlashMedium {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
    checkCreatable(this.dir);
    io(`create the state directory ${this.dir}`, () => {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      fs.chmodSync(this.dir, 0o700);
      for (const name of fs.readdirSync(this.dir)) {
        const file = path.join(this.dir, name);
        if (fs.statSync(file).isFile()) fs.chmodSync(file, 0o600);
      }
    });
  }

  describe(file: string): string {
    return path.join(this.dir, file);
  }

  read(file: string): Uint8Array | undefined {
    const at = this.describe(file);
    try {
      return new Uint8Array(fs.readFileSync(at));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new FlashIoError(
        `could not read ${at}: ${(error as Error).message}; check the state directory's permissions`,
        { cause: error },
      );
    }
  }

  append(file: string, bytes: Uint8Array): void {
    const at = this.describe(file);
    io(`write ${at}`, () => {
      const fd = fs.openSync(at, 'a', 0o600);
      try {
        fs.writeSync(fd, bytes);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    });
  }

  truncate(file: string, length: number): void {
    const at = this.describe(file);
    io(`truncate ${at}`, () => {
      const fd = fs.openSync(at, 'r+');
      try {
        fs.ftruncateSync(fd, length);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    });
  }

  rename(from: string, to: string): void {
    io(`rename ${this.describe(from)} to ${this.describe(to)}`, () => {
      fs.renameSync(this.describe(from), this.describe(to));
      this.syncDir();
    });
  }

  remove(file: string): void {
    io(`remove ${this.describe(file)}`, () => {
      fs.rmSync(this.describe(file), { force: true });
      this.syncDir();
    });
  }

  private syncDir(): void {
    const fd = fs.openSync(this.dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

function io(what: string, action: () => void): void {
  try {
    action();
  } catch (error) {
    throw new FlashIoError(
      `could not ${what}: ${(error as Error).message}; check the disk and the state directory's permissions`,
      {
        cause: error,
      },
    );
  }
}

/** Pseudo-filesystems: a state directory there is a mistake, and Node's recursive mkdir can loop on /proc. */
const PSEUDO_ROOTS = ['/proc', '/sys'];

/**
 * Checked before mkdir: the path is not under /proc or /sys, and its nearest existing ancestor is a directory this
 * process may write. Otherwise a clear FlashIoError naming the path (never a hang or a bare ENOTDIR).
 */
function checkCreatable(dir: string): void {
  const pseudo = PSEUDO_ROOTS.find((root) => dir === root || dir.startsWith(`${root}/`));
  if (pseudo)
    throw new FlashIoError(
      `the state directory ${dir} is under ${pseudo}, a kernel pseudo-filesystem; pick a directory on a real filesystem`,
    );
  let at = dir;
  for (;;) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // ENOTDIR: a part of the path is a file; walking up finds it and names it.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        throw new FlashIoError(
          `cannot create the state directory ${dir}: ${(error as Error).message}; pick another --state path`,
          { cause: error },
        );
      }
    }
    if (stat) {
      if (!stat.isDirectory()) {
        throw new FlashIoError(
          `cannot create the state directory ${dir}: ${at} is a file, not a directory; pick another --state path`,
        );
      }
      // Through a symlink (e.g. /dev/fd -> /proc/self/fd) the real place counts.
      const real = fs.realpathSync(at);
      const under = PSEUDO_ROOTS.find((root) => real === root || real.startsWith(`${root}/`));
      if (under)
        throw new FlashIoError(
          `the state directory ${dir} is under ${under} (through ${at}), a kernel pseudo-filesystem; pick a directory on a real filesystem`,
        );
      if (at === dir) {
        // It exists: the band must be able to write its image there (opening it checks the rest).
        try {
          fs.accessSync(dir, fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
        } catch (error) {
          throw new FlashIoError(
            `the state directory ${dir} exists but is not writable by this user; pick another --state path or fix its permissions`,
            { cause: error },
          );
        }
        return;
      }
      try {
        fs.accessSync(at, fs.constants.W_OK | fs.constants.X_OK);
      } catch (error) {
        throw new FlashIoError(
          `cannot create the state directory ${dir}: ${at} is not writable by this user; pick another --state path or fix its permissions`,
          { cause: error },
        );
      }
      return;
    }
    const parent = path.dirname(at);
    if (parent === at) return;
    at = parent;
  }
}
