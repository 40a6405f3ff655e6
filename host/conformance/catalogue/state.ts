import { DEVICE_ID_BYTES } from '../../../proto/index.js';
import { Command } from '../../../transport/index.js';
import {
  blankBand,
  check,
  describeEvents,
  enrolledBand,
  enrolledNotAuthenticated,
  eventsSince,
  expectScreen,
  refused,
  setup,
  show,
  startEnrollment,
  WEARER,
} from '../support.js';
import type { ConformanceContext, Requirement } from '../types.js';
import { decodeBand, describeUnit, hex } from '../wire.js';

const BAND_MD = 'docs/band.md';

async function deviceId(ctx: ConformanceContext): Promise<string> {
  return hex((await ctx.band.getInfo()).deviceId, DEVICE_ID_BYTES);
}

export const STATE: Requirement[] = [
  {
    id: 'STATE-001',
    title: 'wrist and charger changes are reported as WristChanged / ChargerChanged events with request_id 0',
    source: `band.proto Event; ${BAND_MD} §States and screens`,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      await blankBand(ctx);
      const after = ctx.units.length;
      await ctx.band.debug.setWrist(true);
      await ctx.band.debug.setCharger(true);
      await ctx.band.debug.setCharger(false);
      await ctx.band.debug.setWrist(false);
      const events = eventsSince(ctx, after);
      const seen = events
        .filter((e) => e.case === 'wristChanged' || e.case === 'chargerChanged')
        .map((e) => `${e.case}:${JSON.stringify(e.value)}`);
      const want = [
        'wristChanged:{"onWrist":true}',
        'chargerChanged:{"onCharger":true}',
        'chargerChanged:{"onCharger":false}',
        'wristChanged:{"onWrist":false}',
      ];
      check(show(seen) === show(want), `the events ${want.join(', ')}`, describeEvents(events));
      const notZero = ctx.units
        .since(after)
        .filter((u) => u.command === Command.BAND)
        .map((u) => decodeBand(u.payload))
        .filter((m) => m?.body?.case === 'event' && m.requestId !== 0);
      check(notZero.length === 0, 'request_id 0 on every event', `request_id ${notZero[0]?.requestId}`);
    },
  },
  {
    id: 'STATE-002',
    title: 'every display change is a ScreenChanged event; the display, get_state and the last ScreenChanged agree',
    source: `band.proto ScreenChanged; ${BAND_MD} §States and screens`,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      await blankBand(ctx);
      for (const [onWrist, screen] of [
        [true, 'SCREEN_SETUP_CODE'],
        [false, 'SCREEN_NO_USER'],
      ] as const) {
        const after = ctx.units.length;
        await ctx.band.debug.setWrist(onWrist);
        const reading = await expectScreen(
          ctx,
          screen,
          'BAND_STATE_UNENROLLED',
          `an unenrolled band ${onWrist ? 'put on' : 'taken off'} the wrist`,
        );
        const changes = eventsSince(ctx, after).filter((e) => e.case === 'screenChanged');
        const last = changes[changes.length - 1];
        check(
          last?.case === 'screenChanged' && last.value.screen === reading.screen && last.value.state === reading.state,
          `a ScreenChanged{${screen}, BAND_STATE_UNENROLLED}`,
          describeEvents(changes),
        );
        const state = await ctx.band.getState();
        check(
          state.screen === reading.screen && state.state === reading.state,
          `get_state to agree with the display (${screen})`,
          `${state.screen} in ${state.state}`,
        );
      }
    },
  },
  {
    id: 'STATE-003',
    title: 'on an unenrolled band each request outside its states gets the refusal docs/band.md gives it',
    source: `${BAND_MD} §Which request is valid where`,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      await blankBand(ctx);
      await refused(ctx.band.startEnrollment(), 'ERROR_CODE_WRONG_STATE', 'start_enrollment off the wrist');
      await ctx.band.debug.setWrist(true);
      await refused(
        ctx.band.verifySetupCode('ABCDEF'),
        'ERROR_CODE_WRONG_STATE',
        'verify_setup_code before start_enrollment',
      );
      await refused(ctx.band.startCapture(), 'ERROR_CODE_WRONG_STATE', 'start_capture in UNENROLLED');
      await refused(
        ctx.band.completeEnrollment({ userName: 'x' }),
        'ERROR_CODE_WRONG_STATE',
        'complete_enrollment in UNENROLLED',
      );
      await refused(ctx.band.cancelEnrollment(), 'ERROR_CODE_WRONG_STATE', 'cancel_enrollment in UNENROLLED');
      await refused(ctx.band.setLabel('ABC'), 'ERROR_CODE_NOT_ENROLLED', 'set_label in UNENROLLED');
      await refused(
        ctx.band.setSettings({ hapticFeedback: true }),
        'ERROR_CODE_NOT_ENROLLED',
        'set_settings in UNENROLLED',
      );
      await startEnrollment(ctx);
      await refused(ctx.band.requestDeleteUserData(), 'ERROR_CODE_WRONG_STATE', 'delete_user_data during enrollment');
      await refused(ctx.band.startEnrollment(), 'ERROR_CODE_WRONG_STATE', 'start_enrollment during enrollment');
    },
  },
  {
    id: 'STATE-004',
    title:
      'on an enrolled band that is not authenticated: USER_DATA_PRESENT, NOT_AUTHENTICATED as docs/band.md gives them',
    source: `${BAND_MD} §Which request is valid where`,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      await enrolledNotAuthenticated(ctx);
      await refused(ctx.band.startEnrollment(), 'ERROR_CODE_USER_DATA_PRESENT', 'start_enrollment on an enrolled band');
      await refused(ctx.band.setLabel('ABC'), 'ERROR_CODE_NOT_AUTHENTICATED', 'set_label before authentication');
      await refused(
        ctx.band.setSettings({ hapticFeedback: false }),
        'ERROR_CODE_NOT_AUTHENTICATED',
        'set_settings before authentication',
      );
      if (ctx.profile.capabilities.has('CAPABILITY_FIDO2')) {
        await refused(
          ctx.band.listFidoCredentials(),
          'ERROR_CODE_NOT_AUTHENTICATED',
          'list_fido_credentials before authentication',
        );
      }
    },
  },
  {
    id: 'STATE-020',
    title: 'a power cut during a commit leaves, after reboot, the state from before or after it, never a mix',
    source: `${BAND_MD} §Flash (Power cuts); debug.proto CutPower`,
    needs: ['debug-link', 'erase'],
    timeoutMs: 60_000,
    async run(ctx) {
      await enrolledBand(ctx, { ...WEARER, label: 'BEFORE' });
      const id = await deviceId(ctx);
      for (const atWrite of [1, 2, 3]) {
        const old = (await ctx.band.getState()).label;
        const next = old === 'BEFORE' ? 'AFTER' : 'BEFORE';
        await ctx.band.debug.cutPower(atWrite);
        let answered: string;
        try {
          answered = `set_label answered ${show(await ctx.band.setLabel(next))}`;
        } catch (error) {
          answered = `set_label failed (${(error as Error).message})`;
        }
        const powered = (await ctx.band.debug.readScreen()).powered;
        await ctx.band.debug.cutPower(0);
        if (powered) {
          // The commit took fewer writes than the cut point: the new label is in, nothing to judge here.
          check(
            (await ctx.band.getState()).label === next,
            `the new label ${next} after a commit that finished`,
            answered,
          );
          continue;
        }
        const dead = ctx.units.length;
        const probe = await ctx.band.getState({ timeoutMs: 500 }).then(
          (s) => `a get_state reply (${s.state})`,
          () => undefined,
        );
        check(probe === undefined, 'no band reply while the power is off', probe ?? '');
        check(
          ctx.units.since(dead).every((u) => u.command !== Command.BAND),
          'no BandMessage from a band without power',
          ctx.units.since(dead).map(describeUnit).join(', '),
        );
        await ctx.band.debug.reboot();
        const state = await ctx.band.getState();
        check(
          state.enrolled && state.userName === WEARER.userName,
          `the user ${WEARER.userName} still enrolled after the cut at write ${atWrite}`,
          show(state),
        );
        check(
          state.label === old || state.label === next,
          `the label ${old} or ${next} after the cut at write ${atWrite}`,
          JSON.stringify(state.label),
        );
        check(state.state !== 'BAND_STATE_AUTHENTICATED', 'a rebooted band not authenticated', state.state);
        check((await deviceId(ctx)) === id, 'the same device_id after the reboot', await deviceId(ctx));
        await setup('authenticate again after the reboot', async () => {
          await ctx.band.debug.fingerOn(WEARER.finger);
          await ctx.band.debug.advanceClock(3_000);
          await ctx.band.debug.fingerOff();
          const s = await ctx.band.getState();
          check(s.state === 'BAND_STATE_AUTHENTICATED', 'AUTHENTICATED', s.state);
        });
      }
    },
  },
  {
    id: 'STATE-021',
    title: 'a reboot comes back enrolled but not authenticated, with the same device id, user and label',
    source: `${BAND_MD} §States and screens ([*] is power-on); debug.proto Reboot`,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      await enrolledBand(ctx, { ...WEARER, label: 'REBOOT ME' });
      const id = await deviceId(ctx);
      await ctx.band.debug.reboot();
      const state = await ctx.band.getState();
      check(
        state.state === 'BAND_STATE_AUTHENTICATION_REQUIRED',
        'AUTHENTICATION_REQUIRED after a reboot on the wrist',
        state.state,
      );
      check(
        state.enrolled && state.userName === WEARER.userName && state.label === 'REBOOT ME',
        `${WEARER.userName} with label REBOOT ME`,
        show(state),
      );
      check((await deviceId(ctx)) === id, `device_id ${id}`, await deviceId(ctx));
    },
  },
];
