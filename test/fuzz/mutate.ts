/**
 * A seeded byte mutator in the style of AFL/libFuzzer's: bit and byte flips, interesting values, arithmetic,
 * inserted, deleted, duplicated and spliced ranges, truncation. Everything comes from one seeded generator, so a
 * run is reproducible from its seed and a failure from its printed input.
 */

/** splitmix32: small, fast, and good enough to pick mutations. */
export class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    let z = (this.#state = (this.#state + 0x9e3779b9) >>> 0);
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }
  /** 0 <= n < bound */
  int(bound: number): number {
    return bound <= 1 ? 0 : this.next() % bound;
  }
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }
}

const INTERESTING_8 = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x10, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x20, 0x40, 0x60, 0xa0, 0xbf];
const INTERESTING_16 = [0x0000, 0x00ff, 0x0100, 0x7fff, 0x8000, 0xffff, 0x1dc9, 0x0040];
const INTERESTING_32 = [0x00000000, 0x7fffffff, 0x80000000, 0xffffffff, 0x00010000];

/** One to `maxStacked` mutations of `input`, never longer than `maxLength`. */
export function mutate(
  random: Random,
  input: Uint8Array,
  corpus: readonly Uint8Array[],
  maxLength: number,
  maxStacked = 4,
): Uint8Array {
  let data: Uint8Array = Uint8Array.from(input);
  const rounds = 1 + random.int(maxStacked);
  for (let r = 0; r < rounds; r++) data = mutateOnce(random, data, corpus);
  return data.length > maxLength ? data.subarray(0, maxLength) : data;
}

function mutateOnce(random: Random, data: Uint8Array, corpus: readonly Uint8Array[]): Uint8Array {
  const n = data.length;
  const at = () => random.int(n);
  switch (random.int(n === 0 ? 3 : 14)) {
    case 0: // insert random bytes
    case 1: {
      const pos = random.int(n + 1);
      return concat(
        data.subarray(0, pos),
        random.bytes(1 + random.int(random.chance(0.1) ? 256 : 8)),
        data.subarray(pos),
      );
    }
    case 2: {
      // splice a range of another corpus entry in
      const other = corpus.length ? random.pick(corpus) : random.bytes(8);
      const from = random.int(other.length + 1);
      const piece = other.subarray(from, from + 1 + random.int(64));
      const pos = random.int(n + 1);
      return concat(data.subarray(0, pos), piece, data.subarray(pos + (random.chance(0.5) ? piece.length : 0)));
    }
    case 3: {
      const i = at();
      data[i] ^= 1 << random.int(8);
      return data;
    }
    case 4: {
      data[at()] = random.next() & 0xff;
      return data;
    }
    case 5: {
      data[at()] = random.pick(INTERESTING_8);
      return data;
    }
    case 6: {
      const i = at();
      data[i] = (data[i] + random.int(35) - 17) & 0xff;
      return data;
    }
    case 7: {
      if (n < 2) return data;
      const i = random.int(n - 1);
      const v = random.pick(INTERESTING_16);
      data[i] = v >> 8;
      data[i + 1] = v & 0xff;
      return data;
    }
    case 8: {
      if (n < 4) return data;
      const i = random.int(n - 3);
      const v = random.pick(INTERESTING_32);
      new DataView(data.buffer, data.byteOffset).setUint32(i, v, random.chance(0.5));
      return data;
    }
    case 9: {
      // delete a range
      const i = at();
      return concat(data.subarray(0, i), data.subarray(Math.min(n, i + 1 + random.int(16))));
    }
    case 10: {
      // duplicate a range
      const i = at();
      const piece = data.subarray(i, Math.min(n, i + 1 + random.int(32)));
      return concat(data.subarray(0, i), piece, data.subarray(i));
    }
    case 11:
      // truncate
      return data.subarray(0, at());
    case 12: {
      // overwrite a range with a copy of another range
      const from = at();
      const to = at();
      const len = Math.min(1 + random.int(16), n - from, n - to);
      data.copyWithin(to, from, from + len);
      return data;
    }
    default: {
      // swap two bytes
      const i = at();
      const j = at();
      [data[i], data[j]] = [data[j], data[i]];
      return data;
    }
  }
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
