#!/usr/bin/env node
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isSerialNumber, SERIAL_NUMBER_EXAMPLE, SERIAL_NUMBER_FORM } from '../proto/index.js';
import {
  listenTcp,
  listenUdpHid,
  listenUsbip,
  openSerial,
  type Transport,
  type UsbipServerEvent,
} from '../transport/index.js';
import { BandEmulator } from './band-emulator.js';
import {
  ATTESTATION_MODES,
  EnterpriseProvisioningError,
  enterpriseRpIdsProblem,
  type AttestationMode,
} from './ctap2/index.js';
import { CtapHidDevice } from './ctaphid-device.js';
import { bandAttestationRoot } from './fido2.js';
import { applyPreset, type Preset } from './preset.js';
import { serveBand } from './serve.js';
import { systemWorld } from './world.js';

const USAGE = `bandsim — a band as a process, on real ports

usage: bandsim [endpoints] [options]

endpoints (any combination, at least one; one band behind all of them):
  --serial PATH        serve COBS/CRC frames on a serial port or pty (e.g. one end of a socat pair)
  --baud N             serial speed (default 115200)
  --tcp HOST:PORT      serve frames over TCP (port 0: any free port)
  --udp-hid HOST:PORT  serve 64-byte CTAPHID reports over UDP (python-fido2, bandctl udp-hid:)
  --usbip HOST:PORT    be a USB FIDO security key over USB/IP, bus id 1-1 (usbip attach -r HOST -b 1-1;
                       usbip's own port is 3240)

options:
  --state DIR          keep the band's flash in DIR (survives restarts); memory when absent
  --serial-number SN   printed on its back, e.g. AAAH-00125 (default AAAH-00125)
  --seed TEXT          deterministic randomness (same seed + same script = same bytes)
  --seos               the band can carry an HID SEOS credential
  --preset KIND        blank | enrolled | authenticated (enrolled/authenticated need --user);
                       ignored, with a note, when --state already holds a user
  --user NAME          the user of --preset
  --auto-presence      FIDO2 user presence without a tap (rigs only; off by default)
  --debug-link         answer the debug link (command 0x42): buttons, finger, wrist, clock, power
  --attestation MODE   batch (default): makeCredential's packed attestation carries the batch certificate
                       (x5c) under the band model's root CA; self: signed by the new credential's key, no x5c
  --attestation-root-out FILE
                       write the band model's root CA certificate (PEM), the one a relying party trusts for
                       batch and enterprise attestation; with no endpoint, write it and exit
  --enterprise-rp ID   (repeatable) an RP ID the band gives vendor-facilitated enterprise attestation to, once
                       it is enabled (bandctl fido2 config enable-enterprise-attestation); burned into the band's
                       factory data on its first start and unchangeable after (CTAP 2.1 §7.1.1)
  --version            print bandsim's version
  -h, --help           this text

Prints one line per endpoint when it is ready ("listening udp-hid 127.0.0.1:8111"), then "ready".
Stops cleanly on SIGINT/SIGTERM. Exit codes: 0 stopped by a signal, 1 failed, 2 bad command line.`;

class UsageError extends Error {}

const OPTIONS = {
  serial: { type: 'string' },
  baud: { type: 'string' },
  tcp: { type: 'string' },
  'udp-hid': { type: 'string' },
  usbip: { type: 'string' },
  state: { type: 'string' },
  'serial-number': { type: 'string' },
  seed: { type: 'string' },
  seos: { type: 'boolean' },
  preset: { type: 'string' },
  user: { type: 'string' },
  'auto-presence': { type: 'boolean' },
  'debug-link': { type: 'boolean' },
  attestation: { type: 'string' },
  'attestation-root-out': { type: 'string' },
  'enterprise-rp': { type: 'string', multiple: true },
  version: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/**
 * The command line's mistakes in bandsim's words, found from parseArgs' tokens rather than its error text
 * (which suggests '--' quoting, no help here): an unknown option, a missing or unwanted value, an argument.
 */
function optionProblem(argv: string[]): string | undefined {
  const { tokens } = parseArgs({ args: argv, options: OPTIONS, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind === 'positional') return `unexpected argument '${token.value}' (every option starts with --)`;
    if (token.kind !== 'option') continue;
    const spec = (OPTIONS as Record<string, { type: string }>)[token.name];
    if (!spec) return `unknown option ${token.rawName}`;
    if (spec.type === 'string' && token.value === undefined) return `${token.rawName} needs a value`;
    if (spec.type === 'boolean' && token.inlineValue) return `${token.rawName} takes no value`;
  }
  return undefined;
}

/** The version in the package's package.json: the nearest one above this file. */
function version(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

function hostPort(flag: string, value: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  const host = value.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(value.slice(at + 1));
  if (at <= 0 || !host || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`expected ${flag} HOST:PORT (e.g. 127.0.0.1:8111), got '${value}'`);
  }
  return { host, port };
}

function parse(argv: string[]) {
  const problem = optionProblem(argv);
  if (problem) throw new UsageError(problem);
  const parsed = parseArgs({ args: argv, strict: true, allowPositionals: false, options: OPTIONS });
  const v = parsed.values;
  if (v.help) return { help: true as const };
  if (v.version) return { version: true as const };
  const attestation = v.attestation ?? 'batch';
  if (!(ATTESTATION_MODES as readonly string[]).includes(attestation))
    throw new UsageError(`expected --attestation ${ATTESTATION_MODES.join(' or ')}, got '${attestation}'`);
  const attestationRootOut = v['attestation-root-out'];
  if (!v.serial && !v.tcp && !v['udp-hid'] && !v.usbip && attestationRootOut === undefined)
    throw new UsageError(
      'expected at least one endpoint: --serial PATH, --tcp HOST:PORT, --udp-hid HOST:PORT or --usbip HOST:PORT',
    );
  const enterpriseRpIds = v['enterprise-rp'] ?? [];
  const rpProblem = enterpriseRpIdsProblem(enterpriseRpIds);
  if (rpProblem !== undefined) throw new UsageError(`--enterprise-rp: ${rpProblem}`);
  const baud = v.baud === undefined ? undefined : Number(v.baud);
  if (baud !== undefined && (!Number.isInteger(baud) || baud <= 0))
    throw new UsageError(`expected --baud to be a positive whole number, got '${v.baud}'`);
  if (v.baud !== undefined && !v.serial) throw new UsageError('--baud goes with --serial');
  const kind = v.preset ?? 'blank';
  if (kind !== 'blank' && kind !== 'enrolled' && kind !== 'authenticated') {
    throw new UsageError(`expected --preset blank, enrolled or authenticated, got '${kind}'`);
  }
  if (kind !== 'blank' && !v.user) throw new UsageError(`--preset ${kind} needs --user NAME`);
  if (v.user && kind === 'blank') throw new UsageError('--user goes with --preset enrolled or --preset authenticated');
  const serialNumber = v['serial-number'] ?? 'AAAH-00125';
  if (!isSerialNumber(serialNumber)) {
    throw new UsageError(
      `expected --serial-number of ${SERIAL_NUMBER_FORM} (e.g. ${SERIAL_NUMBER_EXAMPLE}), got '${String(serialNumber)}'`,
    );
  }
  return {
    help: false as const,
    serial: v.serial,
    baud,
    tcp: v.tcp === undefined ? undefined : hostPort('--tcp', v.tcp),
    udpHid: v['udp-hid'] === undefined ? undefined : hostPort('--udp-hid', v['udp-hid']),
    usbip: v.usbip === undefined ? undefined : hostPort('--usbip', v.usbip),
    state: v.state,
    serialNumber,
    seed: v.seed,
    seos: v.seos ?? false,
    preset: { kind, userName: v.user } as Preset,
    autoPresence: v['auto-presence'] ?? false,
    debugLink: v['debug-link'] ?? false,
    attestation: attestation as AttestationMode,
    attestationRootOut,
    enterpriseRpIds,
  };
}

function describeUsbipEvent(event: UsbipServerEvent): string {
  switch (event.kind) {
    case 'imported':
      return `attached ${event.busId} by ${event.peer}`;
    case 'released':
      return `detached by ${event.peer} (${event.reason})`;
    case 'refused':
      return `refused import of ${event.busId} by ${event.peer} (status ${event.status})`;
    case 'error':
      return `dropped ${event.peer}: ${event.error.message}`;
  }
}

async function run(argv: string[]): Promise<number> {
  let options;
  try {
    options = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`bandsim: ${error.message}; see 'bandsim --help'\n`);
    return 2;
  }
  if ('version' in options) {
    process.stdout.write(`bandsim ${version()}\n`);
    return 0;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  if (options.attestationRootOut !== undefined) {
    try {
      writeFileSync(options.attestationRootOut, new X509Certificate(bandAttestationRoot()).toString());
    } catch (error) {
      process.stderr.write(
        `bandsim: could not write --attestation-root-out ${options.attestationRootOut} (${(error as Error).message})\n`,
      );
      return 1;
    }
    if (!options.serial && !options.tcp && !options.udpHid && !options.usbip) return 0;
  }
  const world = systemWorld({ stateDir: options.state, seed: options.seed });
  let emulator: BandEmulator;
  try {
    emulator = new BandEmulator({
      world,
      serialNumber: options.serialNumber,
      seos: options.seos,
      autoPresence: options.autoPresence,
      debugLink: options.debugLink,
      attestation: options.attestation,
      enterpriseRpIds: options.enterpriseRpIds,
    });
  } catch (error) {
    if (!(error instanceof EnterpriseProvisioningError)) throw error;
    process.stderr.write(
      `bandsim: --enterprise-rp: ${error.message}; start it without --enterprise-rp, or with a new --state DIR\n`,
    );
    return 1;
  }
  const log = (line: string) => process.stdout.write(`${line}\n`);
  if (emulator.band.storageFault)
    log(
      `warning: ${emulator.band.storageFault.message}; the band answers ERROR_CODE_STORAGE until its state is repaired`,
    );
  if (options.preset.kind !== 'blank') {
    if (emulator.band.enrolled) {
      log(
        `note: ${options.state} already holds user ${emulator.band.getState().userName}; --preset ${options.preset.kind} ignored`,
      );
    } else {
      applyPreset(emulator.band, world.body, options.preset);
    }
  }
  const device = emulator;
  const closers: (() => Promise<void>)[] = [];
  let endpoints = 0;
  const endpointGone = (name: string, error?: Error) => {
    log(`closed ${name}${error ? `: ${error.message}` : ''}`);
    if (--endpoints === 0) void shutdown(1, 'every endpoint is gone');
  };

  const serve = (transport: Transport) => {
    const serving = serveBand(device, transport);
    transport.onClose((error) => {
      serving.stop();
      // A host that stopped reading is dropped so it cannot grow the band's memory (docs/protocol.md, "Backpressure").
      if (error?.code === 'PEER_NOT_READING') log(`dropped ${transport.name}: ${error.message}`);
    });
    return serving;
  };

  try {
    if (options.serial) {
      const transport = await openSerial(options.serial, { baudRate: options.baud });
      serve(transport);
      endpoints++;
      transport.onClose((error) => endpointGone(`serial ${options.serial}`, error));
      closers.push(() => transport.close());
      log(`listening serial ${options.serial}`);
    }
    if (options.tcp) {
      const server = await listenTcp(options.tcp.host, options.tcp.port, (transport) => void serve(transport));
      endpoints++;
      closers.push(() => server.close());
      log(`listening tcp ${server.address.host}:${server.address.port}`);
    }
    if (options.udpHid) {
      const hid = new CtapHidDevice(device, { random: (n) => world.random.bytes(n), clock: world.clock });
      const server = await listenUdpHid(options.udpHid.host, options.udpHid.port, (report, reply) =>
        hid.receive(report, reply),
      );
      endpoints++;
      closers.push(async () => {
        hid.close();
        await server.close();
      });
      log(`listening udp-hid ${server.address.address}:${server.address.port}`);
    }
    if (options.usbip) {
      const hid = new CtapHidDevice(device, { random: (n) => world.random.bytes(n), clock: world.clock });
      const server = await listenUsbip(
        options.usbip.host,
        options.usbip.port,
        {
          strings: {
            manufacturer: 'band-stack',
            product: `Band ${options.serialNumber} (bandsim)`,
            serialNumber: options.serialNumber,
          },
          onReport: (report, reply) => hid.receive(report, reply),
        },
        { onEvent: (event) => log(`usbip ${describeUsbipEvent(event)}`) },
      );
      endpoints++;
      closers.push(async () => {
        hid.close();
        await server.close();
      });
      log(`listening usbip ${server.address.host}:${server.address.port}`);
    }
  } catch (error) {
    process.stderr.write(`bandsim: ${(error as Error).message}\n`);
    for (const close of closers) await close().catch(() => undefined);
    emulator.close();
    return 1;
  }
  log('ready');

  let stopping = false;
  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));
  const shutdown = async (code: number, why: string) => {
    if (stopping) return;
    stopping = true;
    log(`stopping: ${why}`);
    for (const close of closers) await close().catch(() => undefined);
    // Every flash commit is already durable (fsync before rename); closing stops the band's timers.
    emulator.close();
    finish(code);
  };
  process.once('SIGINT', () => void shutdown(0, 'SIGINT'));
  process.once('SIGTERM', () => void shutdown(0, 'SIGTERM'));
  return done;
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), 1_000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`bandsim: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
