import { Command, commandName } from '../proto/ctaphid.js';
import { TransportError } from './errors.js';
import type { Unit } from './transport.js';
import { MAX_COMMAND } from './unit.js';

/**
 * The recording file: one line per unit, readable with a pager and diffable:
 *   <ms since start> <'>' host to band | '<' band to host> <COMMAND name or hex> [payload hex]
 * Lines starting with '#' are comments (the header); blank lines are ignored.
 */
export const RECORDING_HEADER = '# band-stack transport recording v1: <ms> <>|<> <COMMAND> [payload hex]';

export type Direction = '>' | '<';

export interface RecordedUnit {
  /** 1-based line number in the file, for messages that point at it. */
  line: number;
  at: number;
  direction: Direction;
  unit: Unit;
}

export function formatRecordedUnit(at: number, direction: Direction, unit: Unit): string {
  const hex = Buffer.from(unit.payload.buffer, unit.payload.byteOffset, unit.payload.length).toString('hex');
  return `${Math.max(0, Math.round(at))} ${direction} ${commandName(unit.command)}${hex ? ` ${hex}` : ''}`;
}

/** Short human form of a unit for error messages: long payloads are cut. */
export function describeUnit(direction: Direction, unit: Unit): string {
  const hex = Buffer.from(unit.payload.buffer, unit.payload.byteOffset, unit.payload.length).toString('hex');
  const shown = hex.length > 64 ? `${hex.slice(0, 64)}... (${unit.payload.length} bytes)` : hex || '(empty)';
  return `${direction} ${commandName(unit.command)} ${shown}`;
}

export function parseCommand(token: string): number | undefined {
  if (Object.hasOwn(Command, token)) return Command[token as keyof typeof Command];
  const m = /^(?:VENDOR_)?0x([0-9a-f]{1,2})$/i.exec(token);
  if (!m) return undefined;
  const value = parseInt(m[1], 16);
  return value <= MAX_COMMAND ? value : undefined;
}

export function parseRecording(text: string, file: string): RecordedUnit[] {
  const out: RecordedUnit[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const content = raw.trim();
    if (content === '' || content.startsWith('#')) return;
    const fields = content.split(/\s+/);
    const fail = (what: string): never => {
      throw new TransportError(
        'REPLAY_FORMAT',
        `${file}:${line}: expected "<ms> <'>'|'<'> <COMMAND> [payload hex]", ${what} in "${content.slice(0, 80)}"; fix the line or record the session again`,
      );
    };
    if (fields.length < 3 || fields.length > 4) fail(`got ${fields.length} fields`);
    const [ms, direction, command, hex = ''] = fields;
    if (!/^\d+$/.test(ms)) fail(`got "${ms}" as the time`);
    if (direction !== '>' && direction !== '<') fail(`got "${direction}" as the direction`);
    const value = parseCommand(command);
    if (value === undefined) fail(`got "${command}" as the command (a Command name, VENDOR_0xNN or 0xNN up to 0x7f)`);
    if (!/^(?:[0-9a-f]{2})*$/i.test(hex)) fail(`got a payload that is not an even number of hex digits`);
    out.push({
      line,
      at: Number(ms),
      direction: direction as Direction,
      unit: { command: value!, payload: Uint8Array.from(Buffer.from(hex, 'hex')) },
    });
  });
  return out;
}
