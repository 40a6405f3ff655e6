import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bandctl as run } from '../support/bandctl.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bandctl-main-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bandctl = (args: string[]) => run(args);

describe('bandctl: where the command is on the command line', () => {
  it("takes a command's own option before the command (bandctl --directory F directory ...)", async () => {
    const file = join(dir, 'directory.json');
    const added = await bandctl(['--directory', file, 'directory', 'add-user', 'tw-user2']);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(existsSync(file)).toBe(true);
    const users = await bandctl(['--json', '--directory', file, 'directory', 'users']);
    expect(users.code, users.stderr).toBe(0);
    expect(JSON.parse(users.stdout)).toMatchObject({ ok: true, directory: file, users: [{ name: 'tw-user2' }] });
  });

  it('still refuses an unknown option, wherever it is', async () => {
    for (const args of [
      ['--frobnicate', 'info'],
      ['--frobnicate', 'x', 'info'],
      ['info', '--frobnicate'],
    ]) {
      const run = await bandctl(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/info: unknown option --frobnicate/);
    }
  });

  it('an unknown word is still an unknown command, and a bad --transport is a usage error', async () => {
    const unknown = await bandctl(['frobnicate', 'info']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
    const transport = await bandctl(['--transport', 'carrier-pigeon:coop', 'info']);
    expect(transport.code).toBe(2);
    expect(transport.stderr).toBe(
      "bandctl: --transport 'carrier-pigeon:coop' is not a transport; use loopback, serial:PATH, tcp:HOST:PORT, udp-hid:HOST:PORT, hid:PATH or replay:FILE; see 'bandctl --help'\n",
    );
  });
});

describe('bandctl exit codes for a busy band and a departed replay', () => {
  it('CHANNEL_BUSY says the band is busy with another host (exit 1); a replay mismatch exits 1, not 3', async () => {
    const { BandClientError } = await import('../../host/errors.js');
    const { TransportError } = await import('../../transport/index.js');
    const { classify, describeFailure, ExitCode } = await import('../../host/cli/exit-codes.js');
    const { HidError } = await import('../../proto/index.js');
    const busy = new BandClientError('DEVICE_ERROR', 'the band answered CTAPHID ERROR CHANNEL_BUSY (0x06)', {
      hidError: HidError.CHANNEL_BUSY,
    });
    expect(classify(busy).exit).toBe(ExitCode.FAILED);
    expect(describeFailure(busy)).toBe('the band is busy with another host (CTAPHID CHANNEL_BUSY); retry');
    // The decision is the typed code the error carries, never its text.
    const other = new BandClientError('DEVICE_ERROR', 'CHANNEL_BUSY named in a message', {
      hidError: HidError.INVALID_CMD,
    });
    expect(describeFailure(other)).toBe('CHANNEL_BUSY named in a message');
    const { AuthenticationFailedError } = await import('../../host/errors.js');
    expect(classify(new AuthenticationFailedError('AUTHENTICATION_REASON_NO_MATCH', 'x'))).toEqual({
      exit: ExitCode.FAILED,
      code: 'AUTHENTICATION_FAILED',
    });
    for (const code of ['REPLAY_MISMATCH', 'REPLAY_FORMAT'] as const) {
      expect(classify(new TransportError(code, 'x')).exit).toBe(ExitCode.FAILED);
    }
    expect(classify(new TransportError('OPEN_FAILED', 'x')).exit).toBe(ExitCode.UNREACHABLE);
  });
});
