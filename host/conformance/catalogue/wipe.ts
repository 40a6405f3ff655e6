import { DEVICE_ID_BYTES } from '../../../proto/index.js';
import { getAssertionRequest, makeCredential, parseReply, Status, statusHex, withPresence } from '../ctap.js';
import {
  check,
  describeEvents,
  enrolledBand,
  enrolledNotAuthenticated,
  enrollSteps,
  eventsSince,
  expectScreen,
  is,
  show,
  WEARER,
} from '../support.js';
import type { ConformanceContext, Requirement } from '../types.js';
import { hex } from '../wire.js';

const WIPE_MD = 'docs/band.md §Delete user data';

async function stillEnrolled(ctx: ConformanceContext, after: string): Promise<void> {
  const state = await ctx.band.getState();
  check(
    state.enrolled && state.userName === WEARER.userName,
    `${WEARER.userName} still enrolled after ${after}`,
    `${state.state} (enrolled: ${state.enrolled})`,
  );
}

export const WIPE: Requirement[] = [
  {
    id: 'WIPE-001',
    title:
      'a host request alone never wipes: delete_user_data prompts and says what the wearer must do; cancel returns',
    source: `${WIPE_MD}; band.proto DeleteUserDataResponse`,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      await enrolledBand(ctx);
      const after = ctx.units.length;
      const prompt = await ctx.band.requestDeleteUserData();
      const want = { removeFromWrist: true, placeOnCharger: true, holdBottomButtonMs: 10_000 };
      check(
        show(prompt) === show(want),
        `the instructions ${show(want)} for a worn band off its charger`,
        show(prompt),
      );
      await expectScreen(ctx, 'SCREEN_DELETE_USER_DATA', 'BAND_STATE_DELETE_PROMPT', 'after delete_user_data');
      await ctx.band.requestDeleteUserData();
      await ctx.band.debug.advanceClock(30_000);
      await stillEnrolled(ctx, 'delete_user_data twice and 30 s');
      const events = eventsSince(ctx, after);
      check(
        !events.some((e) => e.case === 'userDataDeleted'),
        'no UserDataDeleted without the physical action',
        describeEvents(events),
      );
      await ctx.band.cancelDeleteUserData();
      const state = await ctx.band.getState();
      check(
        state.state === 'BAND_STATE_AUTHENTICATED',
        'AUTHENTICATED again after cancel_delete_user_data (never left the wrist)',
        state.state,
      );
    },
  },
  {
    id: 'WIPE-002',
    title:
      'off the wrist, on the charger, bottom button held 10 s wipes: UserDataDeleted, Vibrated{2}, USER DATA DELETED then NO USER',
    source: WIPE_MD,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      for (const asked of [true, false]) {
        await enrolledNotAuthenticated(ctx);
        const id = hex((await ctx.band.getInfo()).deviceId, DEVICE_ID_BYTES);
        if (asked) await ctx.band.requestDeleteUserData();
        const when = asked ? 'after delete_user_data' : 'without a host request';
        await ctx.band.debug.setWrist(false);
        await ctx.band.debug.setCharger(true);
        const after = ctx.units.length;
        await ctx.band.debug.hold('BUTTON_BOTTOM', 10_000);
        const events = eventsSince(ctx, after);
        check(events.some(is('userDataDeleted')), `UserDataDeleted ${when}`, describeEvents(events));
        check(events.some(is('vibrated', (v) => v.count === 2)), `Vibrated{2} ${when}`, describeEvents(events));
        check(
          events.some(
            is(
              'authenticationChanged',
              (v) => !v.authenticated && v.reason === 'AUTHENTICATION_REASON_USER_DATA_DELETED',
            ),
          ),
          `AuthenticationChanged{false, USER_DATA_DELETED} ${when}`,
          describeEvents(events),
        );
        await expectScreen(ctx, 'SCREEN_USER_DATA_DELETED', 'BAND_STATE_UNENROLLED', `at the end of the hold ${when}`);
        await ctx.band.debug.advanceClock(2_000);
        await expectScreen(ctx, 'SCREEN_NO_USER', 'BAND_STATE_UNENROLLED', `2 s after the wipe ${when}`);
        const state = await ctx.band.getState();
        check(
          !state.enrolled && state.userName === '' && state.failedMatches === 0 && state.fidoCredentialCount === 0,
          'no user, failures or FIDO2 credentials left',
          show(state),
        );
        check(
          hex((await ctx.band.getInfo()).deviceId, DEVICE_ID_BYTES) === id,
          `the device_id kept (${id})`,
          hex((await ctx.band.getInfo()).deviceId, DEVICE_ID_BYTES),
        );
      }
    },
  },
  {
    id: 'WIPE-003',
    title: 'anything less does not wipe: a 9.5 s hold, a hold on the wrist, a hold off the charger',
    source: WIPE_MD,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      await enrolledNotAuthenticated(ctx);
      const d = ctx.band.debug;
      await d.setCharger(true);
      await d.hold('BUTTON_BOTTOM', 12_000);
      await stillEnrolled(ctx, 'a 12 s hold on the wrist');
      await d.setWrist(false);
      await d.setCharger(false);
      await d.hold('BUTTON_BOTTOM', 12_000);
      await stillEnrolled(ctx, 'a 12 s hold off the charger');
      await d.setCharger(true);
      await d.hold('BUTTON_BOTTOM', 9_500);
      await stillEnrolled(ctx, 'a 9.5 s hold off the wrist on the charger');
      await d.button('BUTTON_BOTTOM', 'BUTTON_MOTION_DOWN');
      await d.setCharger(false);
      await d.advanceClock(6_000);
      await d.setCharger(true);
      await d.advanceClock(6_000);
      await d.button('BUTTON_BOTTOM', 'BUTTON_MOTION_UP');
      await stillEnrolled(ctx, 'a 12 s hold interrupted by leaving the charger at 6 s');
    },
  },
  {
    id: 'WIPE-004',
    title: 'the wipe erases FIDO2 credentials: a credential made before it is NO_CREDENTIALS after re-enrollment',
    source: `${WIPE_MD} (the one commit deletes fido2/); CTAP 2.1 §6.2`,
    needs: ['debug-link', 'erase', 'fido2'],
    async run(ctx) {
      await enrolledBand(ctx);
      const credential = await makeCredential(ctx);
      await ctx.band.debug.setWrist(false);
      await ctx.band.debug.setCharger(true);
      await ctx.band.debug.hold('BUTTON_BOTTOM', 10_000);
      await ctx.band.debug.advanceClock(2_000);
      check(!(await ctx.band.getState()).enrolled, 'the band wiped', 'still enrolled');
      await ctx.band.debug.setCharger(false);
      await enrollSteps(ctx);
      check(
        (await ctx.band.getState()).fidoCredentialCount === 0,
        'no resident FIDO2 credentials after the wipe',
        String((await ctx.band.getState()).fidoCredentialCount),
      );
      const raw = await withPresence(ctx, getAssertionRequest(credential.credentialId).payload);
      const reply = parseReply(raw, 'authenticatorGetAssertion');
      check(
        reply.status === Status.NO_CREDENTIALS,
        `CTAP2_ERR_NO_CREDENTIALS (0x2e) for a credential made before the wipe`,
        `status ${statusHex(reply.status)}`,
      );
    },
  },
];
