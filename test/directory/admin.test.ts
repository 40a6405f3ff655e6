import { describe, expect, it } from 'vitest';
import {
  DirectoryError,
  MemoryDirectory,
  activate,
  applyReEnrollment,
  disconnect,
  enrollBand,
  registerBand,
  registerUser,
  restoreOriginalBand,
  setPolicy,
  suspend,
  userProperties,
} from '../../host/directory/index.js';
import { steppingClock } from './fixtures.js';

async function world() {
  const directory = new MemoryDirectory({ clock: steppingClock() });
  await directory.update((d) => {
    registerUser(d, 'tw-user1');
    registerUser(d, 'tw-user2');
    registerBand(d, { serialNumber: 'AAAH-00125', deviceId: '00000000000000000000000000000125', seosEnabled: false });
    registerBand(d, { serialNumber: 'ACAK-00056', deviceId: '00000000000000000000000000000056', seosEnabled: false });
    registerBand(d, { serialNumber: 'ACAK-00057', deviceId: '00000000000000000000000000000057', seosEnabled: true });
    enrollBand(d, 'tw-user2', 'AAAH-00125');
    setPolicy(d, { allowReEnrollOwnBand: true });
  });
  return directory;
}

const selfEnroll = (userName: string, serialNumber: string, deviceId: string) => ({
  userName,
  band: { serialNumber, deviceId, seosEnabled: false },
});

const flags = async (directory: MemoryDirectory, user: string) =>
  userProperties(await directory.snapshot(), user).map(
    (r) => `${r.serialNumber}:${r.isActive || '-'}:${r.isPrimary || '-'}`,
  );

async function codeOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'no error',
    (e: unknown) => (e instanceof DirectoryError ? e.code : `not a DirectoryError: ${String(e)}`),
  );
}

describe('administrator operations', () => {
  it('Restore original band after a temporary self-service re-enrollment: primary active again, temporary removed', async () => {
    const directory = await world();
    await directory.update((d) => applyReEnrollment(d, selfEnroll('tw-user2', 'ACAK-00056', '0056'.padStart(32, '0'))));
    expect(await flags(directory, 'tw-user2')).toEqual(['AAAH-00125:-:Primary', 'ACAK-00056:Active:-']);
    const result = await directory.update((d) => restoreOriginalBand(d, 'tw-user2'));
    expect(result.restored.serialNumber).toBe('AAAH-00125');
    expect(result.removed.map((a) => a.serialNumber)).toEqual(['ACAK-00056']);
    expect(await flags(directory, 'tw-user2')).toEqual(['AAAH-00125:Active:Primary']);
    // The temporary band is free again: another user may enroll to it without the "any band" policy.
    await directory.update((d) => applyReEnrollment(d, selfEnroll('tw-user1', 'ACAK-00056', '0056'.padStart(32, '0'))));
    expect(await flags(directory, 'tw-user1')).toEqual(['ACAK-00056:Active:Primary']);
    // Idempotent.
    await directory.update((d) => restoreOriginalBand(d, 'tw-user2'));
    expect(await flags(directory, 'tw-user2')).toEqual(['AAAH-00125:Active:Primary']);
  });

  it('Restore without a primary band is NO_PRIMARY_BAND', async () => {
    const directory = await world();
    await directory.update((d) => disconnect(d, 'tw-user2', 'AAAH-00125'));
    expect(await codeOf(directory.update((d) => restoreOriginalBand(d, 'tw-user2')))).toBe('NO_PRIMARY_BAND');
  });

  it('Suspend clears Is Active only; Activate undoes it', async () => {
    const directory = await world();
    await directory.update((d) => suspend(d, 'tw-user2', 'AAAH-00125'));
    expect(await flags(directory, 'tw-user2')).toEqual(['AAAH-00125:-:Primary']);
    await directory.update((d) => activate(d, 'tw-user2', 'AAAH-00125'));
    expect(await flags(directory, 'tw-user2')).toEqual(['AAAH-00125:Active:Primary']);
  });

  it('Disconnect removes the association and leaves the band registered', async () => {
    const directory = await world();
    const removed = await directory.update((d) => disconnect(d, 'tw-user2', 'AAAH-00125'));
    expect(removed.serialNumber).toBe('AAAH-00125');
    const s = await directory.snapshot();
    expect(s.associations).toEqual([]);
    expect(s.bands.map((b) => b.serialNumber)).toContain('AAAH-00125');
    expect(await codeOf(directory.update((d) => disconnect(d, 'tw-user2', 'AAAH-00125')))).toBe('NOT_ASSOCIATED');
  });

  it('an administrator must disconnect a SEOS band before another user may have it; both in one update works', async () => {
    const directory = await world();
    await directory.update((d) => {
      setPolicy(d, { allowReEnrollAnyActiveBand: true });
      enrollBand(d, 'tw-user1', 'ACAK-00057');
    });
    expect(
      await codeOf(
        directory.update((d) => applyReEnrollment(d, selfEnroll('tw-user2', 'ACAK-00057', '0057'.padStart(32, '0')))),
      ),
    ).toBe('REFUSED');
    expect(await codeOf(directory.update((d) => enrollBand(d, 'tw-user2', 'ACAK-00057')))).toBe('BAND_HELD');
    await directory.update((d) => {
      disconnect(d, 'tw-user1', 'ACAK-00057');
      enrollBand(d, 'tw-user2', 'ACAK-00057', { notes: 'Reassigned' });
    });
    expect(await flags(directory, 'tw-user2')).toEqual(['AAAH-00125:-:Primary', 'ACAK-00057:Active:-']);
    expect(await flags(directory, 'tw-user1')).toEqual([]);
  });

  it('enrollBand can make the new band primary on request', async () => {
    const directory = await world();
    await directory.update((d) => enrollBand(d, 'tw-user2', 'ACAK-00056', { primary: true }));
    expect(await flags(directory, 'tw-user2')).toEqual(['AAAH-00125:-:-', 'ACAK-00056:Active:Primary']);
  });

  it('registration validates serial numbers, device IDs, duplicates and names', async () => {
    const directory = await world();
    const reg = (serialNumber: string, deviceId: string) =>
      codeOf(directory.update((d) => registerBand(d, { serialNumber, deviceId, seosEnabled: false })));
    const id = (short: string) => short.padStart(32, '0');
    expect(await reg('acak-00058', id('0058'))).toBe('INVALID_SERIAL');
    expect(await reg('ACAK-0058', id('0058'))).toBe('INVALID_SERIAL');
    expect(await reg('ACAK-00058', 'xyz1')).toBe('INVALID_DEVICE_ID');
    expect(await reg('ACAK-00058', '123')).toBe('INVALID_DEVICE_ID');
    expect(await reg('ACAK-00058', '')).toBe('INVALID_DEVICE_ID');
    // The protocol fixes a device ID at 16 bytes (GetInfoResponse.device_id): any other length is refused.
    expect(await reg('ACAK-00058', '0058')).toBe('INVALID_DEVICE_ID');
    expect(await reg('ACAK-00058', 'ab'.repeat(15))).toBe('INVALID_DEVICE_ID');
    expect(await reg('ACAK-00058', 'ab'.repeat(17))).toBe('INVALID_DEVICE_ID');
    expect(await reg('ACAK-00058', 'g'.repeat(32))).toBe('INVALID_DEVICE_ID');
    expect(await reg('ACAK-00056', id('0058'))).toBe('DUPLICATE_BAND');
    expect(await reg('ACAK-00058', id('0056'))).toBe('DUPLICATE_BAND');
    expect(await reg('ACAK-00058', id('0058'))).toBe('no error');
    expect(await codeOf(directory.update((d) => registerUser(d, 'tw-user1')))).toBe('DUPLICATE_USER');
    expect(await codeOf(directory.update((d) => registerUser(d, ' padded')))).toBe('INVALID_USER_NAME');
    expect(await codeOf(directory.update((d) => registerUser(d, 'a\nb')))).toBe('INVALID_USER_NAME');
    expect(await codeOf(directory.update((d) => registerUser(d, '')))).toBe('INVALID_USER_NAME');
    expect(await codeOf(directory.update((d) => enrollBand(d, 'ghost', 'ACAK-00056')))).toBe('UNKNOWN_USER');
    expect(await codeOf(directory.update((d) => enrollBand(d, 'tw-user1', 'ZZZZ-00001')))).toBe('UNKNOWN_BAND');
  });

  it('setPolicy changes only what it is given and rejects anything else', async () => {
    const directory = await world();
    expect(await directory.update((d) => setPolicy(d, { allowReEnrollAnyActiveBand: true }))).toEqual({
      allowReEnrollOwnBand: true,
      allowReEnrollAnyActiveBand: true,
    });
    expect(await codeOf(directory.update((d) => setPolicy(d, { allowReEnrollOwnBand: 'yes' as never })))).toBe(
      'INVALID_POLICY',
    );
    expect(await codeOf(directory.update((d) => setPolicy(d, { allowEverything: true } as never)))).toBe(
      'INVALID_POLICY',
    );
  });

  it('error messages say what was expected, what came, and what to do', async () => {
    const directory = await world();
    const error = (await directory
      .update((d) => enrollBand(d, 'tw-user1', 'AAAH-00125'))
      .catch((e: unknown) => e)) as DirectoryError;
    expect(error.message).toMatch(/assigned to tw-user2; disconnect it from tw-user2 first/);
    const bad = (await directory
      .update((d) =>
        registerBand(d, { serialNumber: 'bad', deviceId: '00000000000000000000000000000000', seosEnabled: false }),
      )
      .catch((e: unknown) => e)) as DirectoryError;
    expect(bad.message).toMatch(/Expected a band serial number .* got "bad"/);
  });
});

describe('a band registered as the band reports it', () => {
  it('takes getInfo().deviceId as bytes and stores the hex the CLI prints', async () => {
    const directory = new MemoryDirectory({ clock: steppingClock() });
    const bytes = Uint8Array.from(Buffer.from('00112233445566778899AABBCCDDEEFF', 'hex'));
    await directory.update((d) => registerBand(d, { serialNumber: 'AAAH-00125', deviceId: bytes, seosEnabled: false }));
    expect((await directory.snapshot()).bands[0].deviceId).toBe('00112233445566778899aabbccddeeff');
    // The same band spelled as hex is the same band.
    await expect(
      directory.update((d) =>
        registerBand(d, {
          serialNumber: 'ACAK-00056',
          deviceId: '00112233445566778899AABBCCDDEEFF',
          seosEnabled: false,
        }),
      ),
    ).rejects.toMatchObject({ code: 'DUPLICATE_BAND' });
    await expect(
      directory.update((d) =>
        registerBand(d, { serialNumber: 'ACAK-00056', deviceId: new Uint8Array(15), seosEnabled: false }),
      ),
    ).rejects.toMatchObject({ code: 'INVALID_DEVICE_ID', message: /got 15 bytes/ });
  });
});
