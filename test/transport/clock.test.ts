import { describe, expect, it } from 'vitest';
import { runNow } from '../../transport/clock.js';
import { CtapHidError } from '../../transport/errors.js';
import { packetize, Reassembler } from '../../transport/ctaphid.js';

describe('runNow', () => {
  it('reads the wall clock once per synchronous run and afresh in the next one', async () => {
    const first = runNow();
    // Wait for the wall clock to move on without leaving this run: the stamp stays.
    while (Date.now() === first);
    expect(runNow()).toBe(first);
    await Promise.resolve();
    const next = runNow();
    expect(next).toBeGreaterThan(first);
    expect(next).toBeLessThanOrEqual(Date.now());
  });

  it("is the Reassembler's default clock: a message split across event-loop turns still times out", async () => {
    const reassembler = new Reassembler({ timeoutMs: 1 });
    const [init, cont] = packetize(7, 0x10, new Uint8Array(100));
    expect(reassembler.push(init)).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const [timeout, late] = reassembler.push(cont);
    expect(timeout).toBeInstanceOf(CtapHidError);
    expect((timeout as CtapHidError).code).toBe('HID_MSG_TIMEOUT');
    expect((late as CtapHidError).code).toBe('HID_INVALID_SEQ');
  });
});
