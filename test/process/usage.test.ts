import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BANDSIM, bandctl, killAll, requireBuilt, startBandctl } from './processes.js';

/** Command-line mistakes: exit 2 and a message that says what was expected, for both programs. */
beforeAll(requireBuilt);
afterEach(killAll);

/** bandsim with arguments that must be refused before it opens anything. */
function bandsim(args: string[]) {
  return startBandctl(args, { command: [process.execPath, BANDSIM] }).done;
}

describe('bandctl bad command lines exit 2 with usage', () => {
  const cases: [string[], RegExp][] = [
    [['info', '--frobnicate'], /info: unknown option --frobnicate; see 'bandctl info --help'/],
    [['--frobnicate', 'info'], /info: unknown option --frobnicate/],
    [['frobnicate'], /unknown command 'frobnicate'; commands: list, info, /],
    [['--timeout', 'soon', 'info'], /expected --timeout to be a positive whole number of milliseconds, got 'soon'/],
    [['enroll'], /enroll: expected --user NAME/],
    [
      ['--transport', 'carrier-pigeon:coop', 'info'],
      /--transport 'carrier-pigeon:coop' is not a transport; use loopback, /,
    ],
  ];
  for (const [args, message] of cases) {
    it(`bandctl ${args.join(' ')}`, async () => {
      const run = await bandctl(args);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(message);
      // One line; the help, where it is named, named once.
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect((run.stderr.match(/--help/g) ?? []).length).toBeLessThanOrEqual(1);
    });
  }

  it('bandctl with no arguments prints the usage and exits 2', async () => {
    const run = await bandctl([]);
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/^usage: bandctl \[--transport URI\] \[--json\]/m);
    expect(run.stdout).toMatch(/^ {2}trace {7}/m);
  });

  it('--json: the usage error is the one JSON document', async () => {
    const run = await bandctl(['info', '--json', '--frobnicate']);
    expect(run.code).toBe(2);
    expect(run.json()).toMatchObject({ ok: false, error: { code: 'USAGE' } });
  });
});

describe('bandsim bad command lines exit 2 with usage', () => {
  const cases: [string[], RegExp][] = [
    [['--frobnicate'], /unknown option --frobnicate/],
    [[], /expected at least one endpoint/],
    [['--tcp', 'localhost'], /expected --tcp HOST:PORT \(e\.g\. 127\.0\.0\.1:8111\), got 'localhost'/],
    [['--tcp', '127.0.0.1:0', '--preset', 'enrolled'], /--preset enrolled needs --user NAME/],
    [
      ['--tcp', '127.0.0.1:0', '--preset', 'sideways'],
      /expected --preset blank, enrolled or authenticated, got 'sideways'/,
    ],
    [['--tcp', '127.0.0.1:0', '--baud', '9600'], /--baud goes with --serial/],
    [['--tcp', '127.0.0.1:0', '--serial-number', 'abc'], /expected --serial-number of four capital letters/],
    [['--tcp', '127.0.0.1:0', 'extra'], /unexpected argument 'extra'/],
  ];
  for (const [args, message] of cases) {
    it(`bandsim ${args.join(' ') || '(nothing)'}`, async () => {
      const run = await bandsim(args);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(message);
      // One line and the help to read, not the whole usage text.
      expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/; see 'bandsim --help'\n$/);
    });
  }

  it('bandsim --help prints the usage on stdout and exits 0', async () => {
    const run = await bandsim(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^bandsim — a band as a process/);
  });
});
