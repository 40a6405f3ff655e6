import { describe, expect, it } from 'vitest';
import { ManualClock, OneTransaction, type BandDevice, type DeviceContext } from '../../firmware-sim/index.js';
import { Command, type Unit } from '../../transport/index.js';

/**
 * CTAPHID_CANCEL reaches the band through the transaction's signal, whenever the band looks at it: a band that
 * waits before it looks (the signal is made on first use) must still see the cancel that came meanwhile.
 */
function bandThatLooksLate() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const seen: boolean[] = [];
  const device: BandDevice = {
    onEvent: () => () => undefined,
    async handle(unit: Unit, ctx: DeviceContext) {
      await gate;
      seen.push(ctx.signal.aborted);
      return unit;
    },
  };
  return { device, seen, release };
}

const cbor: Unit = { command: Command.CBOR, payload: Uint8Array.of(0x04) };

function hooks(answers: Unit[]) {
  return { clock: new ManualClock(), answer: (unit: Unit) => answers.push(unit), keepalive: () => undefined };
}

describe('a transaction and its cancel signal', () => {
  it('a cancel before the band first reads the signal leaves it aborted when it does', async () => {
    const { device, seen, release } = bandThatLooksLate();
    const answers: Unit[] = [];
    const transaction = OneTransaction.of(device).begin(cbor, hooks(answers))!;
    transaction.cancel();
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([true]);
    expect(answers).toHaveLength(1);
  });

  it('without a cancel the signal is not aborted; a listener added first hears a later cancel', async () => {
    let heard = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const device: BandDevice = {
      onEvent: () => () => undefined,
      async handle(unit: Unit, ctx: DeviceContext) {
        expect(ctx.signal.aborted).toBe(false);
        ctx.signal.addEventListener('abort', () => heard++);
        await gate;
        return unit;
      },
    };
    const answers: Unit[] = [];
    const transaction = OneTransaction.of(device).begin(cbor, hooks(answers))!;
    transaction.abandon();
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(heard).toBe(1);
    // Abandoned: the band winds down but nothing is sent.
    expect(answers).toHaveLength(0);
  });
});
