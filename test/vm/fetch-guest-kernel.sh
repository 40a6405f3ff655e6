#!/usr/bin/env bash
# Fetches Debian 12's 6.1 kernel package with apt-get download and unpacks it (dpkg-deb -x) into a cache
# directory for the USB/IP VM test (test/vm/usbip-vm.test.ts); prints that directory. A second run finds it
# there and downloads nothing. .ci/run calls this so the test itself never waits for a download.
#   BAND_STACK_VM_CACHE  where to keep it (default: $TMPDIR or /tmp, band-stack-vm-cache)
# Exit codes: 0 ok, 3 no such package known to apt (run apt-get update), 1 download or unpack failed.
#   --cached-ok          print a kernel already in the cache without asking apt (the test's fast path; apt-cache
#                        alone takes seconds, far more on a loaded machine)
set -euo pipefail
cache="${BAND_STACK_VM_CACHE:-${TMPDIR:-/tmp}/band-stack-vm-cache}"

if [ "${1:-}" = "--cached-ok" ]; then
  for done in "$cache"/linux-image-6.1.0-*-amd64/.complete; do
    [ -f "$done" ] && { dirname "$done"; exit 0; }
  done
fi

# The kernel Debian 12's metapackage points at today, else the newest 6.1 image apt knows by name.
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-6\.1\.0-[0-9]+-amd64$/ {print $2; exit}')
if [ -z "$pkg" ]; then
  pkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' 2>/dev/null | awk '{print $1}' | sort -V | tail -n 1)
fi
if [ -z "$pkg" ]; then
  echo "apt knows no linux-image-6.1.0-N-amd64 package (Debian 12's kernel); run apt-get update on a Debian 12 machine" >&2
  exit 3
fi

dir="$cache/$pkg"
if [ ! -f "$dir/.complete" ]; then
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/fetch.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  # apt-get download as root warns that _apt cannot write here; the download is the same.
  (cd "$work" && apt-get download -qq "$pkg" 2>/dev/null >&2 || apt-get download "$pkg" >&2)
  dpkg-deb -x "$work"/*.deb "$work/root"
  # Keep the kernel and the drivers the guest loads; the rest is 300 MB nobody reads.
  version=$(ls "$work/root/lib/modules")
  mods="$work/root/lib/modules/$version/kernel"
  find "$mods" -mindepth 1 -maxdepth 1 ! -name drivers -exec rm -rf {} +
  find "$mods/drivers" -mindepth 1 -maxdepth 1 ! -name usb ! -name hid ! -name virtio ! -name char -exec rm -rf {} +
  rm -rf "$dir"
  mv "$work/root" "$dir"
  touch "$dir/.complete"
  # A kernel Debian has since replaced is never booted again.
  find "$cache" -mindepth 1 -maxdepth 1 -name 'linux-image-*' ! -name "$pkg" -exec rm -rf {} +
fi
echo "$dir"
