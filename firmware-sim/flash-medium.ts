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
  private readonly files = new Map<string, { bytes: Uint8Array; length: number }>();

  describe(file: string): string {
    return `memory:${file}`;
  }

  read(file: string): Uint8Array | undefined {
    const f = this.files.get(file);
    return f && f.bytes.slice(0, f.length);
  }

  append(file: string, bytes: Uint8Array): void {
    let f = this.files.get(file);
    if (!f) {
      f = { bytes: new Uint8Array(Math.max(bytes.length, 64)), length: 0 };
      this.files.set(file, f);
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
    const f = this.files.get(file);
    if (f) f.length = Math.min(f.length, Math.max(0, length));
  }

  rename(from: string, to: string): void {
    const f = this.files.get(from);
    if (!f) throw new Error(`cannot rename ${this.describe(from)}: it does not exist`);
    this.files.set(to, f);
    this.files.delete(from);
  }

  remove(file: string): void {
    this.files.delete(file);
  }

  /** For fault tests: damage the image as a bad sector would. */
  overwrite(file: string, bytes: Uint8Array): void {
    this.files.set(file, { bytes: new Uint8Array(bytes), length: bytes.length });
  }
}
