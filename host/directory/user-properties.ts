import type { DirectorySnapshot } from './model.js';
import { associationsOf, requireUser } from './queries.js';

/** One row of the NES Administrator Console's User Properties window. */
export interface UserPropertiesRow {
  serialNumber: string;
  isActive: 'Active' | '';
  isPrimary: 'Primary' | '';
  notes: string;
  created: string;
}

export const USER_PROPERTIES_COLUMNS = ['Serial Number', 'Is Active', 'Is Primary', 'Notes', 'Created'] as const;

/** The user's bands, oldest first; equal Created times (one transaction) fall back to the serial number. */
export function userProperties(view: DirectorySnapshot, userName: string): UserPropertiesRow[] {
  requireUser(view, userName);
  return associationsOf(view, userName)
    .map((a) => ({
      serialNumber: a.serialNumber,
      isActive: a.isActive ? ('Active' as const) : ('' as const),
      isPrimary: a.isPrimary ? ('Primary' as const) : ('' as const),
      notes: a.notes,
      created: a.created,
    }))
    .sort((x, y) => compare(x.created, y.created) || compare(x.serialNumber, y.serialNumber));
}

/** A plain-text table, columns padded to their widest cell, separated by ` | `, no trailing spaces. */
export function renderUserPropertiesTable(rows: readonly UserPropertiesRow[]): string {
  const cells = [
    [...USER_PROPERTIES_COLUMNS],
    ...rows.map((r) => [r.serialNumber, r.isActive, r.isPrimary, oneLine(r.notes), r.created]),
  ];
  const widths = USER_PROPERTIES_COLUMNS.map((_, col) => Math.max(...cells.map((row) => row[col].length)));
  const line = (row: string[]) =>
    row
      .map((cell, col) => cell.padEnd(widths[col]))
      .join(' | ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('-+-');
  return [line(cells[0]), rule, ...cells.slice(1).map(line)].join('\n') + '\n';
}

/** A note with a line break or tab would tear the table apart. */
function oneLine(text: string): string {
  return text.replace(/[\p{Cc}]+/gu, ' ');
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
