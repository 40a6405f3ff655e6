import { execFileSync } from 'node:child_process';

/**
 * Tests that need a system tool call this. Where the tool is missing they skip with a printed reason,
 * except under REQUIRE_SYSTEM_DEPS=1 (CI), where a missing tool is a failure.
 */
export function systemTool(check: { name: string; probe: string[]; install: string }): { ok: boolean; reason: string } {
  try {
    execFileSync(check.probe[0], check.probe.slice(1), { stdio: 'ignore', timeout: 20_000 });
    return { ok: true, reason: '' };
  } catch {
    const reason = `${check.name} is not available (install: ${check.install})`;
    if (process.env.REQUIRE_SYSTEM_DEPS === '1') {
      throw new Error(`REQUIRE_SYSTEM_DEPS=1 but ${reason}`);
    }
    console.warn(`SKIP: ${reason}`);
    return { ok: false, reason };
  }
}

export const SOCAT = { name: 'socat', probe: ['socat', '-V'], install: 'apt-get install socat' };
export const PROTOC = { name: 'protoc', probe: ['protoc', '--version'], install: 'apt-get install protobuf-compiler' };
export const PYTHON_FIDO2 = {
  name: 'python3-fido2',
  probe: ['/usr/bin/python3', '-c', 'import fido2'],
  install: 'apt-get install python3-fido2',
};
export const NANOPB = {
  name: 'nanopb (generator and headers)',
  probe: ['sh', '-c', 'nanopb_generator.py --version && echo "#include <pb_decode.h>" | cc -E -x c - >/dev/null'],
  install: 'apt-get install nanopb libnanopb-dev gcc libc6-dev',
};
export const CC = { name: 'a C compiler (cc)', probe: ['cc', '--version'], install: 'apt-get install gcc libc6-dev' };
export const XMLLINT = {
  name: 'xmllint',
  probe: ['xmllint', '--version'],
  install: 'apt-get install libxml2-utils',
};
export const QEMU = {
  name: 'qemu-system-x86_64',
  probe: ['qemu-system-x86_64', '--version'],
  install: 'apt-get install qemu-system-x86',
};
export const USBIP = { name: 'usbip', probe: ['usbip', 'version'], install: 'apt-get install usbip' };
export const FIDO2_TOOLS = {
  name: 'fido2-tools',
  probe: ['fido2-token', '-V'],
  install: 'apt-get install fido2-tools',
};
export const BUSYBOX_STATIC = {
  name: 'busybox-static',
  probe: ['/bin/busybox', 'true'],
  install: 'apt-get install busybox-static',
};
export const DPKG_DEB = { name: 'dpkg-deb', probe: ['dpkg-deb', '--version'], install: 'a Debian system (dpkg)' };
