import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Output } from './output.js';
import { UsageError } from './exit-codes.js';

/** Options every bandctl command understands. */
export const GLOBAL_OPTIONS = {
  transport: { type: 'string', short: 't' },
  record: { type: 'string' },
  timeout: { type: 'string' },
  heartbeat: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export interface GlobalOptions {
  /** Transport URI (default: $BANDCTL_TRANSPORT, else `loopback`). */
  transport: string;
  record?: string;
  /** Per-call timeout in ms; also how long a heartbeat PING may take. */
  timeoutMs: number;
  /** How often the band is PINGed while a command waits on the person (--heartbeat). */
  heartbeatMs: number;
  json: boolean;
}

export interface CliContext {
  /** Arguments after the command (and subcommand) name. */
  argv: string[];
  out: Output;
  global: GlobalOptions;
  env: NodeJS.ProcessEnv;
  /** Standard input, for prompts (setup code). */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

export interface CliCommand {
  name: string;
  /** One line for `bandctl --help`. */
  summary: string;
  /** The full usage text for `bandctl NAME --help`. */
  usage: string;
  run(ctx: CliContext): Promise<void>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

type Values<O> = {
  [K in keyof O]?: O[K] extends { type: 'boolean' } ? boolean : O[K] extends { multiple: true } ? string[] : string;
};

export interface ParsedCommand<O> {
  values: Values<O & typeof GLOBAL_OPTIONS>;
  positionals: string[];
}

/**
 * Parses a command's own options (plus the global ones). A mistake is a UsageError in bandctl's words, found
 * from parseArgs' tokens rather than its error text (which suggests '--' quoting): an unknown option, a missing
 * or unwanted value.
 */
export function parseCommand<O extends Options>(command: string, argv: string[], options: O): ParsedCommand<O> {
  const all: Options = { ...GLOBAL_OPTIONS, ...options };
  const { tokens } = parseArgs({ args: argv, options: all, allowPositionals: true, strict: false, tokens: true });
  const see = `see 'bandctl ${command} --help'`;
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = all[token.name];
    if (!spec) throw new UsageError(`${command}: unknown option ${token.rawName}; ${see}`);
    if (spec.type === 'string' && token.value === undefined)
      throw new UsageError(`${command}: ${token.rawName} needs a value; ${see}`);
    if (spec.type === 'boolean' && token.inlineValue)
      throw new UsageError(`${command}: ${token.rawName} takes no value; ${see}`);
  }
  const parsed = parseArgs({ args: argv, options: all, allowPositionals: true, strict: true });
  return { values: parsed.values as ParsedCommand<O>['values'], positionals: parsed.positionals };
}

export function requireString(command: string, value: unknown, flag: string): string {
  if (typeof value !== 'string' || value === '')
    throw new UsageError(`${command}: expected ${flag}; see 'bandctl ${command} --help'`);
  return value;
}

export function parseInteger(
  command: string,
  value: string | undefined,
  flag: string,
  fallback: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${command}: expected ${flag} to be a whole number from ${min} to ${max}, got '${value}'`);
  }
  return n;
}

export function parseOnOff(command: string, value: string | undefined, flag: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'on' || value === 'true') return true;
  if (value === 'off' || value === 'false') return false;
  throw new UsageError(`${command}: expected ${flag} on|off, got '${value}'`);
}
