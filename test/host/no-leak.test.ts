import { describe, expect, it } from 'vitest';
import { BandEmulator, serveBand, testWorld } from '../../firmware-sim/index.js';
import { BandClient } from '../../host/index.js';
import { loopbackPair, type Transport } from '../../transport/index.js';

/** Handles of active timers (Node-internal, but the count is what matters and it is stable across versions). */
const activeTimers = () =>
  (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo().filter((r) => r === 'Timeout')
    .length;

describe('BandClient over the loopback, against the emulator', () => {
  it("getInfo returns the emulator's serial number", async () => {
    const emulator = new BandEmulator({ world: testWorld({ seed: 'info' }), serialNumber: 'ACAK-00056' });
    const [host, side] = loopbackPair();
    const serving = serveBand(emulator, side);
    const client = await BandClient.connect(host);
    expect((await client.getInfo()).serialNumber).toBe('ACAK-00056');
    client.close();
    serving.stop();
    await host.close();
    emulator.close();
  });

  it('10,000 sequential calls leave no listener or timer behind', async () => {
    const emulator = new BandEmulator({ world: testWorld({ seed: 'leak' }), serialNumber: 'AAAH-00125' });
    const [host, side] = loopbackPair();
    const serving = serveBand(emulator, side);
    const counted = countingTransport(host);
    const client = await BandClient.connect(counted.transport);
    for (let i = 0; i < 10; i++) await client.getInfo();
    const listenersBefore = counted.live();
    const timersBefore = activeTimers();
    for (let i = 0; i < 10_000; i++) {
      const info = await client.getInfo();
      if (info.serialNumber !== 'AAAH-00125') throw new Error(`call ${i} got ${info.serialNumber}`);
    }
    expect(counted.live()).toBe(listenersBefore);
    // Unrelated timers of the runner come and go; a leak would add one per call.
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
    expect(client.channel.busy()).toBe(false);
    expect(client.droppedUnits).toBe(0);
    // The count is real: an event wait holds a subscription until it settles.
    const waiting = (async () => {
      for await (const event of client.events({ signal: AbortSignal.timeout(50) })) void event;
    })();
    expect(counted.live()).toBeGreaterThan(listenersBefore);
    await waiting;
    expect(counted.live()).toBe(listenersBefore);
    client.close();
    serving.stop();
    await host.close();
    emulator.close();
  }, 120_000);
});

/** Wraps a transport and counts the subscriptions that are live (added and not yet removed). */
function countingTransport(inner: Transport) {
  let live = 0;
  const track =
    <A extends unknown[]>(subscribe: (listener: (...args: A) => void) => () => void) =>
    (listener: (...args: A) => void) => {
      live++;
      const off = subscribe(listener);
      let done = false;
      return () => {
        if (!done) live--;
        done = true;
        off();
      };
    };
  const transport: Transport = {
    get name() {
      return inner.name;
    },
    get isOpen() {
      return inner.isOpen;
    },
    send: (unit) => inner.send(unit),
    onUnit: track((l) => inner.onUnit(l)),
    onFrameError: track((l) => inner.onFrameError(l)),
    onClose: track((l) => inner.onClose(l)),
    close: () => inner.close(),
  };
  return { transport, live: () => live };
}
