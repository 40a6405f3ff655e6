import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * proto/ is the one home of every wire rule (docs/protocol.md §Timing and limits, proto/identifiers.ts,
 * proto/limits.ts, proto/ctaphid.ts). This scan fails when one is written again anywhere else in the library:
 * the serial-number pattern, the 7609-byte message ceiling, a CTAPHID error code table, a limit constant, or a
 * limit's number next to what it bounds (a user name, a label, a device ID, a PIN, the discoverable credentials).
 * Comments are ignored (they may cite a number); strings are not (a message that spells a limit is a second copy
 * of it: interpolate the constant). The CTAP2 command and member-key scan is the CTAP2 schema's, not this one's.
 */
const root = new URL('../..', import.meta.url).pathname;
const SCANNED = ['transport', 'firmware-sim', 'host'];

interface Rule {
  name: string;
  pattern: RegExp;
}

const HID_ERROR_NAMES =
  'INVALID_CMD|INVALID_PAR|INVALID_LEN|INVALID_SEQ|MSG_TIMEOUT|CHANNEL_BUSY|LOCK_REQUIRED|INVALID_CHANNEL';
const LIMITED =
  'USER_NAME|LABEL|DEVICE_ID|MSG_SIZE|MESSAGE_SIZE|ERROR_MESSAGE|PIN_LENGTH|PIN_BYTES|CREDENTIAL|RESIDENT|DISCOVERABLE|SERIAL|FIRMWARE_VERSION';

const RULES: Rule[] = [
  { name: 'the serial-number pattern', pattern: /\[A-Z\]\{4\}|\\d\{5\}/ },
  { name: 'the CTAPHID message ceiling (7609 bytes)', pattern: /\b7609\b|\b57\s*\+\s*128\s*\*\s*59\b/ },
  {
    name: 'a CTAPHID error code',
    pattern: new RegExp(
      `\\b(?:${HID_ERROR_NAMES})['"]?\\s*:\\s*(?:0x)?[0-9a-f]+\\b|\\b(?:0x[0-9a-f]{1,2}|\\d{1,3})\\s*:\\s*['"](?:${HID_ERROR_NAMES}|OTHER)['"]`,
      'i',
    ),
  },
  { name: 'a limit constant', pattern: new RegExp(`\\b\\w*(?:MAX|MIN)_\\w*(?:${LIMITED})\\w*\\s*=\\s*\\d`) },
  {
    name: 'the discoverable-credential limit',
    pattern:
      /\b(?:credentials|\w*[Rr]esident\w*|\w*[Dd]iscoverable\w*)(?:\.length)?\s*(?:<=?|>=?|===?|!==?|\?\?)\s*\d{2,}\b|at most \d+ (?:discoverable |resident )?credentials|maxResidentCredentials\s*:\s*\d/i,
  },
  { name: 'the user-name limit', pattern: /user.?name[^\n]*?\b(?:64|65|256)\b/i },
  { name: 'the label limit', pattern: /label[^\n]*?\b(?:12|13)\b/i },
  { name: 'the device-ID length', pattern: /device.?id[^\n]*?\b(?:16|32)\b/i },
  { name: 'a PIN length', pattern: /\bpin\b[^\n]*?(?:<=?|>=?|at most|at least)\s*(?:4|63|64)\b/i },
  {
    name: 'the ENROLLING state list',
    pattern:
      /'BAND_STATE_AWAITING_SETUP_CODE',\s*'BAND_STATE_ADD_USER',\s*'BAND_STATE_CAPTURING',\s*'BAND_STATE_CAPTURED'/,
  },
];

/** The source with every comment blanked (newlines kept, so line numbers stay); string and template text stays. */
function withoutComments(source: string): string {
  let out = '';
  let i = 0;
  let quote: string | undefined;
  while (i < source.length) {
    const c = source[i];
    if (quote) {
      out += c;
      if (c === '\\') {
        out += source[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (c === quote) quote = undefined;
      i++;
      continue;
    }
    if (c === '/' && source[i + 1] === '/') {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? source.length : end + 2;
      out += source.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    out += c;
    i++;
  }
  return out;
}

/** "file:line: rule: text" for every place a rule is written outside proto/. */
function violations(file: string, source: string): string[] {
  const code = withoutComments(source);
  const found: string[] = [];
  for (const rule of RULES) {
    const global = new RegExp(
      rule.pattern.source,
      rule.pattern.flags.includes('g') ? rule.pattern.flags : `${rule.pattern.flags}g`,
    );
    for (const match of code.matchAll(global)) {
      const line = code.slice(0, match.index).split('\n').length;
      found.push(`${file}:${line}: ${rule.name}: ${match[0].split('\n')[0].trim()}`);
    }
  }
  return found;
}

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('every wire rule is written once, in proto/', () => {
  it('no file of transport/, firmware-sim/ or host/ writes a CTAPHID code, an identifier rule or a limit itself', () => {
    const found = SCANNED.flatMap(sources).flatMap((file) => violations(file, readFileSync(join(root, file), 'utf8')));
    expect(found).toEqual([]);
  });

  it('proto/ itself holds each of them (so the scan looks for what is really there)', () => {
    const proto = sources('proto').map((file) => readFileSync(join(root, file), 'utf8'));
    const everything = proto.join('\n');
    expect(everything).toMatch(/SERIAL_NUMBER_PATTERN = \/\^\[A-Z\]\{4\}-\\d\{5\}\$\//);
    expect(everything).toMatch(/CHANNEL_BUSY: 0x06/);
    expect(everything).toMatch(/MAX_DISCOVERABLE_CREDENTIALS = \d+/);
  });

  // The scan must be able to fail: each rule catches the copies this repository used to hold.
  it.each([
    ['the serial-number pattern', `const SERIAL_NUMBER = /^[A-Z]{4}-\\d{5}$/;`],
    ['the CTAPHID message ceiling (7609 bytes)', 'export const MAX_PAYLOAD = 7609;'],
    ['the CTAPHID message ceiling (7609 bytes)', 'export const MAX_UNIT_PAYLOAD = 57 + 128 * 59;'],
    ['a CTAPHID error code', `const NAMES = {\n  0x06: 'CHANNEL_BUSY',\n};`],
    ['a CTAPHID error code', 'export const HidError = { INVALID_CMD: 0x01 };'],
    ['a CTAPHID error code', `const names: Record<number, string> = { 6: 'CHANNEL_BUSY' };`],
    ['a limit constant', 'const MAX_USER_NAME_LENGTH = 256;'],
    ['a limit constant', 'export const BAND_MAX_RESIDENT_CREDENTIALS = 50;'],
    ['a limit constant', 'const MAX_ERROR_MESSAGE = 200;'],
    ['a limit constant', 'export const MAX_MSG_SIZE = MAX;\nexport const MIN_PIN_LENGTH = 4;'],
    [
      'the discoverable-credential limit',
      `check(credentials.length <= 32, 'at most 32 credentials', String(credentials.length));`,
    ],
    ['the discoverable-credential limit', 'const maxResidentCredentials = config.maxResidentCredentials ?? 50;'],
    ['the user-name limit', `check(Buffer.byteLength(s.userName) <= 64, 'a user_name of at most 64 bytes', '');`],
    ['the label limit', `check([...s.label].length <= 12, 'a label of at most 12 characters', s.label);`],
    ['the device-ID length', `check(first.deviceId.length === 16, 'a 16-byte device_id', '');`],
    ['a PIN length', 'if (bytes.length > 63) throw new RangeError(`a PIN is at most 63 bytes of UTF-8`);'],
    [
      'the ENROLLING state list',
      `const ENROLLING = new Set([\n  'BAND_STATE_AWAITING_SETUP_CODE',\n  'BAND_STATE_ADD_USER',\n  'BAND_STATE_CAPTURING',\n  'BAND_STATE_CAPTURED',\n]);`,
    ],
  ])('catches %s in %j', (rule, snippet) => {
    expect(violations('x.ts', snippet).map((v) => v.split(': ')[1])).toContain(rule);
  });

  it('ignores comments, and code that imports the rule instead of writing it', () => {
    const fine = [
      '// a CTAPHID message holds 7609 bytes (57 + 128 * 59); serials look like /^[A-Z]{4}-\\d{5}$/',
      '/* at most 32 credentials; a label of at most 12 characters */',
      `import { MAX_MESSAGE_SIZE, isSerialNumber } from '../proto/index.js';`,
      'if (!isSerialNumber(serial)) throw new RangeError(`expected ${SERIAL_NUMBER_FORM}`);',
      'check(credentials.length <= MAX_DISCOVERABLE_CREDENTIALS, `at most ${MAX_DISCOVERABLE_CREDENTIALS}`, "");',
      `const url = 'http://127.0.0.1:8111'; const n = 7608 + 1;`,
    ].join('\n');
    expect(violations('x.ts', fine)).toEqual([]);
  });
});
