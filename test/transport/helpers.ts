import fc from 'fast-check';
import { FrameStreamDecoder } from '../../transport/frame-stream.js';
import type { TransportError } from '../../transport/errors.js';
import type { Transport, Unit } from '../../transport/transport.js';
import { MAX_UNIT_PAYLOAD } from '../../transport/unit.js';

/** Lets every setImmediate / nextTick already queued run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Bytes with plenty of zeros and 0xff, the values COBS treats specially. */
export const bytesArb = (maxLength: number) =>
  fc
    .array(fc.oneof(fc.constant(0), fc.constant(0xff), fc.constant(1), fc.integer({ min: 0, max: 255 })), { maxLength })
    .map((a) => Uint8Array.from(a));

export const commandArb = fc.integer({ min: 0, max: 0x7f });

/** Payload sizes: anything up to the maximum, boundaries weighted in. */
export const payloadSizeArb = fc.oneof(
  fc.constantFrom(0, 1, 252, 253, 254, 255, 256, 507, 508, 7608, MAX_UNIT_PAYLOAD),
  fc.integer({ min: 0, max: MAX_UNIT_PAYLOAD }),
);

export const unitArb = (maxPayload = 600) =>
  fc.record({ command: commandArb, payload: bytesArb(maxPayload) }) as fc.Arbitrary<Unit>;

export function payloadOfSize(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    // Every fifth byte a zero so COBS has groups of every length.
    out[i] = i % 5 === 0 ? 0 : x & 0xff;
  }
  return out;
}

/** Runs bytes through a real FrameStreamDecoder in the given chunking and returns what came out. */
export async function decodeStream(
  chunks: Uint8Array[],
  options: { end?: boolean } = {},
): Promise<{ units: Unit[]; errors: TransportError[] }> {
  const units: Unit[] = [];
  const errors: TransportError[] = [];
  const decoder = new FrameStreamDecoder({ onUnit: (u) => units.push(u), onError: (e) => errors.push(e) });
  for (const chunk of chunks) decoder.write(chunk);
  if (options.end) decoder.end();
  await settle();
  await settle();
  decoder.destroy();
  return { units, errors };
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Cuts bytes at the given (sorted, deduplicated here) positions. */
export function cut(bytes: Uint8Array, at: number[]): Uint8Array[] {
  const points = [...new Set(at.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}

export function sameUnit(a: Unit, b: Unit): boolean {
  return a.command === b.command && Buffer.from(a.payload).equals(Buffer.from(b.payload));
}

/** Records what a transport delivers. */
export function record(t: Transport) {
  const units: Unit[] = [];
  const frameErrors: TransportError[] = [];
  const closes: (TransportError | undefined)[] = [];
  t.onUnit((u) => units.push(u));
  t.onFrameError((e) => frameErrors.push(e));
  t.onClose((e) => closes.push(e));
  return { units, frameErrors, closes };
}

/** Waits until `predicate` holds, polling on the event loop; fails with `what` after `limit` turns. */
export async function until(predicate: () => boolean, what: string, limit = 2_000): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (predicate()) return;
    await new Promise((r) => setTimeout(r, i < 100 ? 0 : 5));
  }
  throw new Error(`gave up waiting for ${what}`);
}
