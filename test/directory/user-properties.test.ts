import { describe, expect, it } from 'vitest';
import {
  MemoryDirectory,
  applyReEnrollment,
  registerUser,
  renderUserPropertiesTable,
  setPolicy,
  userProperties,
  type DirectoryState,
} from '../../host/directory/index.js';
import { steppingClock } from './fixtures.js';

describe('User Properties', () => {
  it('shows the product document example: tw-user2 enrolled AAAH-00125, then self-enrolled ACAK-00056', async () => {
    const directory = new MemoryDirectory({ clock: steppingClock('2024-03-04T10:15:00.000Z', 3_600_000) });
    await directory.update((d) => registerUser(d, 'tw-user2')); // 10:15
    await directory.update((d) =>
      applyReEnrollment(d, {
        userName: 'tw-user2',
        band: { serialNumber: 'AAAH-00125', deviceId: '000000000000000000000000000000a1', seosEnabled: false },
      }),
    ); // 11:15
    await directory.update((d) => setPolicy(d, { allowReEnrollOwnBand: true })); // 12:15
    await directory.update((d) =>
      applyReEnrollment(d, {
        userName: 'tw-user2',
        band: { serialNumber: 'ACAK-00056', deviceId: '000000000000000000000000000000b2', seosEnabled: false },
      }),
    ); // 13:15

    const rows = userProperties(await directory.snapshot(), 'tw-user2');
    expect(rows).toEqual([
      {
        serialNumber: 'AAAH-00125',
        isActive: '',
        isPrimary: 'Primary',
        notes: 'Self-service enrollment',
        created: '2024-03-04T11:15:00.000Z',
      },
      {
        serialNumber: 'ACAK-00056',
        isActive: 'Active',
        isPrimary: '',
        notes: 'Self-service re-enrollment',
        created: '2024-03-04T13:15:00.000Z',
      },
    ]);
    expect(renderUserPropertiesTable(rows)).toBe(
      [
        'Serial Number | Is Active | Is Primary | Notes                      | Created',
        '--------------+-----------+------------+----------------------------+-------------------------',
        'AAAH-00125    |           | Primary    | Self-service enrollment    | 2024-03-04T11:15:00.000Z',
        'ACAK-00056    | Active    |            | Self-service re-enrollment | 2024-03-04T13:15:00.000Z',
        '',
      ].join('\n'),
    );
  });

  it('orders by Created, then by serial number, whatever the storage order', () => {
    const at = (h: number) => `2024-01-01T0${h}:00:00.000Z`;
    const state: DirectoryState = {
      users: [{ name: 'u', created: at(0) }],
      bands: ['ZZZZ-00001', 'AAAA-00002', 'MMMM-00003'].map((serialNumber, i) => ({
        serialNumber,
        deviceId: `0${i}`.padStart(32, '0'),
        seosEnabled: false,
        created: at(0),
      })),
      associations: [
        { userName: 'u', serialNumber: 'ZZZZ-00001', isActive: false, isPrimary: false, notes: '', created: at(2) },
        { userName: 'u', serialNumber: 'MMMM-00003', isActive: true, isPrimary: false, notes: '', created: at(1) },
        { userName: 'u', serialNumber: 'AAAA-00002', isActive: false, isPrimary: true, notes: '', created: at(2) },
      ],
      policy: { allowReEnrollOwnBand: false, allowReEnrollAnyActiveBand: false },
    };
    expect(userProperties(state, 'u').map((r) => r.serialNumber)).toEqual(['MMMM-00003', 'AAAA-00002', 'ZZZZ-00001']);
  });

  it('keeps the table on one line per band even when notes contain line breaks', () => {
    const table = renderUserPropertiesTable([
      {
        serialNumber: 'AAAA-00001',
        isActive: 'Active',
        isPrimary: 'Primary',
        notes: 'line one\nline two\tend',
        created: 'x',
      },
    ]);
    expect(table.split('\n')).toHaveLength(4);
    expect(table).toContain('line one line two end');
  });

  it('an empty user shows just the header', async () => {
    const directory = new MemoryDirectory({ clock: steppingClock() });
    await directory.update((d) => registerUser(d, 'nobody-yet'));
    const rows = userProperties(await directory.snapshot(), 'nobody-yet');
    expect(rows).toEqual([]);
    expect(renderUserPropertiesTable(rows)).toBe(
      'Serial Number | Is Active | Is Primary | Notes | Created\n--------------+-----------+------------+-------+--------\n',
    );
  });

  it('an unknown user is an error, not an empty list', async () => {
    const snapshot = await new MemoryDirectory().snapshot();
    expect(() => userProperties(snapshot, 'ghost')).toThrow(expect.objectContaining({ code: 'UNKNOWN_USER' }));
  });
});
