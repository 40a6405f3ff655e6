import type { Association, DirectorySnapshot, Policy } from './model.js';
import { POLICY_SETTING_LABELS } from './policy.js';
import { associationOfBand } from './queries.js';

/**
 * What changed between two views of the directory (what an administrator command changed, or what changed under a
 * running re-enrollment), found by comparing the directory before and after the commit
 * rather than by trusting each operation to report itself: an operation that deactivates a user's other band
 * or removes temporary bands as a side effect is reported as faithfully as its main effect.
 */
export type DirectoryChange =
  | { kind: 'user-added' | 'user-removed'; userName: string }
  | { kind: 'band-added'; serialNumber: string; deviceId: string; seosEnabled: boolean }
  | { kind: 'band-removed'; serialNumber: string }
  | {
      kind: 'association-added';
      userName: string;
      serialNumber: string;
      isActive: boolean;
      isPrimary: boolean;
      notes: string;
    }
  | { kind: 'association-removed'; userName: string; serialNumber: string }
  | {
      kind: 'association-changed';
      userName: string;
      serialNumber: string;
      before: AssociationFlags;
      after: AssociationFlags;
    }
  | { kind: 'policy-changed'; setting: keyof Policy; from: boolean; to: boolean };

export interface AssociationFlags {
  isActive: boolean;
  isPrimary: boolean;
  notes: string;
}

export function diffDirectory(before: DirectorySnapshot, after: DirectorySnapshot): DirectoryChange[] {
  const changes: DirectoryChange[] = [];
  const userNames = new Set(before.users.map((u) => u.name));
  const afterUserNames = new Set(after.users.map((u) => u.name));
  for (const u of after.users) if (!userNames.has(u.name)) changes.push({ kind: 'user-added', userName: u.name });
  for (const u of before.users)
    if (!afterUserNames.has(u.name)) changes.push({ kind: 'user-removed', userName: u.name });

  const serials = new Set(before.bands.map((b) => b.serialNumber));
  const afterSerials = new Set(after.bands.map((b) => b.serialNumber));
  for (const b of after.bands) {
    if (!serials.has(b.serialNumber)) {
      changes.push({
        kind: 'band-added',
        serialNumber: b.serialNumber,
        deviceId: b.deviceId,
        seosEnabled: b.seosEnabled,
      });
    }
  }
  for (const b of before.bands)
    if (!afterSerials.has(b.serialNumber)) changes.push({ kind: 'band-removed', serialNumber: b.serialNumber });

  const key = (a: Readonly<Association>) => `${a.userName}\u0000${a.serialNumber}`;
  const old = new Map(before.associations.map((a) => [key(a), a]));
  const kept = new Set(after.associations.map(key));
  for (const a of after.associations) {
    const was = old.get(key(a));
    if (!was) {
      changes.push({
        kind: 'association-added',
        userName: a.userName,
        serialNumber: a.serialNumber,
        isActive: a.isActive,
        isPrimary: a.isPrimary,
        notes: a.notes,
      });
    } else if (was.isActive !== a.isActive || was.isPrimary !== a.isPrimary || was.notes !== a.notes) {
      changes.push({
        kind: 'association-changed',
        userName: a.userName,
        serialNumber: a.serialNumber,
        before: flags(was),
        after: flags(a),
      });
    }
  }
  for (const a of before.associations) {
    if (!kept.has(key(a)))
      changes.push({ kind: 'association-removed', userName: a.userName, serialNumber: a.serialNumber });
  }

  for (const setting of ['allowReEnrollOwnBand', 'allowReEnrollAnyActiveBand'] as const) {
    if (before.policy[setting] !== after.policy[setting]) {
      changes.push({ kind: 'policy-changed', setting, from: before.policy[setting], to: after.policy[setting] });
    }
  }
  return changes;
}

function flags(a: Readonly<Association>): AssociationFlags {
  return { isActive: a.isActive, isPrimary: a.isPrimary, notes: a.notes };
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
      const label = POLICY_SETTING_LABELS[change.setting];
      return `Policy "${label}": ${onOff(change.from)} -> ${onOff(change.to)}.`;
    }
  }
}

const onOff = (value: boolean) => (value ? 'on' : 'off');
