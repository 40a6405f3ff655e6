/**
 * The flash's key-value state as RAM holds it (flash.ts): every value's bytes in one arena, each key mapped to the
 * offset of its record there (a 4-byte little-endian length, then the bytes). A value is a dozen bytes to a few
 * hundred; kept as a Uint8Array each, with its ArrayBuffer, it cost ~200 bytes of heap before its first byte, and a
 * band holds ten of them: a fleet of a thousand bands in one process held 2 MB of them.
 *
 * A changed or deleted value leaves its old record behind as garbage; when the arena is full, the live records move
 * to a new one of twice their size, so it stays within about twice what is live (64 bytes at least).
 */
export class FlashValues {
  readonly #at = new Map<string, number>();
  #arena = new Uint8Array(0);
  /** Bytes of the arena written so far; records of live values take `#live` of them. */
  #used = 0;
  #live = 0;

  get size(): number {
    return this.#at.size;
  }

  has(key: string): boolean {
    return this.#at.has(key);
  }

  /** The value's bytes in place: read them before the next change (set, delete, clear). */
  view(key: string): Uint8Array | undefined {
    const at = this.#at.get(key);
    return at === undefined ? undefined : this.#arena.subarray(at + 4, at + 4 + this.#length(at));
  }

  /** A copy of the value: the caller's to keep and change. */
  get(key: string): Uint8Array | undefined {
    const at = this.#at.get(key);
    return at === undefined ? undefined : this.#arena.slice(at + 4, at + 4 + this.#length(at));
  }

  keys(): IterableIterator<string> {
    return this.#at.keys();
  }

  /** Every key with its bytes in place (see view()). */
  entries(): [string, Uint8Array][] {
    const out: [string, Uint8Array][] = [];
    for (const key of this.#at.keys()) out.push([key, this.view(key)!]);
    return out;
  }

  /** Keeps a copy of `value` under `key`. */
  set(key: string, value: Uint8Array): void {
    const need = 4 + value.length;
    this.delete(key);
    if (this.#used + need > this.#arena.length) this.#compact(need);
    const at = this.#used;
    const arena = this.#arena;
    const n = value.length;
    arena[at] = n & 0xff;
    arena[at + 1] = (n >>> 8) & 0xff;
    arena[at + 2] = (n >>> 16) & 0xff;
    arena[at + 3] = n >>> 24;
    arena.set(value, at + 4);
    this.#used += need;
    this.#live += need;
    this.#at.set(key, at);
  }

  delete(key: string): boolean {
    const at = this.#at.get(key);
    if (at === undefined) return false;
    this.#live -= 4 + this.#length(at);
    return this.#at.delete(key);
  }

  #length(at: number): number {
    const a = this.#arena;
    return (a[at] | (a[at + 1] << 8) | (a[at + 2] << 16) | (a[at + 3] << 24)) >>> 0;
  }

  /** Moves the live records to a new arena with room for `need` more bytes and as much again. */
  #compact(need: number): void {
    const old = this.#arena;
    const arena = new Uint8Array(Math.max(64, 2 * (this.#live + need)));
    let used = 0;
    for (const [key, at] of this.#at) {
      const length = 4 + this.#length(at);
      arena.set(old.subarray(at, at + length), used);
      this.#at.set(key, used);
      used += length;
    }
    this.#arena = arena;
    this.#used = used;
  }
}
