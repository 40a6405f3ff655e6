import {
  authenticateByHand,
  blankBand,
  check,
  describeEvents,
  enrolledBand,
  enrolledNotAuthenticated,
  eventsSince,
  expectScreen,
  is,
  refused,
  WEARER,
} from '../support.js';
import type { ConformanceContext, Requirement } from '../types.js';

const AUTHN = 'docs/band.md §Authentication';
const STRANGER = 'stranger/left-thumb';

/** One failed touch by another finger, its verdict (1 s) and its result screen (2 s) over. */
async function failOnce(ctx: ConformanceContext): Promise<void> {
  await ctx.band.debug.fingerOn(STRANGER);
  await ctx.band.debug.advanceClock(1_000);
  await ctx.band.debug.fingerOff();
  await ctx.band.debug.advanceClock(2_000);
}

export const AUTH: Requirement[] = [
  {
    id: 'AUTH-001',
    title:
      'the enrolled finger with a heartbeat authenticates 3 s after the touch (not at 2.5 s): AuthenticationChanged{MATCHED}',
    source: AUTHN,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      await enrolledNotAuthenticated(ctx);
      const after = ctx.units.length;
      await ctx.band.debug.fingerOn(WEARER.finger);
      await expectScreen(
        ctx,
        'SCREEN_AUTHENTICATION_IN_PROGRESS',
        'BAND_STATE_AUTHENTICATING',
        'the enrolled finger on the sensor',
      );
      await ctx.band.debug.fingerOff();
      // Margins of 0.5 s: a band on wall time (bandsim) also moves between the rig's requests.
      await ctx.band.debug.advanceClock(2_500);
      await expectScreen(
        ctx,
        'SCREEN_AUTHENTICATION_IN_PROGRESS',
        'BAND_STATE_AUTHENTICATING',
        '2.5 s after the touch (lifting changes nothing)',
      );
      await ctx.band.debug.advanceClock(500);
      await expectScreen(ctx, 'SCREEN_AUTHENTICATED', 'BAND_STATE_AUTHENTICATED', '3 s after the touch');
      const events = eventsSince(ctx, after);
      check(
        events.some(
          is('authenticationChanged', (v) => v.authenticated && v.reason === 'AUTHENTICATION_REASON_MATCHED'),
        ),
        'AuthenticationChanged{true, MATCHED}',
        describeEvents(events),
      );
    },
  },
  {
    id: 'AUTH-002',
    title:
      'another finger is NO MATCH after 1 s: AuthenticationChanged{NO_MATCH}, failed_matches counts it, the prompt returns after 2 s',
    source: AUTHN,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      await enrolledNotAuthenticated(ctx);
      const after = ctx.units.length;
      await ctx.band.debug.fingerOn(STRANGER);
      await ctx.band.debug.advanceClock(1_000);
      await ctx.band.debug.fingerOff();
      await expectScreen(ctx, 'SCREEN_NO_MATCH', 'BAND_STATE_AUTHENTICATION_REQUIRED', '1 s after a stranger touched');
      const events = eventsSince(ctx, after);
      check(
        events.some(
          is('authenticationChanged', (v) => !v.authenticated && v.reason === 'AUTHENTICATION_REASON_NO_MATCH'),
        ),
        'AuthenticationChanged{false, NO_MATCH}',
        describeEvents(events),
      );
      check(
        (await ctx.band.getState()).failedMatches === 1,
        'failed_matches 1',
        String((await ctx.band.getState()).failedMatches),
      );
      await ctx.band.debug.advanceClock(2_000);
      await expectScreen(
        ctx,
        'SCREEN_AUTHENTICATION_REQUIRED',
        'BAND_STATE_AUTHENTICATION_REQUIRED',
        '2 s after NO MATCH',
      );
    },
  },
  {
    id: 'AUTH-003',
    title:
      'a matching finger without a heartbeat is NO ECG 13 s after the touch (not at 12 s): AuthenticationChanged{NO_ECG}',
    source: AUTHN,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      await enrolledNotAuthenticated(ctx);
      const after = ctx.units.length;
      await ctx.band.debug.fingerOn(WEARER.finger, { liveness: false });
      await ctx.band.debug.advanceClock(12_000);
      await expectScreen(
        ctx,
        'SCREEN_AUTHENTICATION_IN_PROGRESS',
        'BAND_STATE_AUTHENTICATING',
        '12 s after a touch without a heartbeat',
      );
      await ctx.band.debug.advanceClock(1_000);
      await ctx.band.debug.fingerOff();
      await expectScreen(
        ctx,
        'SCREEN_NO_ECG',
        'BAND_STATE_AUTHENTICATION_REQUIRED',
        '13 s after a touch without a heartbeat',
      );
      const events = eventsSince(ctx, after);
      check(
        events.some(
          is('authenticationChanged', (v) => !v.authenticated && v.reason === 'AUTHENTICATION_REASON_NO_ECG'),
        ),
        'AuthenticationChanged{false, NO_ECG}',
        describeEvents(events),
      );
    },
  },
  {
    id: 'AUTH-004',
    title:
      'taking an authenticated band off the wrist deauthenticates it: AuthenticationChanged{REMOVED_FROM_WRIST}, Vibrated{1}',
    source: AUTHN,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      await enrolledBand(ctx, { ...WEARER, hapticFeedback: true });
      const after = ctx.units.length;
      await ctx.band.debug.setWrist(false);
      const events = eventsSince(ctx, after);
      check(
        events.some(
          is(
            'authenticationChanged',
            (v) => !v.authenticated && v.reason === 'AUTHENTICATION_REASON_REMOVED_FROM_WRIST',
          ),
        ),
        'AuthenticationChanged{false, REMOVED_FROM_WRIST}',
        describeEvents(events),
      );
      check(
        events.some(is('vibrated', (v) => v.count === 1)),
        'Vibrated{1} with haptic feedback on',
        describeEvents(events),
      );
      const state = await ctx.band.getState();
      check(state.state === 'BAND_STATE_AUTHENTICATION_REQUIRED', 'AUTHENTICATION_REQUIRED off the wrist', state.state);
      await ctx.band.debug.setWrist(true);
      check(
        (await ctx.band.getState()).state === 'BAND_STATE_AUTHENTICATION_REQUIRED',
        'still not authenticated when put back on',
        (await ctx.band.getState()).state,
      );
    },
  },
  {
    id: 'AUTH-005',
    title: 'the 10th failure in a row locks the band (LOCKED_OUT, kept across reboot); only delete user data clears it',
    source: `${AUTHN}; band.proto ErrorCode.LOCKED_OUT`,
    needs: ['debug-link', 'erase'],
    timeoutMs: 60_000,
    async run(ctx) {
      await enrolledNotAuthenticated(ctx);
      for (let i = 1; i <= 9; i++) await failOnce(ctx);
      const nine = await ctx.band.getState();
      check(
        nine.state === 'BAND_STATE_AUTHENTICATION_REQUIRED' && nine.failedMatches === 9,
        'AUTHENTICATION_REQUIRED with 9 failures',
        `${nine.state} with ${nine.failedMatches}`,
      );
      const after = ctx.units.length;
      await failOnce(ctx);
      await expectScreen(ctx, 'SCREEN_LOCKED_OUT', 'BAND_STATE_LOCKED_OUT', 'after the 10th failure');
      const events = eventsSince(ctx, after);
      check(
        events.some(
          is('authenticationChanged', (v) => !v.authenticated && v.reason === 'AUTHENTICATION_REASON_LOCKED_OUT'),
        ),
        'AuthenticationChanged{false, LOCKED_OUT}',
        describeEvents(events),
      );
      await authenticateByHand(ctx);
      check(
        (await ctx.band.getState()).state === 'BAND_STATE_LOCKED_OUT',
        'the enrolled finger no longer authenticates',
        (await ctx.band.getState()).state,
      );
      await ctx.band.debug.reboot();
      check(
        (await ctx.band.getState()).state === 'BAND_STATE_LOCKED_OUT',
        'LOCKED_OUT after a reboot',
        (await ctx.band.getState()).state,
      );
      await refused(ctx.band.startEnrollment(), 'ERROR_CODE_LOCKED_OUT', 'start_enrollment on a locked-out band');
      await blankBand(ctx);
    },
  },
  {
    id: 'AUTH-006',
    title: 'failures are counted in flash (kept across reboot) and a success resets the count',
    source: AUTHN,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      await enrolledNotAuthenticated(ctx);
      await failOnce(ctx);
      await failOnce(ctx);
      await ctx.band.debug.reboot();
      check(
        (await ctx.band.getState()).failedMatches === 2,
        'failed_matches 2 after a reboot',
        String((await ctx.band.getState()).failedMatches),
      );
      await authenticateByHand(ctx);
      const state = await ctx.band.getState();
      check(
        state.state === 'BAND_STATE_AUTHENTICATED' && state.failedMatches === 0,
        'AUTHENTICATED with failed_matches 0',
        `${state.state} with ${state.failedMatches}`,
      );
    },
  },
];
