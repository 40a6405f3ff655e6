import {
  POLICY_SETTING_LABELS,
  renderUserPropertiesTable,
  userProperties,
  type DirectorySnapshot,
  type Policy,
} from '../../directory/index.js';

/** The administrator console's wording for each setting, with the bandctl flag that sets it. */
export const POLICY_SETTINGS = [
  {
    setting: 'allowReEnrollOwnBand',
    flag: '--own-band',
    label: POLICY_SETTING_LABELS.allowReEnrollOwnBand,
  },
  {
    setting: 'allowReEnrollAnyActiveBand',
    flag: '--any-active-band',
    label: POLICY_SETTING_LABELS.allowReEnrollAnyActiveBand,
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
