import { describe, expect, it } from 'vitest';
import { bandctl } from '../support/bandctl.js';

/** While bandctl waits for the person, a terminal shows that it waits; a pipe and --json get no animation. */
describe('waiting for the person', () => {
  const enroll = ['--transport', 'loopback', 'enroll', '--user', 'alice', '--step-timeout', '1500'];

  it('on a terminal: the instruction, then a spinner with the seconds waited, cleared before the next line', async () => {
    const run = await bandctl(enroll, { stdin: '', stderrTty: true });
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/^» Put the band on your wrist\.\n\r\x1b\[K⠋ waiting for you · 0 s/);
    expect(run.stderr).toMatch(/⠙ waiting for you · [01] s/);
    // The spinner's line is cleared before the failure is printed, so the message starts a clean line.
    expect(run.stderr).toMatch(/\r\x1b\[Kbandctl: [^\n]*waiting for the band to be worn[^\n]*\n$/);
  });

  it('on a pipe: only the lines', async () => {
    const run = await bandctl(enroll, { stdin: '' });
    expect(run.code).toBe(4);
    expect(run.stderr).not.toContain('\x1b[');
    expect(run.stderr).not.toContain('waiting for you');
  });

  it('--json: stdout is the one document, stderr only its JSON progress lines (no spinner, no sentences)', async () => {
    const run = await bandctl([...enroll, '--json'], { stdin: '', stderrTty: true });
    expect(run.code).toBe(4);
    expect(run.stderr).not.toContain('\x1b[');
    expect(run.stderr).not.toContain('waiting for you');
    // What was silent before is now the documented progress stream: one JSON object per line.
    expect(
      run.stderr
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).toEqual([
      { type: 'progress', command: 'enroll', step: 'wear-band' },
      { type: 'instruction', command: 'enroll', kind: 'wear-band', text: 'Put the band on your wrist.' },
    ]);
    expect(run.json()).toMatchObject({ ok: false, error: { code: 'TIMEOUT' } });
  });
});
