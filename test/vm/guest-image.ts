import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The guest of the USB/IP VM test: Debian 12's 6.1 kernel (fetched and unpacked by fetch-guest-kernel.sh) and
 * an initramfs built here from this machine's Debian binaries: busybox-static, usbip, socat, fido2-tools with
 * the libraries ldd names, the kernel modules the guest loads and those they depend on, and guest-init.sh as
 * /init. Both are cached; the initramfs under a name that changes with any of its inputs.
 */
const here = new URL('.', import.meta.url).pathname;
/** The shell files sit beside this module's source (vitest runs it from test/vm, tsc's copy lives in dist/test/vm). */
const source = (name: string) =>
  existsSync(join(here, name)) ? join(here, name) : join(here, '../../../test/vm', name);
export const CACHE_DIR = process.env.BAND_STACK_VM_CACHE ?? join(tmpdir(), 'band-stack-vm-cache');

export const GUEST_TOOLS = [
  '/usr/sbin/usbip',
  '/usr/bin/socat',
  '/usr/bin/fido2-token',
  '/usr/bin/fido2-cred',
  '/usr/bin/fido2-assert',
];
const BUSYBOX = '/bin/busybox';
/** Where usbip(8) looks for names of vendors and products (Debian's build: the first). */
const USB_IDS = ['/usr/share/misc/usb.ids', '/usr/share/hwdata/usb.ids'];
const GUEST_MODULES = ['virtio_pci', 'virtio_console', 'vhci_hcd', 'usbhid', 'hid_generic'];

export class GuestUnavailable extends Error {}

export interface GuestImage {
  kernel: string;
  initramfs: string;
  kernelVersion: string;
  /** How the kernel was had, for the test's log. */
  note: string;
}

export function fetchGuestKernel(): string {
  try {
    return execFileSync('bash', [source('fetch-guest-kernel.sh'), '--cached-ok'], {
      encoding: 'utf8',
      env: { ...process.env, BAND_STACK_VM_CACHE: CACHE_DIR },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 300_000,
    }).trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new GuestUnavailable(
      `Debian 12's kernel package could not be fetched (test/vm/fetch-guest-kernel.sh: ${stderr.trim() || (error as Error).message})`,
    );
  }
}

const normal = (module: string) => module.replace(/-/g, '_');

function modulesIn(dir: string, found = new Map<string, string>()): Map<string, string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) modulesIn(path, found);
    else if (entry.name.endsWith('.ko')) found.set(normal(entry.name.slice(0, -3)), path);
  }
  return found;
}

/** A module's `depends=` from its .modinfo section: NUL-separated key=value strings inside the ELF file. */
function dependsOf(path: string): string[] {
  const bytes = readFileSync(path);
  const at = bytes.indexOf('\0depends=');
  if (at < 0) return [];
  const end = bytes.indexOf(0, at + 1);
  const list = bytes.subarray(at + 9, end).toString('latin1');
  return list ? list.split(',').map(normal) : [];
}

/** The shared libraries a binary loads, as ldd names them (the loader included). */
function librariesOf(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  return [...out.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]);
}

function copyInto(root: string, from: string, to = from): void {
  const target = join(root, to);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(realpathSync(from), target);
  chmodSync(target, statSync(realpathSync(from)).mode & 0o777);
}

export function buildGuestImage(kernelDir: string): GuestImage {
  const kernelVersion = readdirSync(join(kernelDir, 'lib/modules'))[0];
  const kernel = join(kernelDir, 'boot', `vmlinuz-${kernelVersion}`);
  if (!existsSync(kernel)) throw new GuestUnavailable(`the kernel package has no ${kernel}`);
  for (const tool of [BUSYBOX, ...GUEST_TOOLS]) {
    if (!existsSync(tool)) throw new GuestUnavailable(`${tool} is missing`);
  }

  const available = modulesIn(join(kernelDir, 'lib/modules', kernelVersion, 'kernel'));
  const modules = new Set<string>();
  const want = [...GUEST_MODULES];
  while (want.length) {
    const name = want.pop() as string;
    if (modules.has(name)) continue;
    const path = available.get(name);
    if (!path) throw new GuestUnavailable(`the kernel package has no module ${name}`);
    modules.add(name);
    want.push(...dependsOf(path));
  }
  const libraries = [...new Set(GUEST_TOOLS.flatMap(librariesOf))];
  const usbIds = USB_IDS.find((path) => existsSync(path));
  const init = readFileSync(source('guest-init.sh'));

  // Everything that goes in, named by content or by identity: a change to any input makes a new image.
  const key = createHash('sha256');
  key.update(kernelVersion).update(init);
  for (const file of [BUSYBOX, ...GUEST_TOOLS, ...libraries, ...(usbIds ? [usbIds] : [])]) {
    const s = statSync(realpathSync(file));
    key.update(`${file}:${s.size}:${s.mtimeMs}\n`);
  }
  for (const name of [...modules].sort()) key.update(`${name}\n`);
  const initramfs = join(CACHE_DIR, `initramfs-${kernelVersion}-${key.digest('hex').slice(0, 16)}.cpio`);
  if (existsSync(initramfs)) return { kernel, initramfs, kernelVersion, note: `cached ${initramfs}` };

  const root = mkdtempSync(join(CACHE_DIR, 'initramfs-root.'));
  try {
    copyInto(root, BUSYBOX, '/bin/busybox');
    for (const file of [...GUEST_TOOLS, ...libraries]) copyInto(root, file);
    if (usbIds) for (const path of USB_IDS) copyInto(root, usbIds, path);
    for (const name of modules) {
      const path = available.get(name) as string;
      copyInto(root, path, path.slice(kernelDir.length));
    }
    for (const file of ['modules.order', 'modules.builtin', 'modules.builtin.modinfo']) {
      const path = join(kernelDir, 'lib/modules', kernelVersion, file);
      if (existsSync(path)) copyInto(root, path, path.slice(kernelDir.length));
    }
    writeFileSync(join(root, 'init'), init, { mode: 0o755 });
    const partial = `${initramfs}.${process.pid}`;
    // newc is the format the kernel unpacks (Documentation/driver-api/early-userspace/buffer-format.rst).
    execFileSync('sh', ['-c', `cd "$1" && find . | ${BUSYBOX} cpio -o -H newc > "$2"`, 'sh', root, partial], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    renameSync(partial, initramfs);
    // Images of older inputs are never read again: keep the cache to the kernel and the current image.
    for (const old of readdirSync(CACHE_DIR)) {
      const path = join(CACHE_DIR, old);
      if (/^initramfs-.*\.cpio$/.test(old) && path !== initramfs) rmSync(path, { force: true });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return { kernel, initramfs, kernelVersion, note: `built ${initramfs}` };
}
