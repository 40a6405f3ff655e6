import {
  associationOfBand,
  renderUserPropertiesTable,
  userProperties,
  type DirectorySnapshot,
  type Policy,
} from '../../directory/index.js';
import type { DirectoryChange } from './directory-changes.js';

/** The administrator console's wording for each setting, with the bandctl flag that sets it. */
export const POLICY_SETTINGS = [
  {
    setting: 'allowReEnrollOwnBand',
    flag: '--own-band',
    label: 'Allow a user to re-enroll / re-register their Nymi Band',
  },
  {
    setting: 'allowReEnrollAnyActiveBand',
    flag: '--any-active-band',
    label: 'Allow a user to re-enroll any active Nymi Band',
  },
] as const satisfies readonly { setting: keyof Policy; flag: string; label: string }[];

const onOff = (value: boolean) => (value ? 'on' : 'off');

export function renderPolicy(policy: Readonly<Policy>): string[] {
  const width = Math.max(...POLICY_SETTINGS.map((s) => `${s.label} (${s.flag})`.length));
  return POLICY_SETTINGS.map((s) => `${`${s.label} (${s.flag})`.padEnd(width)}  ${onOff(policy[s.setting])}`);
}

/** The User Properties window for one user, headed by the user's name. */
export function renderUser(view: DirectorySnapshot, userName: string): string[] {
  const rows = userProperties(view, userName);
  const table = renderUserPropertiesTable(rows).trimEnd().split('\n');
  return [`User Properties: ${userName}`, ...table, ...(rows.length === 0 ? ['(no bands)'] : [])];
}

/** A band as the short users table shows it: `AAAH-00125 (Primary)`, flags omitted when clear. */
export function bandCell(band: { serialNumber: string; isActive: boolean; isPrimary: boolean }): string {
  const flags = [band.isActive && 'Active', band.isPrimary && 'Primary'].filter(Boolean);
  return flags.length ? `${band.serialNumber} (${flags.join(', ')})` : band.serialNumber;
}

/** Same layout as the User Properties table (` | ` between columns, `-+-` in the rule) so the two read alike. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const cells = [header, ...rows];
  const widths = header.map((_, col) => Math.max(...cells.map((row) => row[col].length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, col) => cell.padEnd(widths[col]))
      .join(' | ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map(line)];
}

/** One sentence per change; an association's flag changes are folded into one line per band. */
export function describeChange(change: DirectoryChange, after: DirectorySnapshot): string {
  switch (change.kind) {
    case 'user-added':
      return `Added user ${change.userName}.`;
    case 'user-removed':
      return `Removed user ${change.userName}.`;
    case 'band-added':
      return `Registered band ${change.serialNumber} (device ID ${change.deviceId}, HID SEOS ${change.seosEnabled ? 'yes' : 'no'}).`;
    case 'band-removed':
      return `Removed band ${change.serialNumber} from the directory.`;
    case 'association-added': {
      const flags = [change.isActive && 'Active', change.isPrimary && 'Primary'].filter(Boolean).join(', ');
      return `Assigned band ${change.serialNumber} to ${change.userName}${flags ? ` (${flags})` : ''}.`;
    }
    case 'association-removed': {
      const holder = associationOfBand(after, change.serialNumber);
      return `Removed band ${change.serialNumber} from ${change.userName}${holder ? '' : '; the band is now assigned to nobody'}.`;
    }
    case 'association-changed': {
      const { before, after: now } = change;
      const parts = [
        before.isActive !== now.isActive && (now.isActive ? 'now Active' : 'no longer Active'),
        before.isPrimary !== now.isPrimary && (now.isPrimary ? 'now Primary' : 'no longer Primary'),
        before.notes !== now.notes && `notes now ${JSON.stringify(now.notes)}`,
      ].filter(Boolean);
      return `Band ${change.serialNumber} of ${change.userName}: ${parts.join(', ')}.`;
    }
    case 'policy-changed': {
      const label = POLICY_SETTINGS.find((s) => s.setting === change.setting)?.label ?? change.setting;
      return `Policy "${label}": ${onOff(change.from)} -> ${onOff(change.to)}.`;
    }
  }
}
