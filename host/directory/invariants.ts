import { isCanonicalDeviceId } from './device-id.js';
import { DirectoryError, type InvariantRule } from './errors.js';
import type { DirectoryState } from './model.js';
import { isSerialNumber } from './serial-number.js';
import { isUserName } from './user-name.js';

export interface InvariantViolation {
  rule: InvariantRule;
  /** What is wrong, naming the records involved. */
  detail: string;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export function isIsoTimestamp(value: unknown): value is string {
  return typeof value === 'string' && ISO_UTC.test(value) && !Number.isNaN(Date.parse(value));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Field-level checks. They run on anything (a parsed file, a draft a callback may have mangled), so they take
 * `unknown` and report the first few problems rather than trusting the static types.
 */
function shapeProblems(state: unknown): string[] {
  const problems: string[] = [];
  if (!isRecord(state)) return ['the directory is not an object'];
  const { users, bands, associations, policy } = state;

  if (!Array.isArray(users)) problems.push('"users" is not an array');
  else
    users.forEach((u: unknown, i) => {
      if (!isRecord(u)) return problems.push(`users[${i}] is not an object`);
      if (!isUserName(u.name)) problems.push(`users[${i}].name ${JSON.stringify(u.name)} is not a valid user name`);
      if (!isIsoTimestamp(u.created)) problems.push(`users[${i}].created is not an ISO-8601 UTC timestamp`);
    });

  if (!Array.isArray(bands)) problems.push('"bands" is not an array');
  else
    bands.forEach((b: unknown, i) => {
      if (!isRecord(b)) return problems.push(`bands[${i}] is not an object`);
      if (!isSerialNumber(b.serialNumber))
        problems.push(`bands[${i}].serialNumber ${JSON.stringify(b.serialNumber)} is not of the form AAAA-00000`);
      if (!isCanonicalDeviceId(b.deviceId))
        problems.push(`bands[${i}].deviceId ${JSON.stringify(b.deviceId)} is not lower-case even-length hex`);
      if (typeof b.seosEnabled !== 'boolean') problems.push(`bands[${i}].seosEnabled is not a boolean`);
      if (!isIsoTimestamp(b.created)) problems.push(`bands[${i}].created is not an ISO-8601 UTC timestamp`);
    });

  if (!Array.isArray(associations)) problems.push('"associations" is not an array');
  else
    associations.forEach((a: unknown, i) => {
      if (!isRecord(a)) return problems.push(`associations[${i}] is not an object`);
      if (!isUserName(a.userName)) problems.push(`associations[${i}].userName is not a valid user name`);
      if (!isSerialNumber(a.serialNumber))
        problems.push(`associations[${i}].serialNumber is not of the form AAAA-00000`);
      if (typeof a.isActive !== 'boolean') problems.push(`associations[${i}].isActive is not a boolean`);
      if (typeof a.isPrimary !== 'boolean') problems.push(`associations[${i}].isPrimary is not a boolean`);
      if (typeof a.notes !== 'string') problems.push(`associations[${i}].notes is not a string`);
      if (!isIsoTimestamp(a.created)) problems.push(`associations[${i}].created is not an ISO-8601 UTC timestamp`);
    });

  if (!isRecord(policy)) problems.push('"policy" is not an object');
  else {
    if (typeof policy.allowReEnrollOwnBand !== 'boolean') problems.push('policy.allowReEnrollOwnBand is not a boolean');
    if (typeof policy.allowReEnrollAnyActiveBand !== 'boolean')
      problems.push('policy.allowReEnrollAnyActiveBand is not a boolean');
  }
  return problems;
}

function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const v of values) (seen.has(v) ? dup : seen).add(v);
  return [...dup];
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** Every rule the directory must satisfy; empty when the state may be committed. */
export function findViolations(state: unknown): InvariantViolation[] {
  const problems = shapeProblems(state);
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join('; ');
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
    return [{ rule: 'well-formed', detail: shown + more }];
  }
  const s = state as DirectoryState;
  const out: InvariantViolation[] = [];

  for (const name of duplicates(s.users.map((u) => u.name)))
    out.push({ rule: 'unique-user-name', detail: `user ${name} appears more than once` });
  for (const serial of duplicates(s.bands.map((b) => b.serialNumber)))
    out.push({ rule: 'unique-serial-number', detail: `band ${serial} appears more than once` });
  for (const id of duplicates(s.bands.map((b) => b.deviceId)))
    out.push({ rule: 'unique-device-id', detail: `device ID ${id} belongs to more than one band` });

  const userNames = new Set(s.users.map((u) => u.name));
  const serials = new Set(s.bands.map((b) => b.serialNumber));
  for (const a of s.associations) {
    if (!userNames.has(a.userName))
      out.push({ rule: 'association-references', detail: `an association names unknown user ${a.userName}` });
    if (!serials.has(a.serialNumber))
      out.push({ rule: 'association-references', detail: `an association names unregistered band ${a.serialNumber}` });
  }

  for (const [serial, rows] of countBy(s.associations, (a) => a.serialNumber)) {
    if (rows.length > 1)
      out.push({
        rule: 'band-single-user',
        detail: `band ${serial} is associated ${rows.length} times (with ${rows.map((r) => r.userName).join(', ')})`,
      });
  }
  for (const [user, rows] of countBy(
    s.associations.filter((a) => a.isActive),
    (a) => a.userName,
  )) {
    if (rows.length > 1)
      out.push({
        rule: 'user-single-active',
        detail: `user ${user} has ${rows.length} active bands (${rows.map((r) => r.serialNumber).join(', ')})`,
      });
  }
  for (const [user, rows] of countBy(
    s.associations.filter((a) => a.isPrimary),
    (a) => a.userName,
  )) {
    if (rows.length > 1)
      out.push({
        rule: 'user-single-primary',
        detail: `user ${user} has ${rows.length} primary bands (${rows.map((r) => r.serialNumber).join(', ')})`,
      });
  }
  return out;
}

const REMEDY: Record<InvariantRule, string> = {
  'well-formed': 'set every field to a value of the documented type and form',
  'unique-user-name': 'register each user once',
  'unique-serial-number': 'register each band once',
  'unique-device-id': 'check the device ID read from the band; two serial numbers cannot share one',
  'association-references': 'register the user and the band before associating them',
  'band-single-user': 'disconnect the band from its current user in the same update before associating it',
  'user-single-active': 'deactivate the other band in the same update',
  'user-single-primary': 'clear Is Primary on the other band in the same update',
};

/** Throws DirectoryError 'INVARIANT' naming the first broken rule; the caller has written nothing yet. */
export function assertInvariants(state: unknown): void {
  const [first, ...rest] = findViolations(state);
  if (!first) return;
  const also = rest.length > 0 ? ` Also: ${rest.map((v) => `${v.rule}: ${v.detail}`).join('; ')}.` : '';
  throw new DirectoryError(
    'INVARIANT',
    `Directory rule "${first.rule}" would be broken: ${first.detail}. Nothing was written; ${REMEDY[first.rule]}.${also}`,
    { rule: first.rule },
  );
}
