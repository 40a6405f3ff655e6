import {
  DEFAULT_DIRECTORY_PATH,
  DirectoryError,
  FileDirectory,
  NOTE_ADMIN_ENROLLMENT,
  copyDirectoryState,
  describeChange,
  diffDirectory,
  disconnect,
  enrollBand,
  normalizeDeviceId,
  registerBand,
  registerUser,
  restoreOriginalBand,
  setPolicy,
  suspend,
  userProperties,
  type DirectoryDraft,
  type DirectorySnapshot,
  type Policy,
} from '../../directory/index.js';
import { DEVICE_ID_BYTES } from '../../../proto/index.js';
import { serialArgument } from '../arguments.js';
import { assertUserName } from '../../directory/user-name.js';
import { parseCommand, parseOnOff, type CliCommand, type CliContext } from '../command.js';
import { UsageError } from '../exit-codes.js';
import { POLICY_SETTINGS, bandCell, renderPolicy, renderTable, renderUser } from './directory-render.js';

const OPTIONS = {
  directory: { type: 'string' },
  user: { type: 'string' },
  band: { type: 'string' },
  notes: { type: 'string' },
  'device-id': { type: 'string' },
  seos: { type: 'boolean' },
  'own-band': { type: 'string' },
  'any-active-band': { type: 'string' },
} as const;

/** Options that belong to one subcommand or another; --directory and the global ones apply to all. */
type OwnOption = Exclude<keyof typeof OPTIONS, 'directory'>;

const OPTION_HELP: Record<keyof typeof OPTIONS, string> = {
  directory: `the directory file (default $BANDCTL_DIRECTORY, else ${DEFAULT_DIRECTORY_PATH}); created on the first change`,
  user: 'a directory user name, as the enterprise directory spells it (e.g. tw-user2)',
  band: "a band's serial number, as printed on its back (e.g. AAAH-00125)",
  notes: `the Notes column of the new row (default "${NOTE_ADMIN_ENROLLMENT}")`,
  'device-id': "the band's device ID in hex, as its GetInfo reply reports it",
  seos: 'the band carries an HID SEOS credential: never re-enrolled self-service away from its user',
  'own-band': `"${POLICY_SETTINGS[0].label}"`,
  'any-active-band': `"${POLICY_SETTINGS[1].label}"`,
};

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

interface Session {
  directory: FileDirectory;
  path: string;
  ctx: CliContext;
}

interface Subcommand {
  /** Operand after the subcommand name, if it takes one. */
  operand?: 'NAME' | 'SERIAL';
  options: readonly OwnOption[];
  /** Options that must be given. */
  required?: readonly OwnOption[];
  summary: string;
  run(session: Session, operand: string | undefined, values: Values): Promise<void>;
}

const SUBCOMMANDS: Record<string, Subcommand> = {
  user: {
    operand: 'NAME',
    options: [],
    summary: "a user's User Properties: Serial Number, Is Active, Is Primary, Notes, Created",
    async run(session, name) {
      const view = await session.directory.snapshot();
      session.ctx.out.result(
        { ok: true, directory: session.path, user: name, rows: userProperties(view, name!) },
        renderUser(view, name!),
      );
    },
  },
  users: {
    options: [],
    summary: 'every user with their bands, and the bands nobody holds',
    async run(session) {
      const view = await session.directory.snapshot();
      const users = view.users.map((u) => ({
        name: u.name,
        created: u.created,
        bands: userProperties(view, u.name).map((r) => ({
          serialNumber: r.serialNumber,
          isActive: r.isActive === 'Active',
          isPrimary: r.isPrimary === 'Primary',
        })),
      }));
      const held = new Set(view.associations.map((a) => a.serialNumber));
      const unassignedBands = view.bands.filter((b) => !held.has(b.serialNumber)).map((b) => b.serialNumber);
      const human =
        users.length === 0
          ? [`No users in ${session.path}.`]
          : renderTable(
              ['User', 'Created', 'Bands'],
              users.map((u) => [u.name, u.created, u.bands.map(bandCell).join(', ') || '-']),
            );
      human.push(`Unassigned bands: ${unassignedBands.join(', ') || 'none'}`);
      session.ctx.out.result({ ok: true, directory: session.path, users, unassignedBands }, human);
    },
  },
  policy: {
    options: ['own-band', 'any-active-band'],
    summary: 'shows the self-service re-enrollment policy, or sets the settings given',
    async run(session, _operand, values) {
      const patch: Partial<Policy> = {};
      for (const { setting, flag } of POLICY_SETTINGS) {
        const value = parseOnOff('directory policy', values[flag.slice(2) as OwnOption] as string | undefined, flag);
        if (value !== undefined) patch[setting] = value;
      }
      if (Object.keys(patch).length === 0) {
        const view = await session.directory.snapshot();
        session.ctx.out.result({ ok: true, directory: session.path, policy: view.policy }, renderPolicy(view.policy));
        return;
      }
      const { changes, after, human } = await change(session, (d) => void setPolicy(d, patch));
      session.ctx.out.result({ ok: true, directory: session.path, changes, policy: after.policy }, [
        ...human,
        '',
        ...renderPolicy(after.policy),
      ]);
    },
  },
  'add-user': {
    operand: 'NAME',
    options: [],
    summary: 'registers a directory user',
    async run(session, name) {
      await changeAndShowUser(session, name!, (d) => void registerUser(d, name!));
    },
  },
  'add-band': {
    operand: 'SERIAL',
    options: ['device-id', 'seos'],
    required: ['device-id'],
    summary: 'registers a band, assigned to nobody',
    async run(session, serial, values) {
      const deviceId = checked(
        'add-band',
        '--device-id',
        () => normalizeDeviceId(values['device-id']),
        values['device-id'],
      );
      const registration = { serialNumber: serial!, deviceId, seosEnabled: values.seos === true };
      const { changes, after, human } = await change(session, (d) => void registerBand(d, registration));
      const band = after.bands.find((b) => b.serialNumber === serial);
      session.ctx.out.result({ ok: true, directory: session.path, changes, band }, human);
    },
  },
  assign: {
    options: ['user', 'band', 'notes'],
    required: ['user', 'band'],
    summary: "administrator enrollment: the band becomes the user's active band (Primary if the user has none)",
    async run(session, _operand, values) {
      const notes = values.notes;
      await changeAndShowUser(
        session,
        values.user!,
        (d) => void enrollBand(d, values.user!, values.band!, notes === undefined ? {} : { notes }),
      );
    },
  },
  disconnect: {
    options: ['user', 'band'],
    required: ['user', 'band'],
    summary: 'removes the user-band association; the band stays registered, free for anyone',
    async run(session, _operand, values) {
      await changeAndShowUser(session, values.user!, (d) => void disconnect(d, values.user!, values.band!));
    },
  },
  suspend: {
    options: ['user', 'band'],
    required: ['user', 'band'],
    summary: "clears Is Active; the band stays the user's (Disconnect to keep the user off it)",
    async run(session, _operand, values) {
      await changeAndShowUser(session, values.user!, (d) => void suspend(d, values.user!, values.band!));
    },
  },
  restore: {
    options: ['user'],
    required: ['user'],
    summary:
      "after a temporary self-service re-enrollment: the primary band is active again, the user's other bands are removed",
    async run(session, _operand, values) {
      await changeAndShowUser(session, values.user!, (d) => void restoreOriginalBand(d, values.user!));
    },
  },
};

const synopsis = (name: string, sub: Subcommand) =>
  [
    name,
    sub.operand,
    ...sub.options.map((o) => {
      const flag = OPTIONS[o].type === 'boolean' ? `--${o}` : `--${o} ${argName(o)}`;
      return sub.required?.includes(o) ? flag : `[${flag}]`;
    }),
  ]
    .filter(Boolean)
    .join(' ');

/** The placeholder for an option's value in usage text. */
function argName(option: keyof typeof OPTIONS): string {
  const names: Partial<Record<keyof typeof OPTIONS, string>> = {
    user: 'NAME',
    band: 'SERIAL',
    notes: 'TEXT',
    'device-id': 'HEX',
    directory: 'FILE',
    'own-band': 'on|off',
    'any-active-band': 'on|off',
  };
  return names[option] ?? 'VALUE';
}

const USAGE = `usage: bandctl directory SUBCOMMAND [ARGS] [--directory FILE] [--json]

The enterprise server's administrator view, on the embedded directory file. Every change is checked against
the directory's rules (one active and one primary band per user, one user per band) and written atomically:
a refused change leaves the file as it was. After a change, bandctl prints what changed and the user's
User Properties.

subcommands:
${Object.entries(SUBCOMMANDS)
  .map(([name, sub]) => `  ${synopsis(name, sub)}\n      ${sub.summary}`)
  .join('\n')}

options:
${(Object.keys(OPTIONS) as (keyof typeof OPTIONS)[])
  .map((o) => `  ${`--${o}${OPTIONS[o].type === 'boolean' ? '' : ` ${argName(o)}`}`.padEnd(26)} ${OPTION_HELP[o]}`)
  .join('\n')}
  ${'--json'.padEnd(26)} one JSON document on stdout: {"ok": true, ...}

exit codes: 0 ok · 1 the directory refused (unknown user or band, a rule would break, unreadable file) · 2 bad
command line · 5 refused by the enterprise policy`;

export const directoryCommand: CliCommand = {
  name: 'directory',
  summary: "the enterprise server's administrator view: users, bands, policy (embedded directory file)",
  usage: USAGE,
  async run(ctx) {
    const { values, positionals } = parseCommand('directory', ctx.argv, OPTIONS);
    const [name, ...operands] = positionals;
    const names = Object.keys(SUBCOMMANDS).join(', ');
    if (name === undefined)
      throw new UsageError(`directory: expected a subcommand (${names}), got none; see 'bandctl directory --help'`);
    if (!Object.hasOwn(SUBCOMMANDS, name)) {
      throw new UsageError(`directory: unknown subcommand '${name}'; expected one of ${names}`);
    }
    const sub = SUBCOMMANDS[name];
    const command = `directory ${name}`;
    const expected = sub.operand ? 1 : 0;
    if (operands.length !== expected) {
      const got = operands.length === 0 ? 'none' : `${operands.length} (${operands.join(' ')})`;
      throw new UsageError(
        `${command}: expected ${expected === 1 ? `one ${sub.operand}` : 'no arguments besides options'}, got ${got}; usage: bandctl directory ${synopsis(name, sub)}`,
      );
    }
    const given = values as Values;
    for (const option of Object.keys(OPTIONS) as (keyof typeof OPTIONS)[]) {
      if (option === 'directory' || given[option] === undefined) continue;
      if (!sub.options.includes(option)) {
        throw new UsageError(
          `${command}: --${option} does not apply here; usage: bandctl directory ${synopsis(name, sub)}`,
        );
      }
    }
    for (const option of sub.required ?? []) {
      if (given[option] === undefined || given[option] === '') {
        throw new UsageError(
          `${command}: expected --${option} ${argName(option)}; usage: bandctl directory ${synopsis(name, sub)}`,
        );
      }
    }
    // Malformed names and serials are command-line mistakes (exit 2), caught before the directory is opened.
    let operand = operands[0];
    if (sub.operand === 'NAME') operand = checked(name, 'NAME', () => assertUserName(operand));
    if (sub.operand === 'SERIAL') operand = serialArgument(`directory ${name}`, 'SERIAL', operand);
    if (given.user !== undefined) checked(name, '--user', () => assertUserName(given.user));
    if (given.band !== undefined) serialArgument(`directory ${name}`, '--band', given.band);

    const path = given.directory ?? ctx.env.BANDCTL_DIRECTORY ?? DEFAULT_DIRECTORY_PATH;
    if (path === '') throw new UsageError(`${command}: expected --directory FILE to name a file, got an empty string`);
    try {
      await sub.run({ directory: new FileDirectory(path), path, ctx }, operand, given);
    } catch (error) {
      throw withPath(error, path);
    }
  },
};

/** Runs a validator that throws DirectoryError and reports its complaint as a usage error. */
function checked<T>(subcommand: string, what: string, check: () => T, given?: unknown): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof DirectoryError)) throw error;
    // The library's sentence names API calls (getInfo().deviceId); a CLI user gets the command that shows it.
    if (error.code === 'INVALID_DEVICE_ID') {
      throw new UsageError(
        `directory ${subcommand}: ${what}: expected the band's device ID, ${DEVICE_ID_BYTES} bytes as ` +
          `${DEVICE_ID_BYTES * 2} hex digits, got ${JSON.stringify(given)}; copy it from 'bandctl info --json' (deviceId)`,
      );
    }
    throw new UsageError(`directory ${subcommand}: ${what}: ${error.message}`);
    throw error;
  }
}

/**
 * "No user named x" is often "wrong directory file": say which file was read. Errors that already name their
 * file (IO, CORRUPT) are left alone.
 */
function withPath(error: unknown, path: string): unknown {
  if (!(error instanceof DirectoryError) || error.path !== undefined || error.constructor !== DirectoryError)
    return error;
  return new DirectoryError(error.code, `${error.message} (directory file: ${path})`, {
    cause: error,
    ...(error.rule ? { rule: error.rule } : {}),
  });
}

/** Commits `mutate` and reports what it changed, found by comparing the directory before and after. */
async function change(session: Session, mutate: (draft: DirectoryDraft) => void) {
  let before: DirectorySnapshot | undefined;
  await session.directory.update((draft) => {
    before = copyDirectoryState(draft);
    mutate(draft);
  });
  const after = await session.directory.snapshot();
  const changes = diffDirectory(before!, after);
  const human = changes.length
    ? changes.map((c) => describeChange(c, after))
    : ['Nothing changed: the directory already said so.'];
  return { changes, after, human };
}

async function changeAndShowUser(
  session: Session,
  userName: string,
  mutate: (draft: DirectoryDraft) => void,
): Promise<void> {
  const { changes, after, human } = await change(session, mutate);
  session.ctx.out.result(
    { ok: true, directory: session.path, changes, user: userName, rows: userProperties(after, userName) },
    [...human, '', ...renderUser(after, userName)],
  );
}
