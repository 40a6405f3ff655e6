/**
 * The simulated power died during a storage write. The band is dead until it is rebooted; whatever
 * that write was doing is either torn or not done, and the journal sorts it out at the next boot.
 */
export class PowerCutError extends Error {
  override readonly name = 'PowerCutError';
  constructor(
    /** The physical write (since boot) the power died at; 0 when it was already off. */
    readonly write: number,
    readonly how: 'torn' | 'lost' | 'off',
  ) {
    super(
      how === 'off'
        ? 'the band has no power (a power cut); reboot it'
        : `the power was cut at storage write ${write} (${how === 'torn' ? 'written in part' : 'not written'}); the band is off until it is rebooted`,
    );
  }
}

/** The flash image is damaged: the band reports it rather than start over from an empty store. */
export class FlashCorruptError extends Error {
  override readonly name = 'FlashCorruptError';
  constructor(
    /** The image file (a path, or `memory:NAME`). */
    readonly file: string,
    /** What is wrong, for people. */
    readonly problem: string,
  ) {
    super(
      `flash image ${file} is damaged: ${problem}; the band will not guess its contents. Restore the file from a backup, or remove it to start as a blank band`,
    );
  }
}

/** The storage medium failed (a file could not be read or written). */
export class FlashIoError extends Error {
  override readonly name = 'FlashIoError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
