import { closeSync, fstatSync, openSync, writeSync } from 'node:fs';
import { describe } from './base-transport.js';
import { TransportError } from './errors.js';
import { formatRecordedUnit, RECORDING_HEADER, type Direction } from './recording-format.js';
import type { Transport, Unit } from './transport.js';
import { assertUnit } from './unit.js';

export interface RecordOptions {
  /** Milliseconds from any origin; lines carry the time since wrapping. Default Date.now. */
  now?: () => number;
}

/**
 * Wraps a transport and appends every unit it carries to a text file (recording-format.ts), for
 * replay.ts to play back. Lines are written synchronously so the file order is the wire order even if
 * the process dies. A failure to write the file does not stop the link: it is reported through
 * onFrameError as WRITE_FAILED and recording goes on with the next unit.
 */
export function recordTransport(inner: Transport, file: string, options: RecordOptions = {}): Transport {
  const now = options.now ?? Date.now;
  const start = now();
  let fd: number | undefined;
  try {
    fd = openSync(file, 'a');
    if (fstatSync(fd).size === 0) writeSync(fd, `${RECORDING_HEADER}\n`);
    writeSync(fd, `# ${new Date().toISOString()} ${inner.name}\n`);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    throw new TransportError(
      'OPEN_FAILED',
      `expected to append a recording to ${file}, got ${describe(error)}; check the directory exists and is writable`,
      {
        cause: error,
      },
    );
  }
  const recordingErrors = new Set<(error: TransportError) => void>();
  const write = (direction: Direction, unit: Unit) => {
    if (fd === undefined) return;
    try {
      writeSync(fd, `${formatRecordedUnit(now() - start, direction, unit)}\n`);
    } catch (error) {
      const failure = new TransportError(
        'WRITE_FAILED',
        `expected to record to ${file}, got ${describe(error)}; the link goes on unrecorded for this unit`,
        {
          cause: error,
        },
      );
      for (const listener of recordingErrors) listener(failure);
    }
  };
  // Subscribed before the caller so every unit is recorded, including ones nobody listens to yet.
  inner.onUnit((unit) => write('<', unit));
  inner.onClose(() => {
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    recordingErrors.clear();
  });
  return {
    get name() {
      return inner.name;
    },
    get isOpen() {
      return inner.isOpen;
    },
    send(unit) {
      if (inner.isOpen) {
        try {
          assertUnit(unit);
          write('>', unit);
        } catch {
          // The inner transport rejects it with the reason; an invalid unit is not worth a line.
        }
      }
      return inner.send(unit);
    },
    onUnit: (listener) => inner.onUnit(listener),
    onFrameError(listener) {
      const off = inner.onFrameError(listener);
      recordingErrors.add(listener);
      return () => {
        off();
        recordingErrors.delete(listener);
      };
    },
    onClose: (listener) => inner.onClose(listener),
    close: () => inner.close(),
  };
}
