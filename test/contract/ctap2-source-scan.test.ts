import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * CTAP2 has one home: proto/ctap2/ holds every command byte and member key (CTAP 2.1 §6) as named constants and
 * member tables. This scan fails when library code elsewhere writes one as a number again. It reads the source with
 * comments and string literals blanked out (so prose like "member 0x01" in a message is fine) and looks for the
 * shapes a CTAP2 number takes in code:
 *
 * - a CBOR map built from numeric keys: `new Map([[1, clientDataHash], ...])`;
 * - a numeric key read or written on a map: `.get(1)`, `.set(0x02, ...)`, `.has(3)`, `.delete(4)`;
 * - a table keyed by numbers: `{ 0x01: 'authenticatorMakeCredential' }`;
 * - a named CTAP2 constant defined outside proto: `MAKE_CREDENTIAL: 0x01`, `GET_PIN_RETRIES = 1`;
 * - a byte compared or switched on as a command: `command === 0x04`, `case 0x0a:`.
 *
 * The map and number shapes are looked for in CTAP2 code: files that import from proto/ctap2/, host/fido2/ or
 * firmware-sim/ctap2/, or handle CBOR. Elsewhere numbers key other things (USB descriptor indices); a CTAP2 constant
 * defined by name is looked for everywhere. Tests are not scanned: they spell raw bytes on purpose, as independent
 * witnesses of the wire.
 */
const root = new URL('../..', import.meta.url).pathname;
const SCANNED = ['firmware-sim', 'host', 'transport'];

/** Source text with comments and string/template literal text replaced by spaces (template `${}` code is kept). */
export function codeOnly(source: string): string {
  let out = '';
  let i = 0;
  const templateDepth: number[] = []; // brace depth at which each open template's `${` began
  let braces = 0;
  const blank = (text: string) => text.replace(/[^\n]/g, ' ');
  const readString = (quote: string) => {
    let j = i + 1;
    while (j < source.length && source[j] !== quote && source[j] !== '\n') j += source[j] === '\\' ? 2 : 1;
    out += quote + blank(source.slice(i + 1, j)) + quote;
    i = j + 1;
  };
  const readTemplate = () => {
    // i is just after a backtick or a closing `}` of `${`; read text up to the next backtick or `${`.
    let j = i;
    while (j < source.length && source[j] !== '`' && !(source[j] === '$' && source[j + 1] === '{'))
      j += source[j] === '\\' ? 2 : 1;
    out += blank(source.slice(i, j));
    if (source[j] === '`') {
      out += '`';
      i = j + 1;
    } else {
      out += '${';
      i = j + 2;
      templateDepth.push(braces);
      braces++;
    }
  };
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      const end = source.indexOf('\n', i);
      const stop = end === -1 ? source.length : end;
      out += blank(source.slice(i, stop));
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? source.length : end + 2;
      out += blank(source.slice(i, stop));
      i = stop;
    } else if (c === "'" || c === '"') {
      readString(c);
    } else if (c === '`') {
      out += '`';
      i++;
      readTemplate();
    } else if (c === '{') {
      braces++;
      out += c;
      i++;
    } else if (c === '}') {
      braces--;
      out += c;
      i++;
      if (templateDepth.length > 0 && templateDepth[templateDepth.length - 1] === braces) {
        templateDepth.pop();
        readTemplate();
      }
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const NUMBER = String.raw`-?(?:0x[0-9a-fA-F]+|\d+)`;
/** Names of CTAP2 commands and sub-commands that must only be defined in proto/ctap2/. */
const CTAP2_NAMES = [
  'MAKE_CREDENTIAL',
  'GET_ASSERTION',
  'GET_INFO',
  'CLIENT_PIN',
  'GET_NEXT_ASSERTION',
  'BIO_ENROLLMENT',
  'CREDENTIAL_MANAGEMENT',
  'SELECTION',
  'LARGE_BLOBS',
  'CONFIG',
  'GET_PIN_RETRIES',
  'GET_KEY_AGREEMENT',
  'SET_PIN',
  'CHANGE_PIN',
  'GET_PIN_TOKEN',
  'GET_UV_RETRIES',
  'GET_CREDS_METADATA',
  'ENUMERATE_RPS_BEGIN',
  'DELETE_CREDENTIAL',
  'CLIENT_DATA_HASH',
  'PIN_UV_AUTH_PARAM',
  'PIN_UV_AUTH_PROTOCOL',
  'SUB_COMMAND',
  'KEY_AGREEMENT',
];
const RULES: { what: string; pattern: RegExp; everywhere?: boolean }[] = [
  {
    what: 'a numeric map key read or written',
    pattern: new RegExp(String.raw`\.(?:get|set|has|delete)(?:\?\.)?\(\s*${NUMBER}\s*[,)]`, 'g'),
  },
  { what: 'a table keyed by numbers', pattern: new RegExp(String.raw`(?:^|[{,])\s*${NUMBER}\s*:(?!:)`, 'gm') },
  {
    what: 'a CTAP2 constant defined outside proto/ctap2',
    pattern: new RegExp(String.raw`\b(?:${CTAP2_NAMES.join('|')})\s*[:=]\s*${NUMBER}\b`, 'g'),
    everywhere: true,
  },
  {
    what: 'a command byte compared as a number',
    pattern: new RegExp(String.raw`\b\w*[cC]ommand\s*[!=]==?\s*${NUMBER}\b`, 'g'),
  },
  { what: 'a numeric case label', pattern: new RegExp(String.raw`\bcase\s+${NUMBER}\s*:`, 'g') },
];

/** `new Map(...)` arguments with a `[number, value]` entry. */
function numericMapEntries(code: string): { index: number; text: string }[] {
  const found: { index: number; text: string }[] = [];
  for (const match of code.matchAll(/new Map\s*(?:<[^(]*?>)?\s*\(/g)) {
    let depth = 1;
    let j = match.index + match[0].length;
    while (j < code.length && depth > 0) {
      if (code[j] === '(') depth++;
      else if (code[j] === ')') depth--;
      j++;
    }
    const args = code.slice(match.index, j);
    const entry = new RegExp(String.raw`\[\s*${NUMBER}\s*,`).exec(args.slice(args.indexOf('(') + 1));
    if (entry) found.push({ index: match.index, text: args.replace(/\s+/g, ' ').slice(0, 80) });
  }
  return found;
}

/** Code that deals in CTAP2 messages: it imports the CTAP2 modules or handles CBOR. */
export function isCtap2Code(source: string): boolean {
  return (
    /from\s+['"][^'"]*(?:ctap2|fido2)\/[^'"]*['"]/.test(source) ||
    /\b(?:en|de)codeCanonical\b|\bCbor(?:Map|Value|Input)\b/.test(source)
  );
}

/** Every CTAP2-number-shaped spot in `source`, as `line: what: text`. */
export function violations(source: string): string[] {
  const code = codeOnly(source);
  const lineOf = (index: number) => code.slice(0, index).split('\n').length;
  const out: string[] = [];
  const ctap2 = isCtap2Code(source);
  for (const { what, pattern, everywhere } of RULES) {
    if (!ctap2 && everywhere !== true) continue;
    for (const m of code.matchAll(pattern)) out.push(`${lineOf(m.index)}: ${what}: ${m[0].trim()}`);
  }
  if (!ctap2) return out;
  for (const { index, text } of numericMapEntries(code))
    out.push(`${lineOf(index)}: a CBOR map with numeric keys: ${text}`);
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('CTAP2 numbers live only in proto/ctap2/', () => {
  it('the scanner finds each shape a CTAP2 number takes in code, and ignores comments and strings', () => {
    const planted = [
      'const params = new Map<number, CborInput>([[1, cdh], [2, rp]]);',
      'const fmt = response.get(0x01);',
      "out.set(3, 'x');",
      "const NAMES = { 0x04: 'authenticatorGetInfo' };",
      'const Param = { CLIENT_DATA_HASH: 0x01 };',
      'const CLIENT_PIN = 0x06;',
      'if (command === 0x0b) select();',
      'const seen = session.lastCtapCommand !== 4 && reply.get?.(0x01);',
      'switch (sub) { case 0x0a: break; }',
    ];
    const found = violations(["import type { CborInput } from '../../proto/ctap2/index.js';", ...planted].join('\n'));
    expect(found.map((f) => Number(f.split(':')[0])).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 9, 10]);
    const prose = [
      '// map.get(1) and new Map([[1, x]]) in a comment',
      "const message = 'member 0x01 (clientDataHash) is required; case 3: new Map([[1, x]])';",
      'const text = `getInfo ${info.get(GetInfo.versions.key)} member 0x05: ${x}`;',
      '/* MAKE_CREDENTIAL: 0x01 */ const ok = map.get(Members.rp.key);',
    ];
    expect(violations(["import { decodeCanonical } from '../../proto/ctap2/index.js';", ...prose].join('\n'))).toEqual(
      [],
    );
    // Outside CTAP2 code only a CTAP2 constant defined by name counts.
    expect(violations(['const strings = new Map([[0, languages]]);', 'const GET_INFO = 4;'].join('\n'))).toEqual([
      '2: a CTAP2 constant defined outside proto/ctap2: GET_INFO = 4',
    ]);
  });

  for (const layer of SCANNED) {
    it(`${layer}/ writes no CTAP2 command byte or member key as a number`, () => {
      const found = sources(layer).flatMap((file) =>
        violations(readFileSync(join(root, file), 'utf8')).map((v) => `${relative(root, join(root, file))}:${v}`),
      );
      expect(found).toEqual([]);
    });
  }
});
