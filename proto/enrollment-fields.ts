/**
 * The rules for CompleteEnrollmentRequest's fields, shared by the band (which enforces them) and hosts (which
 * check them before asking a user for a whole fingerprint capture that the band would then refuse).
 *
 * The band label: what the display shows as its owner's name. Custom labels are at most 12 characters of
 * A-Z, 0-9, space and ASCII punctuation (lower-case letters are accepted and shown upper-case), with no
 * leading or trailing space. The default label is the user name, upper-cased, first 12 characters, every
 * character the display cannot draw shown as '?'.
 */
export const MAX_LABEL_CHARS = 12;
export const MAX_USER_NAME_BYTES = 64;

export type LabelCheck = { ok: true; label: string } | { ok: false; problem: string };

const CONTROL = /[\u0000-\u001f\u007f]/;

function drawable(c: string): boolean {
  const code = c.codePointAt(0)!;
  // Printable ASCII minus lower-case letters, which are drawn upper-case.
  return code >= 0x20 && code <= 0x7e && !(code >= 0x61 && code <= 0x7a);
}

function upper(c: string): string {
  const code = c.codePointAt(0)!;
  return code >= 0x61 && code <= 0x7a ? String.fromCharCode(code - 0x20) : c;
}

/** A user name the band accepts: 1..64 UTF-8 bytes, no control characters; undefined when it is fine. */
export function userNameProblem(userName: string): string | undefined {
  const bytes = Buffer.byteLength(userName);
  if (bytes < 1 || bytes > MAX_USER_NAME_BYTES)
    return `a user name is 1..${MAX_USER_NAME_BYTES} bytes of UTF-8, got ${bytes}`;
  const control = CONTROL.exec(userName);
  if (control)
    return `a user name may not contain control characters, got U+${control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  return undefined;
}

export function checkCustomLabel(label: string): LabelCheck {
  const chars = Array.from(label);
  if (chars.length > MAX_LABEL_CHARS) {
    return { ok: false, problem: `a label is at most ${MAX_LABEL_CHARS} characters, got ${chars.length}` };
  }
  const bad = chars.find((c) => !drawable(upper(c)));
  if (bad !== undefined) {
    return {
      ok: false,
      problem: `a label may use A-Z, 0-9, space and ASCII punctuation, got ${JSON.stringify(bad)} (U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')})`,
    };
  }
  if (label.startsWith(' ') || label.endsWith(' '))
    return { ok: false, problem: 'a label may not start or end with a space' };
  return { ok: true, label: chars.map(upper).join('') };
}

export function defaultLabel(userName: string): string {
  return Array.from(userName)
    .slice(0, MAX_LABEL_CHARS)
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
