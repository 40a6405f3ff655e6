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

/** A flash image in RAM. It survives a simulated reboot because the test keeps the medium, not the band. */
export class MemoryMedium implements FlashMedium {
  private readonly files = new Map<string, Uint8Array>();

  describe(file: string): string {
    return `memory:${file}`;
  }

  read(file: string): Uint8Array | undefined {
    const bytes = this.files.get(file);
    return bytes && new Uint8Array(bytes);
  }

  append(file: string, bytes: Uint8Array): void {
    const old = this.files.get(file) ?? new Uint8Array(0);
    const out = new Uint8Array(old.length + bytes.length);
    out.set(old);
    out.set(bytes, old.length);
    this.files.set(file, out);
  }

  truncate(file: string, length: number): void {
    const old = this.files.get(file);
    if (old) this.files.set(file, old.slice(0, length));
  }

  rename(from: string, to: string): void {
    const bytes = this.files.get(from);
    if (!bytes) throw new Error(`cannot rename ${this.describe(from)}: it does not exist`);
    this.files.set(to, bytes);
    this.files.delete(from);
  }

  remove(file: string): void {
    this.files.delete(file);
  }

  /** For fault tests: damage the image as a bad sector would. */
  overwrite(file: string, bytes: Uint8Array): void {
    this.files.set(file, new Uint8Array(bytes));
  }
}
