import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REFUSAL_BAND_OF_OTHER_USER } from '../../host/directory/index.js';

import { bandctl as run } from '../support/bandctl.js';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bandctl-reenroll-test-'));
  file = join(dir, 'directory.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const bandctl = (args: string[]) => run(args);
const json = async (args: string[]) => {
  const r = await bandctl([...args, '--json']);
  return { ...r, doc: JSON.parse(r.stdout) };
};

/** bob's band ACAK-00056, as an in-process band with a fixed seed (so its device ID is the same every command). */
const BOBS_BAND = 'loopback?preset=enrolled&user=bob&serial=ACAK-00056&seed=bobs-band';

describe('bandctl reenroll', () => {
  async function setUp(policy: string[]) {
    const info = await json(['--transport', BOBS_BAND, 'info']);
    expect(info.code).toBe(0);
    for (const args of [
      ['add-user', 'alice'],
      ['add-user', 'bob'],
      ['add-band', 'ACAK-00056', '--device-id', info.doc.deviceId],
      ['assign', '--user', 'bob', '--band', 'ACAK-00056'],
      ['policy', ...policy],
    ]) {
      const r = await bandctl(['directory', ...args, '--directory', file]);
      expect(r.code, r.stderr).toBe(0);
    }
  }

  it("takes another user's band when the policy allows it, re-creates the FIDO2 key, and prints the User Properties", async () => {
    await setUp(['--own-band', 'on', '--any-active-band', 'on']);
    // alice's key, on her own band (another in-process band, which the directory assigns to her, as register-key
    // requires): the embedded relying party keeps it beside the directory.
    const ALICES_BAND = 'loopback?preset=authenticated&user=alice&serial=AAAH-00125&seed=alices-band';
    const alices = await json(['--transport', ALICES_BAND, 'info']);
    for (const args of [
      ['add-band', 'AAAH-00125', '--device-id', alices.doc.deviceId],
      ['assign', '--user', 'alice', '--band', 'AAAH-00125'],
    ]) {
      const r = await bandctl(['directory', ...args, '--directory', file]);
      expect(r.code, r.stderr).toBe(0);
    }
    const registered = await json([
      '--transport',
      ALICES_BAND,
      'register-key',
      '--user',
      'alice',
      '--directory',
      file,
      '--simulate-user',
      'alice/right-index',
    ]);
    expect(registered.code, registered.stdout).toBe(0);
    expect(registered.doc).toMatchObject({ ok: true, rpId: 'login.example.com', bandSerial: 'AAAH-00125' });
    const r = await json([
      '--transport',
      BOBS_BAND,
      'reenroll',
      '--user',
      'alice',
      '--band',
      'ACAK-00056',
      '--directory',
      file,
      '--simulate-user',
      'alice/right-index',
    ]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.doc).toMatchObject({
      ok: true,
      user: 'alice',
      band: 'ACAK-00056',
      decision: { kind: 'other-users-band', previousHolder: 'bob' },
    });
    // Her own band stays Primary, not active; the band she took is Active (the product document's outcome).
    expect(r.doc.userProperties).toMatchObject([
      { serialNumber: 'AAAH-00125', isActive: '', isPrimary: 'Primary' },
      { serialNumber: 'ACAK-00056', isActive: 'Active', isPrimary: '' },
    ]);
    expect(r.doc.recreated['login.example.com']).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(r.doc.retired).toEqual([`login.example.com:${registered.doc.credentialId}`]);
    const bob = await json(['directory', 'user', 'bob', '--directory', file]);
    expect(bob.doc.rows).toEqual([]);
  });

  it('is refused with the vendor text and exit code 5 when the policy does not allow it; nothing changes', async () => {
    await setUp(['--own-band', 'on', '--any-active-band', 'off']);
    const r = await json([
      '--transport',
      BOBS_BAND,
      'reenroll',
      '--user',
      'alice',
      '--band',
      'ACAK-00056',
      '--directory',
      file,
      '--simulate-user',
      'alice/right-index',
    ]);
    expect(r.code).toBe(5);
    expect(r.doc).toEqual({ ok: false, error: { code: 'REFUSED_BY_POLICY', message: REFUSAL_BAND_OF_OTHER_USER } });
    const bob = await json(['directory', 'user', 'bob', '--directory', file]);
    expect(bob.doc.rows).toMatchObject([{ serialNumber: 'ACAK-00056', isActive: 'Active' }]);
  });

  it('names a missing --band and exits 2', async () => {
    const r = await bandctl(['reenroll', '--user', 'alice', '--directory', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/expected --band SERIAL/);
  });

  it('refuses a band whose serial number is not the one named', async () => {
    await setUp(['--own-band', 'on', '--any-active-band', 'on']);
    const r = await json([
      '--transport',
      BOBS_BAND,
      'reenroll',
      '--user',
      'alice',
      '--band',
      'AAAH-00125',
      '--directory',
      file,
    ]);
    expect(r.code).toBe(1);
    expect(r.doc.error.code).toBe('BAND_MISMATCH');
  });
});
