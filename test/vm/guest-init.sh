#!/bin/busybox sh
# PID 1 of the USB/IP VM test's guest (test/vm/usbip-vm.test.ts): a Debian 6.1 kernel, busybox, usbip,
# socat and fido2-tools, no network. It attaches the band that bandsim serves over USB/IP on the host,
# reached through virtio-serial ports, and uses it with libfido2. Lines starting "@@ " are the steps the
# host test reads; "@@begin NAME" ... "@@end NAME" enclose outputs it checks. Everything else is evidence.
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /var/run /sbin /usr/bin /usr/sbin
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

step() { echo "@@ $*"; }
finish() {
  step "poweroff"
  sync
  # Wait until the console has sent everything written so far: stty sets with TCSADRAIN. Without it the
  # kernel's "reboot: Power down" (printed straight to the UART) can land inside the last section's text.
  stty -F /dev/console onlcr 2>/dev/null || sleep 1
  poweroff -f
}
fail() {
  step "FAIL $*"
  dmesg | tail -n 60
  finish
}
# wait_for CONDITION SECONDS: polls a shell condition every 0.2 s.
wait_for() {
  n=0
  while ! eval "$1"; do
    n=$((n + 1))
    [ "$n" -ge $(($2 * 5)) ] && return 1
    sleep 0.2
  done
}
show() { # show NAME COMMAND...: runs it, enclosing its output for the host
  echo "@@begin $1"
  shift
  "$@" 2>&1
  rc=$?
  echo
  echo "@@end rc=$rc"
  return $rc
}
# The relay for a port listens again only after the last client's socat has exited.
listening() { netstat -ltn 2>/dev/null | grep -q "127.0.0.1:$1 "; }
usbip_via() { # usbip_via PORT ARGS...: usbip(8) once that port's relay listens
  port=$1
  shift
  wait_for "listening $port" 10 || echo "the relay on $port is not listening"
  usbip --tcp-port "$port" "$@"
}
hidraw_present() { ls /sys/class/hidraw 2>/dev/null | grep -q hidraw; }

step "booted $(uname -r)"
depmod || fail "depmod"
for m in virtio_pci virtio_console vhci-hcd usbhid hid-generic; do
  modprobe "$m" || fail "modprobe $m"
done
ip link set lo up || fail "lo up"

# No udev here: name the virtio-serial ports the way udev would, from their sysfs names.
mkdir -p /dev/virtio-ports
wait_for 'ls /sys/class/virtio-ports/ 2>/dev/null | grep -q vport' 10 || fail "no virtio-serial port"
for p in /sys/class/virtio-ports/*; do
  ln -sf "/dev/${p##*/}" "/dev/virtio-ports/$(cat "$p/name")"
done
# Each port is one host connection to bandsim's USB/IP socket that lives as long as the VM, and only one
# opener at a time: relay it to a loopback port, one usbip(8) run after another.
relay() {
  while true; do
    socat TCP-LISTEN:"$2",bind=127.0.0.1,reuseaddr OPEN:/dev/virtio-ports/"$1" 2>/dev/null
  done &
}
relay usbip 3240
relay usbip-second 3241
wait_for 'listening 3240 && listening 3241' 10 || fail "the relays did not start"
step "relays ready"

show devlist usbip_via 3240 list -r 127.0.0.1 || fail "usbip list"
show attach usbip_via 3240 attach -r 127.0.0.1 -b 1-1 || fail "usbip attach"
wait_for hidraw_present 30 || fail "no /dev/hidraw after attach"
wait_for '[ -e /dev/hidraw0 ]' 10 || fail "no /dev/hidraw0 node"
show kernel-log sh -c "dmesg | grep -iE 'usb|hid|vhci'"
show hidraw-uevent cat /sys/class/hidraw/hidraw0/device/uevent
# What lsusb would print, read where it reads it (busybox has no lsusb).
show usb-sysfs sh -c 'for f in idVendor idProduct bcdDevice manufacturer product serial speed bNumInterfaces; do
  echo "$f=$(cat /sys/bus/usb/devices/1-1/$f)"
done; ls /dev/hidraw*'

# Another client tries to import the same device through the second connection: a clean refusal.
show second-attach usbip_via 3241 attach -r 127.0.0.1 -b 1-1 && fail "a second attach was accepted"

show token-list fido2-token -L || fail "fido2-token -L"
show token-info fido2-token -I /dev/hidraw0 || fail "fido2-token -I"

# fido2-cred -M input: client data hash, relying party id, user name, user id (base64).
printf '%s\n' "$CDH_CRED" "$RP_ID" "vm-user" "dm0tdXNlci1pZA==" > /tmp/cred.in
show make-credential fido2-cred -M -i /tmp/cred.in -o /tmp/cred.out /dev/hidraw0 || fail "fido2-cred -M"
show credential cat /tmp/cred.out
# fido2-assert -G input: client data hash, relying party id, credential id (line 5 of the credential).
printf '%s\n%s\n%s\n' "$CDH_ASSERT" "$RP_ID" "$(sed -n 5p /tmp/cred.out)" > /tmp/assert.in
show get-assertion fido2-assert -G -i /tmp/assert.in -o /tmp/assert.out /dev/hidraw0 || fail "fido2-assert -G"
show assertion cat /tmp/assert.out

# Detach, then attach again on the same host connection: the server must take the new client.
show port usbip port
show detach usbip detach -p 0 || fail "usbip detach"
wait_for '! hidraw_present' 20 || fail "hidraw still there after detach"
step "detached"
show reattach usbip_via 3240 attach -r 127.0.0.1 -b 1-1 || fail "usbip attach after detach"
wait_for hidraw_present 30 || fail "no /dev/hidraw after the second attach"
show token-list-again fido2-token -L || fail "fido2-token -L after re-attach"

# The host now kills bandsim: the kernel must see the device go, and this guest must carry on.
step "kill-bandsim"
wait_for '! hidraw_present' 40 || fail "the band did not go away when bandsim died"
show port-after-kill usbip port
show kernel-log-after-kill sh -c "dmesg | grep -iE 'vhci|usb 1-1|disconnect' | tail -n 12"
step "survived"
finish
