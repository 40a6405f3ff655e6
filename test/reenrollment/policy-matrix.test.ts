import { afterEach, describe, expect, it } from 'vitest';
import { ReEnrollmentError, userProperties } from '../../host/index.js';
import {
  REFUSAL_BAND_OF_OTHER_USER,
  REFUSAL_SELF_SERVICE_DISABLED,
  findViolations,
} from '../../host/directory/index.js';
import { enterprise } from './world.js';

type Target = 'own band' | 'unheld band' | "another user's band" | "another user's SEOS band";
const TARGETS: Target[] = ['own band', 'unheld band', "another user's band", "another user's SEOS band"];
const POLICIES = [
  { allowReEnrollOwnBand: false, allowReEnrollAnyActiveBand: false },
  { allowReEnrollOwnBand: true, allowReEnrollAnyActiveBand: false },
  { allowReEnrollOwnBand: false, allowReEnrollAnyActiveBand: true },
  { allowReEnrollOwnBand: true, allowReEnrollAnyActiveBand: true },
];

function expected(
  policy: (typeof POLICIES)[number],
  target: Target,
): { allowed: true } | { allowed: false; text: string } {
  const selfService = policy.allowReEnrollOwnBand || policy.allowReEnrollAnyActiveBand;
  if (target === "another user's SEOS band") return { allowed: false, text: REFUSAL_BAND_OF_OTHER_USER };
  if (target === "another user's band")
    return policy.allowReEnrollAnyActiveBand ? { allowed: true } : { allowed: false, text: REFUSAL_BAND_OF_OTHER_USER };
  return selfService ? { allowed: true } : { allowed: false, text: REFUSAL_SELF_SERVICE_DISABLED };
}

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

/**
 * Every policy combination × every kind of band, through the whole orchestrator on emulated bands: alice holds
 * AAAH-00125 (active, primary) and a FIDO2 key on it; the target band decides what she may do.
 */
describe('self-service re-enrollment: policy × target, end to end', () => {
  for (const policy of POLICIES) {
    for (const target of TARGETS) {
      const want = expected(policy, target);
      const name = `own-band ${policy.allowReEnrollOwnBand ? 'on' : 'off'}, any-active-band ${policy.allowReEnrollAnyActiveBand ? 'on' : 'off'} → ${target}: ${want.allowed ? 'allowed' : 'refused'}`;
      it(name, async () => {
        const world = await enterprise(policy);
        open.push(world);
        const own = await world.band('AAAH-00125', { holder: 'alice' });
        // alice's band has her key; enrolled by the administrator (band preset + directory row).
        await world.directory.update(() => undefined);
        const oldKey = await world.registerKey('alice', own);

        const subject =
          target === 'own band'
            ? own
            : target === 'unheld band'
              ? await world.band('ACAK-00056')
              : await world.band(target === "another user's SEOS band" ? 'ACAK-00099' : 'ACAK-00056', {
                  holder: 'bob',
                  seos: target === "another user's SEOS band",
                });
        const before = structuredClone(await world.directory.snapshot());
        const bandBefore = await subject.client.getState();

        if (!want.allowed) {
          const error = await world.run('alice', subject).catch((e) => e);
          expect(error).toBeInstanceOf(ReEnrollmentError);
          expect(error.code).toBe('REFUSED_BY_POLICY');
          expect(error.message).toBe(want.text);
          // Nothing touched: not the directory, not the band, not the relying party.
          expect(await world.directory.snapshot()).toEqual(before);
          expect(await subject.client.getState()).toEqual(bandBefore);
          expect((await world.rp.credentials('alice')).filter((c) => !c.retired).map((c) => c.id)).toEqual([oldKey]);
          return;
        }

        const result = await world.run('alice', subject);
        const after = await world.directory.snapshot();
        expect(findViolations(after)).toEqual([]);
        const rows = userProperties(after, 'alice');
        if (target === 'own band') {
          expect(rows.map((r) => [r.serialNumber, r.isActive, r.isPrimary])).toEqual([
            ['AAAH-00125', 'Active', 'Primary'],
          ]);
        } else {
          expect(rows.map((r) => [r.serialNumber, r.isActive, r.isPrimary])).toEqual([
            ['AAAH-00125', '', 'Primary'],
            [subject.serial, 'Active', ''],
          ]);
        }
        if (target === "another user's band") {
          expect(userProperties(after, 'bob')).toEqual([]);
          expect(result.decision).toMatchObject({ kind: 'other-users-band', previousHolder: 'bob' });
        }
        // The band now belongs to alice, and her FIDO2 key was re-created on it; the old one is retired.
        const state = await subject.client.getState();
        expect(state).toMatchObject({ enrolled: true, userName: 'alice', state: 'BAND_STATE_AUTHENTICATED' });
        const newKey = result.recreated['login.example.com'];
        expect(newKey).toBeDefined();
        expect(newKey).not.toBe(oldKey);
        expect(result.retired).toEqual([`login.example.com:${oldKey}`]);
        await expect(world.signIn('alice', subject, newKey)).resolves.toMatchObject({ id: newKey });
      });
    }
  }
});
