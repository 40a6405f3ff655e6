import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DirectoryMedium,
  Flash,
  FlashChip,
  FlashCorruptError,
  JOURNAL_FILE,
  MemoryMedium,
  PowerCutError,
  testWorld,
} from '../../firmware-sim/index.js';
import { encodeHeader, encodeRecord } from '../../firmware-sim/flash-format.js';
import type { FlashChanges } from '../../firmware-sim/flash-store.js';
import { DirectRig, enroll } from './harness.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const dump = (flash: Flash) =>
  Object.fromEntries(flash.keys().map((k) => [k, Buffer.from(flash.get(k)!).toString('hex')]));

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'band-flash-'));
  dirs.push(dir);
  return join(dir, 'state');
}

describe('journal', () => {
  it('commits, reads back after a reboot, and keeps keys in order', () => {
    const chip = new FlashChip(new MemoryMedium());
    const flash = Flash.open(chip);
    flash.commit({ put: { 'b/1': bytes('one'), 'a/2': bytes('two'), 'b/3': bytes('three') } });
    flash.commit({ del: ['a/2'], put: { 'c/4': bytes('four') } });
    flash.commit({ delPrefix: ['b/'] });
    expect(flash.keys()).toEqual(['c/4']);
    const again = Flash.open(chip);
    expect(dump(again)).toEqual(dump(flash));
    expect(again.sequence).toBe(3);
  });

  it('applies deletes before puts within a commit, on replay as in RAM', () => {
    const chip = new FlashChip(new MemoryMedium());
    const flash = Flash.open(chip);
    flash.commit({ put: { 'fido2/a': bytes('old'), 'fido2/b': bytes('b') } });
    flash.commit({ delPrefix: ['fido2/'], put: { 'fido2/a': bytes('new') } });
    expect(flash.keys()).toEqual(['fido2/a']);
    expect(dump(Flash.open(chip))).toEqual(dump(flash));
  });

  it('writes nothing for a commit that changes nothing', () => {
    const chip = new FlashChip(new MemoryMedium());
    const flash = Flash.open(chip);
    flash.commit({ delPrefix: ['user/'] });
    expect(chip.totalWrites).toBe(0);
    flash.commit({ put: { k: bytes('v') } });
    const writes = chip.totalWrites;
    flash.commit({ put: { k: bytes('v') }, del: ['missing'] });
    expect(chip.totalWrites).toBe(writes);
  });

  it('hands out copies: changing what get() returned, or what was put, changes nothing stored', () => {
    const flash = Flash.open(new FlashChip(new MemoryMedium()));
    const put = bytes('value');
    flash.commit({ put: { k: put, other: bytes('x') } });
    put.fill(0);
    flash.get('k')!.fill(0);
    expect(Buffer.from(flash.get('k')!).toString()).toBe('value');
    expect(Buffer.from(flash.get('other')!).toString()).toBe('x');
  });

  it('a value rewritten a thousand times (a sign counter) leaves the others whole, in RAM and after a reboot', () => {
    const chip = new FlashChip(new MemoryMedium());
    const flash = Flash.open(chip);
    const big = new Uint8Array(300).map((_, i) => i);
    flash.commit({ put: { 'a/empty': new Uint8Array(0), 'b/big': big, 'c/name': bytes('band') } });
    for (let i = 0; i < 1000; i++) {
      const counter = new Uint8Array(4);
      new DataView(counter.buffer).setUint32(0, i);
      flash.commit({ put: { 'fido2/sign-count': counter }, ...(i % 100 === 0 ? { del: ['c/name'] } : {}) });
      if (i % 100 === 0) flash.commit({ put: { 'c/name': bytes(`band ${i}`) } });
    }
    const expected = {
      'a/empty': '',
      'b/big': Buffer.from(big).toString('hex'),
      'c/name': Buffer.from('band 900').toString('hex'),
      'fido2/sign-count': '000003e7',
    };
    expect(dump(flash)).toEqual(expected);
    expect(dump(Flash.open(chip))).toEqual(expected);
  });

  it('compacts into a snapshot past the threshold, through a renamed temporary file', () => {
    const medium = new MemoryMedium();
    const chip = new FlashChip(medium);
    const flash = Flash.open(chip, { compactAtBytes: 400 });
    for (let i = 0; i < 20; i++) flash.commit({ put: { [`k/${i % 3}`]: bytes(`value ${i}`) } });
    expect(flash.journalBytes).toBeLessThanOrEqual(400);
    expect(medium.read('band.journal.tmp')).toBeUndefined();
    const hex = (s: string) => Buffer.from(s).toString('hex');
    expect(dump(Flash.open(chip))).toEqual({ 'k/0': hex('value 18'), 'k/1': hex('value 19'), 'k/2': hex('value 17') });
  });

  it('refuses keys and prefixes that would be dangerous', () => {
    const flash = Flash.open(new FlashChip(new MemoryMedium()));
    expect(() => flash.commit({ delPrefix: [''] })).toThrow(/empty prefix/);
    expect(() => flash.commit({ put: { '': bytes('x') } })).toThrow(/1\.\.255 bytes/);
  });

  it('takes keys of up to 255 bytes of UTF-8, however many characters that is', () => {
    const flash = Flash.open(new FlashChip(new MemoryMedium()));
    for (const key of ['k'.repeat(255), '€'.repeat(85)]) flash.commit({ put: { [key]: bytes('v') } });
    expect(flash.keys()).toHaveLength(2);
    for (const key of ['k'.repeat(256), '€'.repeat(86), '€'.repeat(84) + 'kkkk'])
      expect(() => flash.commit({ put: { [key]: bytes('v') } }), key).toThrow(/1\.\.255 bytes/);
  });
});

/** A random script of commits: small and page-spanning values, deletes and prefix deletes. */
const changesArb: fc.Arbitrary<FlashChanges> = fc.record(
  {
    put: fc.dictionary(
      fc.constantFrom(
        'user/name',
        'user/label',
        'user/template',
        'fido2/master',
        'fido2/rk/1',
        'fido2/rk/2',
        'auth/failures',
      ),
      fc.uint8Array({ minLength: 0, maxLength: 700 }),
      { maxKeys: 4 },
    ),
    del: fc.array(fc.constantFrom('user/label', 'fido2/rk/1', 'auth/failures'), { maxLength: 2 }),
    delPrefix: fc.array(fc.constantFrom('user/', 'fido2/', 'auth/'), { maxLength: 2 }),
  },
  { requiredKeys: [] },
);

describe('commits in RAM and on the medium', () => {
  it('RAM follows every commit as the model does, the replay agrees, and only a real change writes', () => {
    fc.assert(
      fc.property(fc.array(changesArb, { minLength: 1, maxLength: 12 }), (script) => {
        const chip = new FlashChip(new MemoryMedium());
        const flash = Flash.open(chip, { compactAtBytes: 2_000 });
        let model: Record<string, string> = {};
        for (const changes of script) {
          const next = simulate(model, changes);
          const writes = chip.totalWrites;
          flash.commit(changes);
          expect(dump(flash)).toEqual(next);
          expect(chip.totalWrites > writes).toBe(JSON.stringify(next) !== JSON.stringify(model));
          model = next;
        }
        expect(dump(Flash.open(chip))).toEqual(model);
      }),
      { numRuns: 200 },
    );
  });
});

describe('power cuts', () => {
  it('a cut at any write of any commit leaves the old state or the new one, never a mix', () => {
    fc.assert(
      fc.property(
        fc.array(changesArb, { minLength: 1, maxLength: 8 }),
        fc.nat(40),
        fc.constantFrom('torn' as const, 'lost' as const),
        fc.constantFrom(300, 2_000, 65_536),
        (script, cutAt, how, compactAtBytes) => {
          const chip = new FlashChip(new MemoryMedium());
          let flash = Flash.open(chip, { compactAtBytes });
          chip.cutPowerAt(cutAt + 1, how);
          let before = dump(flash);
          let attempted: FlashChanges | undefined;
          try {
            for (const changes of script) {
              before = dump(flash);
              attempted = changes;
              flash.commit(changes);
              attempted = undefined;
            }
          } catch (error) {
            expect(error).toBeInstanceOf(PowerCutError);
          }
          chip.cutPowerAt(0);
          const after = attempted ? simulate(before, attempted) : dump(flash);
          chip.powerOn();
          flash = Flash.open(chip, { compactAtBytes });
          const now = dump(flash);
          if (attempted) expect([before, after]).toContainEqual(now);
          else expect(now).toEqual(after);
          // And the reopened store keeps working.
          flash.commit({ put: { 'z/after': bytes('ok') } });
          expect(Flash.open(chip, { compactAtBytes }).get('z/after')).toEqual(bytes('ok'));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a torn tail is cut off at the next boot, once', () => {
    const medium = new MemoryMedium();
    const chip = new FlashChip(medium);
    const flash = Flash.open(chip);
    flash.commit({ put: { a: bytes('1') } });
    const good = medium.read(JOURNAL_FILE)!.length;
    chip.cutPowerAt(1, 'torn');
    expect(() => flash.commit({ put: { b: new Uint8Array(200).fill(7) } })).toThrow(PowerCutError);
    expect(medium.read(JOURNAL_FILE)!.length).toBeGreaterThan(good);
    chip.powerOn();
    const writes = chip.totalWrites;
    expect(Flash.open(chip).keys()).toEqual(['a']);
    expect(chip.totalWrites - writes).toBe(1);
    expect(medium.read(JOURNAL_FILE)!.length).toBe(good);
    Flash.open(chip);
    expect(chip.totalWrites - writes).toBe(1);
  });

  it('an unpowered chip refuses everything until power-on', () => {
    const chip = new FlashChip(new MemoryMedium());
    const flash = Flash.open(chip);
    chip.cutPowerAt(1);
    expect(() => flash.commit({ put: { a: bytes('1') } })).toThrow(PowerCutError);
    expect(() => flash.commit({ put: { a: bytes('1') } })).toThrow(/no power/);
    expect(() => Flash.open(chip)).toThrow(PowerCutError);
    chip.powerOn();
    expect(Flash.open(chip).keys()).toEqual([]);
  });
});

function simulate(state: Record<string, string>, changes: FlashChanges): Record<string, string> {
  const next = new Map(Object.entries(state));
  for (const prefix of changes.delPrefix ?? [])
    for (const k of [...next.keys()]) if (k.startsWith(prefix)) next.delete(k);
  for (const k of changes.del ?? []) next.delete(k);
  for (const [k, v] of Object.entries(changes.put ?? {})) next.set(k, Buffer.from(v).toString('hex'));
  return Object.fromEntries([...next.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

describe('damage is reported, never silently reset', () => {
  function imageWith(records: Uint8Array[]): Uint8Array {
    return Buffer.concat([encodeHeader(), ...records]);
  }
  const snapshot = encodeRecord({ seq: 1, kind: 2, put: [['a', bytes('1')]], del: [], delPrefix: [] });
  const delta = (seq: number) =>
    encodeRecord({ seq, kind: 1, put: [['b', bytes(String(seq))]], del: [], delPrefix: [] });

  it.each([
    [
      'a flipped bit in a record',
      () => {
        const i = imageWith([snapshot, delta(2)]);
        i[16 + snapshot.length + 10] ^= 1;
        return i;
      },
      /SHA-256/,
    ],
    [
      'a damaged length',
      () => {
        const i = imageWith([snapshot, delta(2)]);
        i[16 + snapshot.length] ^= 0x40;
        return i;
      },
      /length checksum/,
    ],
    [
      'a bad header',
      () => {
        const i = imageWith([snapshot]);
        i[0] = 0x58;
        return i;
      },
      /BANDJRNL/,
    ],
    ['a sequence gap', () => imageWith([snapshot, delta(3)]), /sequence 3 follows 1/],
    ['no snapshot first', () => imageWith([delta(2)]), /not a snapshot/],
    ['a header and nothing else', () => encodeHeader(), /no whole snapshot/],
  ])('%s', (_what, image, problem) => {
    const medium = new MemoryMedium();
    medium.overwrite(JOURNAL_FILE, image());
    const before = medium.read(JOURNAL_FILE);
    const error = (() => {
      try {
        Flash.open(new FlashChip(medium));
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toBeInstanceOf(FlashCorruptError);
    expect(error!.message).toMatch(problem);
    expect((error as FlashCorruptError).file).toBe('memory:band.journal');
    expect(medium.read(JOURNAL_FILE)).toEqual(before);
  });
});

describe('file-backed flash', () => {
  it('keeps the image in a 0700 directory as 0600 files and survives a restart', () => {
    const dir = tempDir();
    const rig = new DirectRig({ world: testWorld({ seed: 'files', medium: new DirectoryMedium(dir) }) });
    return enroll(rig).then(async () => {
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      const file = join(dir, JOURNAL_FILE);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      chmodSync(file, 0o644);
      chmodSync(dir, 0o755);
      const again = new DirectRig({ world: testWorld({ seed: 'other', medium: new DirectoryMedium(dir) }) });
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(await again.call('getState', {})).toMatchObject({
        enrolled: true,
        userName: 'tw-user2',
        state: 'BAND_STATE_AUTHENTICATION_REQUIRED',
      });
      expect(again.band.deviceId).toEqual(rig.band.deviceId);
    });
  });

  it('a damaged image file is reported by name; the band answers STORAGE and leaves the file alone', async () => {
    const dir = tempDir();
    const first = new DirectRig({ world: testWorld({ medium: new DirectoryMedium(dir) }) });
    await enroll(first);
    const file = join(dir, JOURNAL_FILE);
    const image = readFileSync(file);
    image[image.length - 40] ^= 0xff;
    writeFileSync(file, image);

    const rig = new DirectRig({ world: testWorld({ medium: new DirectoryMedium(dir) }) });
    for (const request of ['getInfo', 'getState', 'startEnrollment'] as const) {
      const refused = await rig.refusal(request, {});
      expect(refused.code).toBe('ERROR_CODE_STORAGE');
      expect(refused.message).toContain(file);
      expect(refused.message).toMatch(/damaged/);
    }
    expect(await rig.readScreen()).toMatchObject({
      screen: 'SCREEN_BLANK',
      state: 'BAND_STATE_UNSPECIFIED',
      powered: true,
    });
    await rig.wrist(false);
    await rig.charger(true);
    await rig.button('BUTTON_BOTTOM', 'BUTTON_MOTION_HOLD', 10_000);
    await rig.reboot();
    expect(readFileSync(file)).toEqual(image);
    expect((rig.band.storageFault as FlashCorruptError).file).toBe(file);
  });
});
