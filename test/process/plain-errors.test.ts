import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BANDSIM, bandctl, killAll, requireBuilt, ROOT, startBandctl } from './processes.js';

/**
 * What a person reads when the command line is wrong, run as the processes a person runs: the exit code and the
 * exact one line, in the CLI's own terms (flags and commands), the help named once.
 */
beforeAll(requireBuilt);
afterAll(killAll);

const bandsim = (args: string[]) => startBandctl(args, { command: [process.execPath, BANDSIM] }).done;
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('unknown flags get one plain line, not the option parser text', () => {
  for (const flag of ['--junit', '--verbose', '--debug', '--quiet']) {
    it(`bandctl info ${flag}`, async () => {
      const run = await bandctl(['info', flag]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(`bandctl: info: unknown option ${flag}; see 'bandctl info --help'\n`);
    });
  }

  it('a string option without its value', async () => {
    const run = await bandctl(['enroll', '--user']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("bandctl: enroll: --user needs a value; see 'bandctl enroll --help'\n");
  });

  it('bandsim --verbose', async () => {
    const run = await bandsim(['--tcp', '127.0.0.1:0', '--verbose']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("bandsim: unknown option --verbose; see 'bandsim --help'\n");
  });
});

describe('usage errors are one line with the help named once', () => {
  it('a usage error is its own one line, nothing appended', async () => {
    const run = await bandctl(['--timeout', 'soon', 'info']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("bandctl: expected --timeout to be a positive whole number of milliseconds, got 'soon'\n");
  });

  it('a bad transport URI is one line', async () => {
    const run = await bandctl(['--transport', 'tcp:nowhere', 'info']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      "bandctl: --transport 'tcp:nowhere' is not a transport; use loopback, serial:PATH, tcp:HOST:PORT, udp-hid:HOST:PORT, hid:PATH or replay:FILE; see 'bandctl --help'\n",
    );
  });

  it('bandsim: one line and the help to read, not the whole usage text', async () => {
    const run = await bandsim(['--tcp', 'localhost']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      "bandsim: expected --tcp HOST:PORT (e.g. 127.0.0.1:8111), got 'localhost'; see 'bandsim --help'\n",
    );
  });
});

describe('--version', () => {
  it('bandctl --version', async () => {
    const run = await bandctl(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`bandctl ${version}\n`);
  });

  it('bandsim --version', async () => {
    const run = await bandsim(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`bandsim ${version}\n`);
  });
});

describe('bandsim --state on an existing directory it cannot write', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'band-stack-ro-'));
    chmodSync(dir, 0o555);
  });
  afterAll(() => {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  });

  it('says the directory is not writable (not "could not create"); exit 1', () => {
    // root may write anywhere: the check runs as an ordinary user (nobody) when the tests run as root.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const run = spawnSync(process.execPath, [BANDSIM, '--tcp', '127.0.0.1:0', '--state', dir], {
      encoding: 'utf8',
      timeout: 20_000,
      ...asNobody,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `bandsim: the state directory ${dir} exists but is not writable by this user; pick another --state path or fix its permissions\n`,
    );
  });
});

describe("a band that cannot be reached or goes away: one line, in bandctl's terms", () => {
  let silent: Server;
  let closing: Server;
  const held: Socket[] = [];
  const port = (server: Server) => (server.address() as AddressInfo).port;
  beforeAll(async () => {
    silent = createServer((socket) => held.push(socket));
    closing = createServer((socket) => socket.destroy());
    await Promise.all([silent, closing].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  });
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await Promise.all([silent, closing].map((s) => new Promise((r) => s.close(r))));
  });

  it('nothing listening (udp-hid): no nested causes, no doubled advice; exit 3', async () => {
    const run = await bandctl(['--transport', 'udp-hid:127.0.0.1:1', 'info']);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      'bandctl: nothing answers at udp-hid:127.0.0.1:1; start the band there (bandsim --udp-hid 127.0.0.1:1) or fix --transport\n',
    );
  });

  it("a serial port that does not exist points at 'bandctl list', not a library function", async () => {
    const run = await bandctl(['--transport', 'serial:/dev/no-such-band', 'info']);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      "bandctl: cannot open serial:/dev/no-such-band; check the port with 'bandctl list' and that you may use it (dialout group)\n",
    );
  });

  it('a band that does not answer names --timeout, not timeoutMs; exit 4', async () => {
    const uri = `tcp:127.0.0.1:${port(silent)}`;
    const run = await bandctl(['--timeout', '300', '--transport', uri, 'info']);
    expect(run.code).toBe(4);
    expect(run.stderr).toBe(
      `bandctl: the band at ${uri} did not answer within 300 ms; check it is powered and connected, or give it longer with --timeout\n`,
    );
  });

  it('a link closed by the band: one line, the advice once; exit 3', async () => {
    const uri = `tcp:127.0.0.1:${port(closing)}`;
    const run = await bandctl(['--transport', uri, 'info']);
    expect(run.code).toBe(3);
    expect(run.stderr).toBe(
      `bandctl: the link to the band at ${uri} closed; check the band is still running, then run the command again\n`,
    );
  });
});
