/**
 * The band's identifiers and the names it holds, each rule written once: the band enforces them, hosts check them
 * before asking a user for anything the band would then refuse, and the directory stores only what passes them
 * (docs/domain.md, docs/band.md). Bounds are band.proto's.
 */

/**
 * The serial number printed on the band's back (GetInfoResponse.serial_number): four capital letters, a dash and
 * five digits, e.g. AAAH-00125.
 */
export const SERIAL_NUMBER_PATTERN = /^[A-Z]{4}-\d{5}$/;
export const SERIAL_NUMBER_EXAMPLE = 'AAAH-00125';
export const SERIAL_NUMBER_FORM = 'four capital letters, a dash and five digits';

export function isSerialNumber(value: unknown): value is string {
  return typeof value === 'string' && SERIAL_NUMBER_PATTERN.test(value);
}

/** The band's hardware identity the enterprise server registers (GetInfoResponse.device_id): exactly 16 bytes. */
export const DEVICE_ID_BYTES = 16;
/** The device ID as text, the way the directory stores it: lower-case hex, two digits a byte. */
export const DEVICE_ID_HEX_PATTERN = new RegExp(`^[0-9a-f]{${DEVICE_ID_BYTES * 2}}$`);

export function isDeviceIdHex(value: unknown): value is string {
  return typeof value === 'string' && DEVICE_ID_HEX_PATTERN.test(value);
}

/** The firmware version string (GetInfoResponse.firmware_version): 1..32 bytes. */
export const MAX_FIRMWARE_VERSION_BYTES = 32;

/**
 * The band label: what the display shows as its owner's name. Custom labels are at most 12 characters of
 * A-Z, 0-9, space and ASCII punctuation (lower-case letters are accepted and shown upper-case), with no
 * leading or trailing space. The default label is the user name, upper-cased, first 12 characters, every
 * character the display cannot draw shown as '?'.
 */
export const MAX_LABEL_CHARS = 12;
/**
 * The user's directory name, as the band stores it (CompleteEnrollmentRequest.user_name) and the enterprise
 * directory keys its users by: 1..64 bytes of UTF-8, no control characters, no leading or trailing white space.
 * One rule for both, because the orchestrator enrolls a band with the directory's name: a name the directory took
 * but the band refused could never be enrolled.
 */
export const MAX_USER_NAME_BYTES = 64;

export type LabelCheck = { ok: true; label: string } | { ok: false; problem: string };

// Unicode's Cc: C0 controls, DEL and C1 controls; they make a name ambiguous in logs and tables.
const CONTROL = /\p{Cc}/u;

function drawable(c: string): boolean {
  const code = c.codePointAt(0)!;
  // Printable ASCII minus lower-case letters, which are drawn upper-case.
  return code >= 0x20 && code <= 0x7e && !(code >= 0x61 && code <= 0x7a);
}

function upper(c: string): string {
  const code = c.codePointAt(0)!;
  return code >= 0x61 && code <= 0x7a ? String.fromCharCode(code - 0x20) : c;
}

/**
 * The user name a band gives a wearer enrolled over CTAP (authenticatorBioEnrollment), where no directory user name
 * exists: "local-" and the first 8 hex digits of the template ID (GetState.local_user tells it apart from a
 * directory name; docs/band.md, "Fingerprint management over CTAP"). It follows the user name rule, and its
 * default label is "LOCAL-" and 6 of those digits.
 */
export const LOCAL_USER_NAME_PREFIX = 'local-';

export function localUserName(templateId: Uint8Array): string {
  return LOCAL_USER_NAME_PREFIX + Buffer.from(templateId.subarray(0, 4)).toString('hex');
}

/** Why `userName` breaks the user name rule, or undefined when it is fine. */
export function userNameProblem(userName: string): string | undefined {
  const bytes = Buffer.byteLength(userName);
  if (bytes < 1 || bytes > MAX_USER_NAME_BYTES)
    return `a user name is 1..${MAX_USER_NAME_BYTES} bytes of UTF-8, got ${bytes}`;
  const control = CONTROL.exec(userName);
  if (control)
    return `a user name may not contain control characters, got U+${control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  if (userName !== userName.trim()) return 'a user name may not start or end with white space';
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
