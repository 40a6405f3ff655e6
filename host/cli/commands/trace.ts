import { readFile } from 'node:fs/promises';
import {
  AuthenticationReasonValues,
  BandMessageCodec,
  BandStateValues,
  ButtonMotionValues,
  ButtonValues,
  CapabilityValues,
  DebugRequestCodec,
  DebugResponseCodec,
  ErrorCodeValues,
  HostMessageCodec,
  ScreenValues,
  CTAP2_SCHEMA,
  CtapStatus,
  ctap2CommandName,
  ctapStatusName,
  decodeCanonical,
  memberNames,
  type CborKey,
} from '../../../proto/index.js';
import {
  Command,
  HidError,
  KeepaliveStatus,
  TransportError,
  commandName,
  parseRecording,
  type RecordedUnit,
} from '../../../transport/index.js';
import { parseCommand, type CliCommand } from '../command.js';
import { UsageError } from '../exit-codes.js';
import { hex } from '../output.js';

/** One recorded unit, decoded for people (and for scripts with --json). */
export interface TraceEntry {
  /** Line of the recording file. */
  line: number;
  /** Milliseconds since the recording session started. */
  at: number;
  direction: '>' | '<';
  /** Wire command name: BAND, DEBUG, CBOR, ERROR, KEEPALIVE, INIT, PING, ... */
  command: string;
  /**
   * What the unit is: the HostMessage/BandMessage/DebugRequest/DebugResponse case (`getState`, `event
   * screenChanged`, `error`), the CTAP2 command or status name, the CTAPHID error or keepalive status;
   * null when the payload could not be decoded or the command has no finer kind.
   */
  type: string | null;
  fields: Record<string, unknown>;
  /** Set when the unit is a refusal or failure (band error, CTAP2 error status, CTAPHID ERROR) or undecodable. */
  error?: string;
}

/** Thrown for a recording that cannot be read or parsed: exit 1 (FAILED), the message names FILE:LINE. */
class TraceError extends Error {
  override readonly name = 'TraceError';
  constructor(
    readonly code: 'TRACE_FORMAT' | 'TRACE_READ',
    message: string,
  ) {
    super(message);
  }
}

/** Member names of a command's request or reply map, from the CTAP2 schema in proto/ctap2/. */
function ctapKeyNames(command: number, side: 'request' | 'response'): Map<CborKey, string> | undefined {
  const spec = CTAP2_SCHEMA[command]?.[side];
  return spec === undefined ? undefined : memberNames(spec);
}

/** The request key that carries a sub-command worth showing by value. */
function subCommandKey(command: number): CborKey | undefined {
  const schema = CTAP2_SCHEMA[command];
  if (schema?.subCommand === undefined || schema.request === undefined) return undefined;
  return schema.request[schema.subCommand.member]?.key;
}

const ENUM_NAMES = new Set<string>([
  ...AuthenticationReasonValues,
  ...BandStateValues,
  ...ButtonMotionValues,
  ...ButtonValues,
  ...CapabilityValues,
  ...ErrorCodeValues,
  ...ScreenValues,
]);

/** Entries whose error the line must spell out (a band refusal or an error status already shows in its fields). */
const SAY_WHY = new WeakSet<TraceEntry>();

/** Marks `entry` as an error; `explain`: the line must say why (nothing else on it shows the problem). */
function flag(entry: TraceEntry, error: string, explain = true): void {
  entry.error = error;
  if (explain) SAY_WHY.add(entry);
}

const nameOf = (table: Record<string, number>, value: number) =>
  Object.entries(table).find(([, v]) => v === value)?.[0];

/** Decodes a protobuf payload; undefined body is a message the band or host would refuse too. */
function decodeProto(
  entry: TraceEntry,
  what: string,
  decode: () => { requestId: number },
  oneof: 'body' | 'action' | 'result',
  payload: Uint8Array,
): { requestId: number; case: string; value: Record<string, unknown> } | undefined {
  let message;
  try {
    message = decode();
  } catch (error) {
    return undecodable(entry, what, error, payload);
  }
  const body = (message as unknown as Record<string, unknown>)[oneof] as
    { case: string; value: Record<string, unknown> } | undefined;
  if (!body) {
    entry.fields = { requestId: message.requestId, payload };
    flag(entry, `${what} #${message.requestId} has no ${oneof}`);
    return undefined;
  }
  return { requestId: message.requestId, case: body.case, value: body.value ?? {} };
}

function undecodable(entry: TraceEntry, what: string, error: unknown, payload: Uint8Array): undefined {
  entry.type = null;
  entry.fields = { payload };
  flag(entry, `undecodable ${what}: ${error instanceof Error ? error.message : String(error)}`);
  return undefined;
}

interface SessionState {
  /** The CTAP2 command of the last CBOR request, to name the reply's keys. */
  lastCtapCommand?: number;
}

function decodeBand(entry: TraceEntry, payload: Uint8Array): void {
  const host = entry.direction === '>';
  const what = host ? 'HostMessage' : 'BandMessage';
  const decoded = decodeProto(
    entry,
    what,
    () => (host ? HostMessageCodec : BandMessageCodec).decode(payload),
    'body',
    payload,
  );
  if (!decoded) return;
  if (decoded.case === 'event') {
    const kind = (decoded.value as { kind?: { case: string; value: Record<string, unknown> } }).kind;
    entry.type = kind ? `event ${kind.case}` : 'event';
    entry.fields = { requestId: decoded.requestId, ...(kind?.value ?? {}) };
    if (!kind) flag(entry, 'event with no kind');
    return;
  }
  entry.type = decoded.case;
  entry.fields = { requestId: decoded.requestId, ...decoded.value };
  if (decoded.case === 'error') {
    const { code, message, state } = decoded.value as { code: string; message: string; state: string };
    flag(
      entry,
      `${code}${state && state !== 'BAND_STATE_UNSPECIFIED' ? ` in ${state}` : ''}${message ? `: ${message}` : ''}`,
      false,
    );
  }
}

function decodeDebug(entry: TraceEntry, payload: Uint8Array): void {
  const host = entry.direction === '>';
  const what = host ? 'DebugRequest' : 'DebugResponse';
  const decoded = host
    ? decodeProto(entry, what, () => DebugRequestCodec.decode(payload), 'action', payload)
    : decodeProto(entry, what, () => DebugResponseCodec.decode(payload), 'result', payload);
  if (!decoded) return;
  entry.type = decoded.case;
  entry.fields = { requestId: decoded.requestId, ...decoded.value };
  if (!host && decoded.case === 'error')
    flag(entry, `debug link refused: ${(decoded.value as { message?: string }).message ?? ''}`, false);
}

function cborKeys(
  entry: TraceEntry,
  body: Uint8Array,
  keyNames: Map<CborKey, string> | undefined,
  subCommandKey?: CborKey,
): void {
  if (body.length === 0) return;
  let value;
  try {
    value = decodeCanonical(body);
  } catch (error) {
    entry.fields = { ...entry.fields, payload: body };
    flag(entry, `undecodable CBOR: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  if (!(value instanceof Map)) {
    entry.fields = { ...entry.fields, payload: body };
    flag(entry, `expected a CBOR map, got ${Array.isArray(value) ? 'an array' : typeof value}`);
    return;
  }
  const keys = [...value.keys()];
  entry.fields = { ...entry.fields, keys };
  if (keyNames) {
    const named = keys.filter((k): k is number => typeof k === 'number' && keyNames.has(k));
    if (named.length) entry.fields.keyNames = Object.fromEntries(named.map((k) => [k, keyNames.get(k)]));
  }
  if (subCommandKey !== undefined && typeof value.get(subCommandKey) === 'number')
    entry.fields.subCommand = value.get(subCommandKey);
}

function decodeCbor(entry: TraceEntry, payload: Uint8Array, session: SessionState): void {
  if (payload.length === 0) {
    flag(
      entry,
      `empty CBOR ${entry.direction === '>' ? 'request' : 'reply'}: no ${entry.direction === '>' ? 'command' : 'status'} byte`,
    );
    return;
  }
  const first = payload[0];
  const body = payload.subarray(1);
  if (entry.direction === '>') {
    session.lastCtapCommand = first;
    entry.type = ctap2CommandName(first);
    entry.fields = { command: first };
    cborKeys(entry, body, ctapKeyNames(first, 'request'), subCommandKey(first));
    return;
  }
  entry.type = ctapStatusName(first);
  entry.fields = { status: first };
  const command = session.lastCtapCommand;
  if (command !== undefined) entry.fields.to = ctap2CommandName(command);
  if (first !== CtapStatus.CTAP2_OK) flag(entry, entry.type, false);
  cborKeys(entry, body, command === undefined ? undefined : ctapKeyNames(command, 'response'));
}

function decodeOther(entry: TraceEntry, command: number, payload: Uint8Array): void {
  const host = entry.direction === '>';
  switch (command) {
    case Command.ERROR: {
      const code = payload[0];
      const name = code === undefined ? undefined : nameOf(HidError, code);
      entry.type = name ? `ERR_${name}` : code === undefined ? null : `ERR_0x${code.toString(16).padStart(2, '0')}`;
      entry.fields = code === undefined ? {} : { code };
      flag(entry, `CTAPHID error ${entry.type ?? '(no code byte)'}`, entry.type === null);
      return;
    }
    case Command.KEEPALIVE: {
      const status = payload[0];
      entry.type =
        (status !== undefined && nameOf(KeepaliveStatus, status)) ||
        (status === undefined ? null : `status 0x${status.toString(16)}`);
      entry.fields = status === undefined ? {} : { status };
      return;
    }
    case Command.INIT: {
      entry.fields = host ? { nonce: payload.subarray(0, 8) } : initReply(payload);
      if (payload.length < (host ? 8 : 17))
        flag(entry, `expected ${host ? 'an 8-byte nonce' : 'a 17-byte INIT reply'}, got ${payload.length} bytes`);
      return;
    }
    case Command.PING:
    case Command.WINK:
    case Command.CANCEL:
    case Command.LOCK:
    case Command.MSG:
    default:
      entry.fields = payload.length ? { length: payload.length, payload } : {};
  }
}

function initReply(payload: Uint8Array): Record<string, unknown> {
  if (payload.length < 17) return { payload };
  const cid = ((payload[8] << 24) | (payload[9] << 16) | (payload[10] << 8) | payload[11]) >>> 0;
  return {
    nonce: payload.subarray(0, 8),
    cid: `0x${cid.toString(16).padStart(8, '0')}`,
    protocolVersion: payload[12],
    version: `${payload[13]}.${payload[14]}.${payload[15]}`,
    capabilities: payload[16],
  };
}

/** Decodes recorded units. Never throws for a payload: what cannot be decoded is shown as hex with the reason. */
export function traceUnits(units: readonly RecordedUnit[], sessionStarts: readonly number[] = []): TraceEntry[] {
  let session: SessionState = {};
  let nextStart = 0;
  return units.map((recorded) => {
    // A recording file may hold several sessions (--record appends); CTAP2 replies belong to their own.
    while (nextStart < sessionStarts.length && sessionStarts[nextStart] < recorded.line) {
      session = {};
      nextStart++;
    }
    const { unit } = recorded;
    const entry: TraceEntry = {
      line: recorded.line,
      at: recorded.at,
      direction: recorded.direction,
      command: commandName(unit.command),
      type: null,
      fields: {},
    };
    try {
      if (unit.command === Command.BAND) decodeBand(entry, unit.payload);
      else if (unit.command === Command.DEBUG) decodeDebug(entry, unit.payload);
      else if (unit.command === Command.CBOR) decodeCbor(entry, unit.payload, session);
      else decodeOther(entry, unit.command, unit.payload);
    } catch (error) {
      // A decoder bug must not hide the rest of the session.
      undecodable(entry, entry.command, error, unit.payload);
    }
    return entry;
  });
}

// ------------------------------------------------------------------------------------------- rendering

const MAX_HEX_BYTES = 48;

function renderBytes(bytes: Uint8Array): string {
  if (bytes.length === 0) return '(empty)';
  return bytes.length > MAX_HEX_BYTES ? `${hex(bytes.subarray(0, MAX_HEX_BYTES))}…(${bytes.length} bytes)` : hex(bytes);
}

function renderValue(value: unknown): string {
  if (value instanceof Uint8Array) return renderBytes(value);
  if (typeof value === 'string') return ENUM_NAMES.has(value) ? value : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(renderValue).join(',')}]`;
  if (value && typeof value === 'object') return `{${renderFields(value as Record<string, unknown>)}}`;
  return String(value);
}

function renderFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${renderValue(v)}`)
    .join(' ');
}

/** What follows the wire command on a line: `#3 getState`, `event screenChanged screen=… state=…`, ... */
export function describeEntry(entry: TraceEntry): string {
  const fields: Record<string, unknown> = { ...entry.fields };
  const parts: string[] = [];
  if ((entry.command === 'BAND' || entry.command === 'DEBUG') && typeof fields.requestId === 'number') {
    // Events always carry request id 0: saying so on every event line is noise.
    if (!(entry.type?.startsWith('event') && fields.requestId === 0)) parts.push(`#${fields.requestId}`);
    delete fields.requestId;
  }
  if (entry.type) parts.push(entry.type);
  if (entry.command === 'CBOR' || entry.command === 'ERROR' || entry.command === 'KEEPALIVE') {
    // The command, status or code byte is what `type` names.
    delete fields.command;
    delete fields.status;
    delete fields.code;
  }
  if (entry.command === 'CBOR') {
    if (typeof fields.to === 'string') parts.push(`(${fields.to})`);
    const { keys, keyNames } = fields as { keys?: unknown[]; keyNames?: Record<string, string> };
    if (keys)
      parts.push(
        `keys=${keys.map((k) => (keyNames?.[String(k)] ? `${String(k)}:${keyNames[String(k)]}` : renderValue(k))).join(',') || '(none)'}`,
      );
    delete fields.to;
    delete fields.keys;
    delete fields.keyNames;
  }
  const { payload } = fields;
  delete fields.payload;
  const shown = renderFields(fields);
  if (shown) parts.push(shown);
  if (payload instanceof Uint8Array) parts.push(renderBytes(payload));
  if (entry.error && SAY_WHY.has(entry)) parts.push(`(${entry.error})`);
  return parts.join(' ');
}

const RED = '\u001b[31m';
const DIM = '\u001b[2m';
const RESET = '\u001b[0m';

export function renderEntry(entry: TraceEntry, color = false): string {
  const mark = entry.error ? '!' : ' ';
  const time = (entry.at / 1000).toFixed(3).padStart(9);
  const text =
    `${mark} ${String(entry.line).padStart(5)} ${time}s  ${entry.direction} ${entry.command.padEnd(9)} ${describeEntry(entry)}`.trimEnd();
  return color && entry.error ? `${RED}${text}${RESET}` : text;
}

// ---------------------------------------------------------------------------------------------- command

export const traceCommand: CliCommand = {
  name: 'trace',
  summary: 'a recording (--record FILE) decoded: one annotated message per line',
  usage: `usage: bandctl trace FILE [--json]

Reads a recording made with 'bandctl --record FILE' and prints one line per unit, for people reading a
session: the recording line, the time since the session started, the direction (> host to band, < band to
host), the wire command, and what it says:
  BAND   the HostMessage / BandMessage, e.g. '#3 getState', 'event screenChanged screen=… state=…'
  DEBUG  the DebugRequest / DebugResponse
  CBOR   the CTAP2 command (>) or status (<) and the keys of its CBOR map
  ERROR  the CTAPHID error; KEEPALIVE its status; INIT the nonce and the channel
Refusals, errors and payloads that do not decode are marked with '!' (red on a terminal); a payload
that does not decode is shown as hex with the reason. The band is not contacted.

--json: one document {"ok": true, "file", "entries": [{"line", "at", "direction", "command", "type",
"fields", "error"?}]}, bytes as hex.

exit codes: 0 ok · 1 the file cannot be read or a line is not a recording line (the message names FILE:LINE)
· 2 bad command line`,
  async run(ctx) {
    const { positionals } = parseCommand('trace', ctx.argv, {});
    if (positionals.length !== 1) {
      throw new UsageError(
        `trace: expected one recording FILE, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}; see 'bandctl trace --help'`,
      );
    }
    const [file] = positionals;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new TraceError(
        'TRACE_READ',
        `trace: expected a recording at ${file}, got ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}; record one with 'bandctl --record ${file} COMMAND'`,
      );
    }
    let units: RecordedUnit[];
    try {
      units = parseRecording(text, file);
    } catch (error) {
      if (error instanceof TransportError) throw new TraceError('TRACE_FORMAT', error.message);
      throw error;
    }
    const lines = text.split(/\r?\n/);
    // `# <ISO time> <transport>` lines start a session (recordTransport writes one per opening).
    const sessionStarts = lines.flatMap((l, i) => (/^#\s+\d{4}-\d\d-\d\dT/.test(l) ? [i + 1] : []));
    const entries = traceUnits(units, sessionStarts);
    const color = ctx.out.isTerminal && !('NO_COLOR' in ctx.env);
    const human: string[] = [];
    let e = 0;
    for (const line of sessionStarts) {
      while (e < entries.length && entries[e].line < line) human.push(renderEntry(entries[e++], color));
      const header = `# session ${lines[line - 1].replace(/^#\s+/, '')}`;
      human.push(color ? `${DIM}${header}${RESET}` : header);
    }
    while (e < entries.length) human.push(renderEntry(entries[e++], color));
    if (entries.length === 0) human.push(`(no units recorded in ${file})`);
    ctx.out.result({ ok: true, file, entries }, human);
  },
};
