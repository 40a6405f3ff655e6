import { copyFile, link, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

let sequence = 0;

/**
 * Replaces `path` with `data` so that a crash at any moment leaves either the old file or the new one, never a
 * torn mix: write a temp file in the same directory (rename is only atomic within one file system), fsync it,
 * rename it over the target, then fsync the directory so the rename itself survives a power cut.
 * A temp file left behind by a crash is never read; it is named `.<name>.<pid>.<n>.tmp`.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const target = resolve(path);
  const dir = dirname(target);
  const { tmp, handle } = await createTemp(dir, basename(target), mode);
  try {
    try {
      await handle.writeFile(data);
      // The open mode is filtered by the umask; set it exactly.
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, target);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  await syncDirectory(dir);
}

/**
 * Makes `backup` a copy of `path` as it is now, atomically (the old backup or the new one, never a torn one): a
 * hard link to the current file under a temp name, renamed over `backup`. The next atomic replace of `path`
 * gives `path` a new inode and leaves the linked one to the backup, so no byte is copied. Where hard links are
 * not allowed, the bytes are copied instead. The caller syncs the folder (writeFileAtomic does).
 * Returns false when `path` does not exist (nothing to keep).
 */
export async function backupFile(path: string, backup: string): Promise<boolean> {
  const target = resolve(backup);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${++sequence}.tmp`);
  try {
    await link(path, tmp);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'EMLINK') throw error;
    await copyFile(path, tmp);
  }
  try {
    await rename(tmp, target);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  return true;
}

async function createTemp(dir: string, name: string, mode: number) {
  // A crashed earlier process with a recycled pid may have left the same name behind: skip past it.
  for (let attempt = 0; ; attempt++) {
    const tmp = join(dir, `.${name}.${process.pid}.${++sequence}.tmp`);
    try {
      return { tmp, handle: await open(tmp, 'wx', mode) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 100) throw error;
    }
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // Windows cannot open a directory for fsync; its rename is already durable enough for NTFS.
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
