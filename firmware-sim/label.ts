import { Rules } from './rules.js';

/**
 * The band label: what the display shows as its owner's name. Custom labels are at most 12 characters
 * of A-Z, 0-9, space and ASCII punctuation (lower-case letters are accepted and shown upper-case), with
 * no leading or trailing space. The default label is the user name, upper-cased, first 12 characters,
 * every character the display cannot draw shown as '?'.
 */
export type LabelCheck = { ok: true; label: string } | { ok: false; problem: string };

function drawable(c: string): boolean {
  const code = c.codePointAt(0)!;
  // Printable ASCII minus lower-case letters, which are drawn upper-case.
  return code >= 0x20 && code <= 0x7e && !(code >= 0x61 && code <= 0x7a);
}

function upper(c: string): string {
  const code = c.codePointAt(0)!;
  return code >= 0x61 && code <= 0x7a ? String.fromCharCode(code - 0x20) : c;
}

export function checkCustomLabel(label: string): LabelCheck {
  const chars = Array.from(label);
  if (chars.length > Rules.MAX_LABEL_CHARS) {
    return { ok: false, problem: `a label is at most ${Rules.MAX_LABEL_CHARS} characters, got ${chars.length}` };
  }
  const bad = chars.find((c) => !drawable(upper(c)));
  if (bad !== undefined) {
    return {
      ok: false,
      problem: `a label may use A-Z, 0-9, space and ASCII punctuation, got ${JSON.stringify(bad)} (U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`,
    };
  }
  if (label.startsWith(' ') || label.endsWith(' ')) return { ok: false, problem: 'a label may not start or end with a space' };
  return { ok: true, label: chars.map(upper).join('') };
}

export function defaultLabel(userName: string): string {
  return Array.from(userName)
    .slice(0, Rules.MAX_LABEL_CHARS)
    .map((c) => {
      const u = upper(c);
      return drawable(u) ? u : '?';
    })
    .join('');
}

/** The label the band shows for a request: the user name's when `requested` is empty. */
export function resolveLabel(requested: string, userName: string): LabelCheck {
  return requested === '' ? { ok: true, label: defaultLabel(userName) } : checkCustomLabel(requested);
}
