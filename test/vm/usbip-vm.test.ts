import { spawn } from 'node:child_process';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { Decoder } from 'cbor-x';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BAND_AAGUID } from '../../firmware-sim/fido2.js';
import { BandClient } from '../../host/index.js';
import { connectTcp } from '../../transport/index.js';
import { killAll, requireBuilt, startBandsim } from '../process/processes.js';
import { BUSYBOX_STATIC, DPKG_DEB, FIDO2_TOOLS, QEMU, SOCAT, USBIP, systemTool } from '../support/system-deps.js';
import { GuestUnavailable, buildGuestImage, fetchGuestKernel, type GuestImage } from './guest-image.js';

/**
 * The proof that the band is a USB security key to a real operating system: a Debian 6.1 kernel in QEMU (TCG,
 * no network) attaches `bandsim --usbip` with usbip(8) through a virtio-serial port, the kernel's usbhid
 * makes it /dev/hidraw0, and libfido2's command-line tools list it, read its getInfo, register a credential
 * and get an assertion, which this test verifies with the credential's public key. Then the guest detaches
 * and attaches again, a second importer is refused, and bandsim is killed under the attached device. The
 * guest's console is the evidence, attached to every failure. Touches come from this side through the band's
 * debug link on a TCP endpoint of the same bandsim: when the band shows CONFIRM, the rig presses its top button.
 */
const RP_ID = 'vm.band-stack.test';
/**
 * The harness kills QEMU here whatever the guest is doing. The guest needs about 30 s under TCG on an idle
 * 2-core machine; the margin is for a machine busy with the rest of the suite.
 */
const VM_DEADLINE_MS = 240_000;
const REQUIRE = process.env.REQUIRE_SYSTEM_DEPS === '1';

interface VmRun {
  console: string;
  exitCode: number | null;
  killedAtDeadline: boolean;
  stderr: string;
}

/** Boots the guest; `onStep` hears each "@@ ..." line as it comes. QEMU dies at the deadline regardless. */
function runVm(image: GuestImage, port: number, env: Record<string, string>, onStep: (step: string) => void) {
  const append = [
    'console=ttyS0',
    'quiet',
    'panic=-1',
    // Unknown name=value parameters become the environment of /init.
    ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
  ].join(' ');
  const port0 = `socket,id=usbip,host=127.0.0.1,port=${port}`;
  const port1 = `socket,id=usbip2,host=127.0.0.1,port=${port}`;
  const qemu = spawn(
    'qemu-system-x86_64',
    [
      '-accel',
      'tcg',
      '-nodefaults',
      '-no-reboot',
      '-nic',
      'none',
      '-display',
      'none',
      '-m',
      '512',
      '-smp',
      '1',
      '-serial',
      'stdio',
      '-kernel',
      image.kernel,
      '-initrd',
      image.initramfs,
      '-append',
      append,
      '-device',
      'virtio-serial-pci',
      '-chardev',
      port0,
      '-device',
      'virtserialport,chardev=usbip,name=usbip',
      '-chardev',
      port1,
      '-device',
      'virtserialport,chardev=usbip2,name=usbip-second',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let consoleText = '';
  let pending = '';
  let stderr = '';
  let killedAtDeadline = false;
  qemu.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    consoleText += chunk;
    pending += chunk;
    const lines = pending.split(/\r?\n/);
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('@@ ')) onStep(line.slice(3).trim());
  });
  qemu.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const deadline = setTimeout(() => {
    killedAtDeadline = true;
    qemu.kill('SIGKILL');
  }, VM_DEADLINE_MS);
  return new Promise<VmRun>((resolve) => {
    qemu.once('exit', (exitCode) => {
      clearTimeout(deadline);
      resolve({ console: consoleText.replace(/\r\n/g, '\n'), exitCode, killedAtDeadline, stderr });
    });
  });
}

/** "@@begin NAME" ... "@@end rc=N" sections of the console. */
function sections(log: string): Map<string, { text: string; rc: number }> {
  const found = new Map<string, { text: string; rc: number }>();
  for (const m of log.matchAll(/^@@begin (\S+)\n([\s\S]*?)^@@end rc=(\d+)$/gm)) {
    found.set(m[1], { text: m[2], rc: Number(m[3]) });
  }
  return found;
}

const cbor = new Decoder({ mapsAsObjects: false });
/** fido2-tools print authenticator data as base64 of its CBOR byte-string encoding. */
function authData(base64: string): Buffer {
  const raw = Buffer.from(base64, 'base64');
  const decoded: unknown = cbor.decode(raw);
  if (!(decoded instanceof Uint8Array)) throw new Error(`expected CBOR bytes for authenticator data, got ${base64}`);
  return Buffer.from(decoded);
}

/** WebAuthn §6.5.1: the attested credential data after rpIdHash, flags, signCount: AAGUID, id, COSE key. */
function attestedCredential(data: Buffer) {
  const idLength = data.readUInt16BE(53);
  const id = data.subarray(55, 55 + idLength);
  let key: Map<number, unknown> | undefined;
  cbor.decodeMultiple(data.subarray(55 + idLength), (value: unknown) => {
    key = value as Map<number, unknown>;
    return false;
  });
  if (!key) throw new Error('expected a COSE key after the credential id');
  return { aaguid: data.subarray(37, 53), id, key };
}

beforeAll(requireBuilt);
afterEach(killAll);

describe('the band as a USB security key to a Linux kernel and libfido2 (QEMU, USB/IP)', () => {
  it(
    'enumerates as FIDO HID, registers and asserts with fido2-tools, survives detach, a second importer and bandsim dying',
    { timeout: 290_000 },
    async (ctx) => {
      const missing = [QEMU, USBIP, SOCAT, FIDO2_TOOLS, BUSYBOX_STATIC, DPKG_DEB]
        .map((tool) => systemTool(tool))
        .find((check) => !check.ok);
      if (missing) return ctx.skip(missing.reason);
      let image: GuestImage;
      const started = Date.now();
      const progress = (what: string) =>
        console.log(`[usbip-vm ${((Date.now() - started) / 1000).toFixed(1)} s] ${what}`);
      try {
        image = buildGuestImage(fetchGuestKernel());
        progress(`guest ${image.kernelVersion}: ${image.note}`);
      } catch (error) {
        if (!(error instanceof GuestUnavailable)) throw error;
        if (REQUIRE) throw new Error(`REQUIRE_SYSTEM_DEPS=1 but ${error.message}`, { cause: error });
        console.warn(`SKIP: ${error.message}`);
        return ctx.skip(error.message);
      }
      const band = await startBandsim([
        '--usbip',
        '127.0.0.1:0',
        '--tcp',
        '127.0.0.1:0',
        '--debug-link',
        '--preset',
        'authenticated',
        '--user',
        'tw-user2',
        '--seed',
        'usbip-vm',
      ]);
      const usbipPort = Number(band.endpoints.usbip?.split(':').pop());
      progress(`bandsim --usbip on port ${usbipPort}`);
      // The user's hands: the debug link on the band's TCP endpoint. It has its own slot, so it acts while
      // the band waits for the touch a libfido2 request over USB asked for.
      const [tcpHost, tcpPort] = (band.endpoints.tcp ?? '').split(':');
      const handsLink = await connectTcp(tcpHost, Number(tcpPort));
      const hands = new BandClient(handsLink);
      const releaseHands = () => {
        hands.close();
        void handsLink.close();
      };
      const touches: string[] = [];
      const confirms = hands.events({
        filter: (event) => event.case === 'screenChanged' && event.value.screen === 'SCREEN_CONFIRM',
      });
      void (async () => {
        for await (const event of confirms) {
          if (event.case !== 'screenChanged') continue;
          touches.push(event.value.screen);
          hands.debug.press('BUTTON_TOP').then(
            () => progress('touched the band (debug link: top button)'),
            (error: unknown) => progress(`the touch failed: ${String(error)}`),
          );
        }
      })();
      const cdhCred = randomBytes(32);
      const cdhAssert = randomBytes(32);
      const steps: string[] = [];
      let vm: VmRun;
      try {
        vm = await runVm(
          image,
          usbipPort,
          { CDH_CRED: cdhCred.toString('base64'), CDH_ASSERT: cdhAssert.toString('base64'), RP_ID },
          (step) => {
            progress(step);
            steps.push(step);
            if (step === 'kill-bandsim') {
              releaseHands();
              band.child.kill('SIGKILL');
            }
          },
        );
      } finally {
        releaseHands();
        if (band.child.exitCode === null && band.child.signalCode === null) band.child.kill('SIGKILL');
      }
      progress(`qemu exited (${vm.exitCode})`);
      const evidence = [
        `guest: ${image.kernelVersion} (${image.note})`,
        `qemu exit ${vm.exitCode}${vm.killedAtDeadline ? ` (killed at the ${VM_DEADLINE_MS} ms deadline)` : ''}`,
        `qemu stderr: ${vm.stderr.trim()}`,
        '--- guest console ---',
        vm.console,
        '--- bandsim ---',
        band.output(),
      ].join('\n');
      if (!steps.length && !REQUIRE && vm.exitCode !== 0) {
        console.warn(`SKIP: QEMU could not start the guest\n${evidence}`);
        return ctx.skip('QEMU could not start the guest');
      }
      const out = sections(vm.console);
      const section = (name: string) => {
        const found = out.get(name);
        expect(found, `the guest printed no "${name}" section\n${evidence}`).toBeDefined();
        return found as { text: string; rc: number };
      };

      // The guest ran to its end, on its own, and said nothing failed.
      expect(
        steps.filter((s) => s.startsWith('FAIL')),
        evidence,
      ).toEqual([]);
      expect(steps, evidence).toEqual(expect.arrayContaining(['relays ready', 'detached', 'kill-bandsim', 'survived']));
      expect(steps.at(-1), evidence).toBe('poweroff');
      expect(vm.killedAtDeadline, evidence).toBe(false);

      // usbip(8) lists and attaches it; the kernel makes it a HID device with the band's names.
      expect(section('devlist').text, evidence).toMatch(/1-1: .*\(1209:0001\)/);
      expect(section('kernel-log').text, evidence).toMatch(/new full-speed USB device/);
      expect(section('kernel-log').text, evidence).toMatch(/Product: Band AAAH-00125 \(bandsim\)/);
      expect(section('kernel-log').text, evidence).toMatch(/SerialNumber: AAAH-00125/);
      expect(section('hidraw-uevent').text, evidence).toMatch(/HID_NAME=band-stack Band AAAH-00125 \(bandsim\)/);
      const usb = section('usb-sysfs').text;
      for (const line of ['idVendor=1209', 'idProduct=0001', 'product=Band AAAH-00125 (bandsim)', 'serial=AAAH-00125'])
        expect(usb, evidence).toContain(line);
      expect(usb, evidence).toMatch(/speed=12\n/);
      expect(usb, evidence).toContain('/dev/hidraw0');

      // A second importer is refused cleanly: usbip(8) exits non-zero naming the busy device.
      const second = section('second-attach');
      expect(second.rc, evidence).not.toBe(0);
      expect(second.text, evidence).toMatch(/busy|failed/i);
      expect(band.output(), evidence).toMatch(/usbip refused import of 1-1 by .* \(status 2\)/);

      // libfido2 finds it on the FIDO usage page and reads its getInfo.
      expect(section('token-list').text, evidence).toMatch(/\/dev\/hidraw0: vendor=0x1209, product=0x0001/);
      const info = section('token-info').text;
      expect(info, evidence).toMatch(/FIDO_2_0/);
      expect(info, evidence).toContain(`aaguid: ${Buffer.from(BAND_AAGUID).toString('hex')}`);

      // Each ceremony waited for a touch and got it through the debug link.
      expect(touches.length, evidence).toBe(2);

      // The credential: rpIdHash, user present, the band's AAGUID, and the id libfido2 printed.
      expect(section('make-credential').rc, evidence).toBe(0);
      const cred = section('credential').text.trim().split('\n');
      expect(cred[0], evidence).toBe(cdhCred.toString('base64'));
      expect(cred[1], evidence).toBe(RP_ID);
      const credData = authData(cred[3]);
      expect(credData.subarray(0, 32).equals(createHash('sha256').update(RP_ID).digest()), evidence).toBe(true);
      expect(credData[32] & 0x41, evidence).toBe(0x41); // UP and AT
      const credential = attestedCredential(credData);
      expect(Buffer.from(credential.aaguid).equals(Buffer.from(BAND_AAGUID)), evidence).toBe(true);
      expect(credential.id.toString('base64'), evidence).toBe(cred[4]);
      const { key } = credential;
      expect([key.get(1), key.get(3), key.get(-1)], evidence).toEqual([2, -7, 1]); // EC2, ES256, P-256
      const publicKey = createPublicKey({
        key: {
          kty: 'EC',
          crv: 'P-256',
          x: Buffer.from(key.get(-2) as Uint8Array).toString('base64url'),
          y: Buffer.from(key.get(-3) as Uint8Array).toString('base64url'),
        },
        format: 'jwk',
      });

      // The assertion verifies with that key over authenticatorData || clientDataHash (WebAuthn §6.3.3).
      expect(section('get-assertion').rc, evidence).toBe(0);
      const assertion = section('assertion').text.trim().split('\n');
      expect(assertion[0], evidence).toBe(cdhAssert.toString('base64'));
      expect(assertion[1], evidence).toBe(RP_ID);
      const assertData = authData(assertion[2]);
      expect(assertData.subarray(0, 32).equals(credData.subarray(0, 32)), evidence).toBe(true);
      expect(assertData[32] & 0x01, evidence).toBe(0x01);
      const signature = Buffer.from(assertion[3], 'base64');
      const signed = Buffer.concat([assertData, cdhAssert]);
      expect(verify('sha256', signed, publicKey, signature), evidence).toBe(true);
      // And not over anything else: a different client data hash does not verify.
      expect(verify('sha256', Buffer.concat([assertData, cdhCred]), publicKey, signature), evidence).toBe(false);

      // Detach and attach again on the same host connection; bandsim saw both.
      expect(section('detach').rc, evidence).toBe(0);
      expect(section('reattach').rc, evidence).toBe(0);
      expect(section('token-list-again').text, evidence).toMatch(/vendor=0x1209, product=0x0001/);
      expect(band.output(), evidence).toMatch(/usbip detached by .* \(new-client-on-stream\)/);

      // bandsim died under the attached device: the guest's kernel let it go and the guest carried on.
      expect((await band.exited).signal, evidence).toBe('SIGKILL');
      expect(section('port-after-kill').text, evidence).not.toMatch(/Port in Use/);
      expect(section('kernel-log-after-kill').text, evidence).toMatch(/vhci_hcd: connection closed/);
      expect(section('kernel-log-after-kill').text, evidence).toMatch(/USB disconnect/);
      expect(vm.exitCode, evidence).toBe(0);
    },
  );
});
