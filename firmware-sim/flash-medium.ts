/**
 * What the flash image lives on: a few named files. The journal above decides what is written; the
 * chip (flash-chip.ts) decides which writes the power lets through.
 */
export interface FlashMedium {
  /** For messages: a path, or `memory:NAME`. */
  describe(file: string): string;
  read(file: string): Uint8Array | undefined;
  /** Appends and makes the bytes durable before returning. */
  append(file: string, bytes: Uint8Array): void;
  truncate(file: string, length: number): void;
  /** Atomically replaces `to` with `from` (durable before returning). */
  rename(from: string, to: string): void;
  remove(file: string): void;
}

/**
 * A flash image in RAM. It survives a simulated reboot because the test keeps the medium, not the band.
 * A file grows in place (its capacity doubles), so appending a journal record costs the record, not a copy of the
 * whole journal: a band's sign counter is one append per assertion.
 */
export class MemoryMedium implements FlashMedium {
  // A band has one or two files (the journal, a compaction's temporary file): a short list, not a Map with its
  // hash table (~150 bytes a band, and a fleet holds a thousand).
  private readonly files: MemoryFile[] = [];

  describe(file: string): string {
    return `memory:${file}`;
  }

  read(file: string): Uint8Array | undefined {
    const f = this.find(file);
    return f && f.bytes.slice(0, f.length);
  }

  append(file: string, bytes: Uint8Array): void {
    let f = this.find(file);
    if (!f) {
      f = { name: file, bytes: new Uint8Array(Math.max(bytes.length, 64)), length: 0 };
      this.files.push(f);
    }
    const need = f.length + bytes.length;
    if (need > f.bytes.length) {
      const grown = new Uint8Array(Math.max(need, f.bytes.length * 2));
      grown.set(f.bytes.subarray(0, f.length));
      f.bytes = grown;
    }
    f.bytes.set(bytes, f.length);
    f.length = need;
  }

  truncate(file: string, length: number): void {
    const f = this.find(file);
    if (f) f.length = Math.min(f.length, Math.max(0, length));
  }

  rename(from: string, to: string): void {
    const f = this.find(from);
    if (!f) throw new Error(`cannot rename ${this.describe(from)}: it does not exist`);
    if (from === to) return;
    this.remove(to);
    f.name = to;
  }

  remove(file: string): void {
    const at = this.files.findIndex((f) => f.name === file);
    if (at >= 0) this.files.splice(at, 1);
  }

  /** For fault tests: damage the image as a bad sector would. */
  overwrite(file: string, bytes: Uint8Array): void {
    this.remove(file);
    this.files.push({ name: file, bytes: new Uint8Array(bytes), length: bytes.length });
  }

  private find(file: string): MemoryFile | undefined {
    for (const f of this.files) if (f.name === file) return f;
    return undefined;
  }
}

interface MemoryFile {
  name: string;
  /** Capacity: the file is the first `length` bytes. */
  bytes: Uint8Array;
  length: number;
}
