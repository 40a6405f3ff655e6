import { COMMANDS } from './commands/index.js';
import { GLOBAL_OPTIONS, type CliContext } from './command.js';
import { ExitCode, ReportedFailure, UsageError, classify } from './exit-codes.js';
import { failureMessage } from './messages.js';
import { Output } from './output.js';
import { packageVersion } from './version.js';
import { TransportError } from '../../transport/index.js';
import { DEFAULT_HEARTBEAT_INTERVAL_MS } from '../heartbeat.js';

/** --timeout when none is given. */
const DEFAULT_TIMEOUT_MS = 5_000;

const HELP = () => `bandctl — the host side of a band, as a command

usage: bandctl [--transport URI] [--json] [--timeout MS] [--heartbeat MS] [--record FILE] COMMAND [ARGS]

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(11)} ${c.summary}`).join('\n')}

transports (--transport, or $BANDCTL_TRANSPORT; default loopback):
  loopback[?preset=blank|enrolled|authenticated&user=NAME&serial=SERIAL]
                       an emulated band inside this process (gone when the command ends)
  serial:PATH[?baud=N] a band on a serial port (COBS/CRC frames, default 115200 baud)
  tcp:HOST:PORT        a band (bandsim --tcp) over TCP
  udp-hid:HOST:PORT    a band (bandsim --udp-hid) over CTAPHID reports in UDP datagrams
  hid:PATH | hid:auto  a USB HID FIDO device (node-hid; needs libusb / hidraw)
  replay:FILE          play back a recording made with --record

options:
  --version            print bandctl's version
  --json               print exactly one JSON document on stdout ({"ok": true, ...} or {"ok": false, "error": ...})
  --timeout MS         per-call timeout (default ${DEFAULT_TIMEOUT_MS}); also how long a band may stay silent (no reply, no
                       KEEPALIVE, no answer to a heartbeat PING) during a longer wait before bandctl calls it
                       gone (exit 3)
  --heartbeat MS       while waiting for the person to wipe, wear or touch the band, check on it this often
                       (default ${DEFAULT_HEARTBEAT_INTERVAL_MS}): a band that died is noticed within MS + --timeout
  waits on a person have their own flag: --wait (fido2, wipe, register-key), --step-timeout (enroll),
                       --user-timeout (reenroll); see 'bandctl COMMAND --help'
  --record FILE        append the exchange with the band to FILE (readable; replay with replay:FILE)

exit codes:
  0 ok · 1 the band, relying party or directory refused or failed, the band is busy with another host
  (CHANNEL_BUSY: retry), or a replay departed from its recording · 2 bad command line
  3 band unreachable or link lost · 4 timed out · 5 refused by the enterprise policy

'bandctl COMMAND --help' shows a command's own options.`;

export interface MainIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** Runs bandctl with `argv` (without node and script); resolves with the exit code. */
export async function main(argv: string[], io: MainIo): Promise<number> {
  const json = argv.includes('--json');
  const out = new Output(json, io.stdout, io.stderr);
  try {
    const { command, rest } = splitCommand(argv);
    if (!command) {
      if (argv.includes('--version')) {
        io.stdout.write(`bandctl ${packageVersion()}\n`);
        return ExitCode.OK;
      }
      if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
        io.stdout.write(`${HELP()}\n`);
        return argv.length === 0 ? ExitCode.USAGE : ExitCode.OK;
      }
      throw new UsageError(`expected a command, got ${argv.join(' ')}; see 'bandctl --help'`);
    }
    const found = COMMANDS.find((c) => c.name === command);
    if (!found)
      throw new UsageError(`unknown command '${command}'; commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout.write(`${found.usage}\n`);
      return ExitCode.OK;
    }
    const ctx: CliContext = {
      argv: rest,
      out,
      env: io.env,
      stdin: io.stdin,
      global: {
        transport: valueOf(argv, '--transport', '-t') ?? io.env.BANDCTL_TRANSPORT ?? 'loopback',
        record: valueOf(argv, '--record'),
        timeoutMs: parsePositive('--timeout', valueOf(argv, '--timeout'), DEFAULT_TIMEOUT_MS),
        heartbeatMs: parsePositive('--heartbeat', valueOf(argv, '--heartbeat'), DEFAULT_HEARTBEAT_INTERVAL_MS),
        json,
      },
    };
    await found.run(ctx);
    return ExitCode.OK;
  } catch (error) {
    if (error instanceof ReportedFailure) return error.exit;
    const { exit, code } = classify(error);
    const message =
      error instanceof TransportError && error.code === 'BAD_URI'
        ? badTransport(argv, io.env)
        : failureMessage(error, {
            transport: valueOf(argv, '--transport', '-t') ?? io.env.BANDCTL_TRANSPORT ?? 'loopback',
            timeoutMs: Number(valueOf(argv, '--timeout') ?? DEFAULT_TIMEOUT_MS),
          });
    // One line that says what happened and the one thing to do: nothing is appended to it.
    out.failure(code, message);
    return exit;
  }
}

/**
 * The command is the first word that is not a global option or its value. A command's own option may come
 * before the command too (`bandctl --directory F directory users`): the word after an option bandctl does not
 * know globally is taken as its value unless it names a command. The command parses its options itself and
 * refuses what it does not know.
 */
function splitCommand(argv: string[]): { command?: string; rest: string[] } {
  const isCommand = (word: string | undefined) => word !== undefined && COMMANDS.some((c) => c.name === word);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const name = arg.startsWith('--') ? arg.slice(2).split('=')[0] : arg === '-t' ? 'transport' : undefined;
    if (name !== undefined) {
      const spec = (GLOBAL_OPTIONS as Record<string, { type: string }>)[name];
      if (arg.includes('=') || spec?.type === 'boolean') continue;
      if (
        spec?.type === 'string' ||
        (!spec && name !== '' && argv[i + 1] !== undefined && !argv[i + 1].startsWith('-') && !isCommand(argv[i + 1]))
      )
        i++;
      continue;
    }
    if (arg === '-h') continue;
    return { command: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { rest: argv };
}

/** A --transport value that is no URI, in one line (the library's message lists every form on its own line). */
function badTransport(argv: string[], env: NodeJS.ProcessEnv): string {
  const given = valueOf(argv, '--transport', '-t');
  const where = given !== undefined ? `--transport '${given}'` : `BANDCTL_TRANSPORT '${env.BANDCTL_TRANSPORT ?? ''}'`;
  return `${where} is not a transport; use loopback, serial:PATH, tcp:HOST:PORT, udp-hid:HOST:PORT, hid:PATH or replay:FILE; see 'bandctl --help'`;
}

function valueOf(argv: string[], long: string, short?: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === long || (short && argv[i] === short)) return argv[i + 1];
    if (argv[i].startsWith(`${long}=`)) return argv[i].slice(long.length + 1);
  }
  return undefined;
}

function parsePositive(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`expected ${flag} to be a positive whole number of milliseconds, got '${value}'`);
  return n;
}
