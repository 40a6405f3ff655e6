import { DEVICE_ID_BYTES, MAX_LABEL_CHARS, MAX_USER_NAME_BYTES } from '../../../proto/index.js';
import { Command } from '../../../transport/index.js';
import {
  blankBand,
  check,
  describeEvents,
  enrollSteps,
  eventsSince,
  expectScreen,
  is,
  refused,
  show,
  startEnrollment,
  WEARER,
} from '../support.js';
import type { ConformanceContext, Requirement } from '../types.js';
import { hex } from '../wire.js';

const ENROLLMENT = 'docs/band.md §Enrollment';

/** Worn, setup code verified, capture started: returns touches_required. */
async function toCapture(ctx: ConformanceContext): Promise<number> {
  await blankBand(ctx);
  const code = await startEnrollment(ctx);
  await ctx.band.verifySetupCode(code);
  return (await ctx.band.startCapture()).touchesRequired;
}

async function toCaptured(ctx: ConformanceContext): Promise<void> {
  const touches = await toCapture(ctx);
  for (let i = 0; i < touches; i++) await ctx.band.debug.touch(WEARER.finger);
  await expectScreen(ctx, 'SCREEN_SUCCESS', 'BAND_STATE_CAPTURED', `after ${touches} good touches`);
}

function containsText(haystack: Uint8Array, needle: string): boolean {
  const bytes = Buffer.from(needle, 'utf8');
  return needle.length > 0 && Buffer.from(haystack).includes(bytes);
}

export const ENROLL: Requirement[] = [
  {
    id: 'ENROLL-001',
    title:
      "start_enrollment on a worn, unenrolled band answers GetInfo's device id and code length 6, and shows a code that long",
    source: `${ENROLLMENT} step 1; band.proto StartEnrollmentResponse`,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      await blankBand(ctx);
      const info = await ctx.band.getInfo();
      await ctx.band.debug.setWrist(true);
      const started = await ctx.band.startEnrollment();
      check(
        hex(started.deviceId, DEVICE_ID_BYTES) === hex(info.deviceId, DEVICE_ID_BYTES),
        `the GetInfo device_id ${hex(info.deviceId)}`,
        hex(started.deviceId),
      );
      check(started.setupCodeLength === 6, 'setup_code_length 6', String(started.setupCodeLength));
      const reading = await expectScreen(
        ctx,
        'SCREEN_SETUP_CODE',
        'BAND_STATE_AWAITING_SETUP_CODE',
        'after start_enrollment',
      );
      check(
        reading.setupCode.length === started.setupCodeLength,
        `a ${started.setupCodeLength}-character code on the display`,
        JSON.stringify(reading.setupCode),
      );
    },
  },
  {
    id: 'ENROLL-002',
    title: 'the setup code never travels over the band protocol (no reply or event carries it, in any case)',
    source: `${ENROLLMENT} step 1; band.proto ScreenChanged`,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      await blankBand(ctx);
      const after = ctx.units.length;
      const codes = new Set<string>();
      await ctx.band.debug.setWrist(true);
      codes.add((await ctx.band.debug.readScreen()).setupCode);
      await ctx.band.startEnrollment();
      codes.add((await ctx.band.debug.readScreen()).setupCode);
      for (let i = 0; i < 3; i++) await ctx.band.verifySetupCode('XXXXXX').catch(() => undefined);
      codes.add((await ctx.band.debug.readScreen()).setupCode);
      await ctx.band.verifySetupCode((await ctx.band.debug.readScreen()).setupCode);
      const { touchesRequired } = await ctx.band.startCapture();
      for (let i = 0; i < touchesRequired; i++) await ctx.band.debug.touch(WEARER.finger);
      await ctx.band.completeEnrollment({ userName: WEARER.userName, hapticFeedback: true });
      codes.delete('');
      check(codes.size > 0, 'setup codes on the display during enrollment', 'none');
      for (const unit of ctx.units.since(after)) {
        if (unit.command !== Command.BAND) continue;
        for (const code of codes) {
          const leaked = containsText(unit.payload, code) || containsText(unit.payload, code.toLowerCase());
          check(
            !leaked,
            `no band message carrying the setup code ${code}`,
            `a ${unit.payload.length}-byte BandMessage containing it (${hex(unit.payload, 40)})`,
          );
        }
      }
    },
  },
  {
    id: 'ENROLL-003',
    title: 'start_enrollment replaces the code an unenrolled band showed on the wrist; the glimpsed code is refused',
    source: `${ENROLLMENT} step 1`,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      await blankBand(ctx);
      await ctx.band.debug.setWrist(true);
      const glimpsed = (
        await expectScreen(ctx, 'SCREEN_SETUP_CODE', 'BAND_STATE_UNENROLLED', 'an unenrolled band on the wrist')
      ).setupCode;
      await ctx.band.startEnrollment();
      const fresh = (await ctx.band.debug.readScreen()).setupCode;
      check(fresh !== glimpsed, `a new code after start_enrollment (not ${glimpsed})`, fresh);
      await refused(
        ctx.band.verifySetupCode(glimpsed),
        'ERROR_CODE_SETUP_CODE_MISMATCH',
        'the code shown before start_enrollment',
      );
    },
  },
  {
    id: 'ENROLL-004',
    title:
      'a wrong setup code is SETUP_CODE_MISMATCH, the third draws a new code (ScreenChanged); the code is case-insensitive',
    source: `${ENROLLMENT} step 2`,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      await blankBand(ctx);
      const first = await startEnrollment(ctx);
      const wrong = first === 'XXXXXX' ? 'YYYYYY' : 'XXXXXX';
      await refused(ctx.band.verifySetupCode(wrong), 'ERROR_CODE_SETUP_CODE_MISMATCH', 'a wrong setup code (1st)');
      await refused(ctx.band.verifySetupCode(wrong), 'ERROR_CODE_SETUP_CODE_MISMATCH', 'a wrong setup code (2nd)');
      check(
        (await ctx.band.debug.readScreen()).setupCode === first,
        `the same code ${first} after two wrong tries`,
        (await ctx.band.debug.readScreen()).setupCode,
      );
      const after = ctx.units.length;
      await refused(ctx.band.verifySetupCode(wrong), 'ERROR_CODE_SETUP_CODE_MISMATCH', 'a wrong setup code (3rd)');
      const second = (await ctx.band.debug.readScreen()).setupCode;
      check(
        second !== first && second.length === first.length,
        `a new code after the third wrong try (not ${first})`,
        second,
      );
      const changed = eventsSince(ctx, after).filter(is('screenChanged', (v) => v.screen === 'SCREEN_SETUP_CODE'));
      check(
        changed.length >= 1,
        'a ScreenChanged{SETUP_CODE} for the new code',
        describeEvents(eventsSince(ctx, after)),
      );
      await refused(ctx.band.verifySetupCode(first), 'ERROR_CODE_SETUP_CODE_MISMATCH', 'the replaced code');
      await ctx.band.verifySetupCode(second.toLowerCase());
      await expectScreen(ctx, 'SCREEN_ADD_USER', 'BAND_STATE_ADD_USER', 'after the code typed in lower case');
    },
  },
  {
    id: 'ENROLL-005',
    title: '6 good touches make the template: CaptureProgress 1..6 of 6, LIFT FINGER / TOUCH SENSOR, then SUCCESS',
    source: `${ENROLLMENT} step 3; band.proto CaptureProgress`,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      const required = await toCapture(ctx);
      check(required === 6, 'touches_required 6', String(required));
      await expectScreen(ctx, 'SCREEN_TOUCH_SENSOR', 'BAND_STATE_CAPTURING', 'after start_capture');
      for (let good = 1; good <= required; good++) {
        const after = ctx.units.length;
        await ctx.band.debug.fingerOn(WEARER.finger);
        const progress = eventsSince(ctx, after).filter((e) => e.case === 'captureProgress');
        check(
          progress.length === 1 &&
            show(progress[0].value) === show({ goodTouches: good, touchesRequired: required, rejected: false }),
          `one CaptureProgress{${good}/${required}} for touch ${good}`,
          describeEvents(progress),
        );
        if (good < required)
          await expectScreen(ctx, 'SCREEN_LIFT_FINGER', 'BAND_STATE_CAPTURING', `finger on, touch ${good}`);
        await ctx.band.debug.fingerOff();
        if (good < required)
          await expectScreen(ctx, 'SCREEN_TOUCH_SENSOR', 'BAND_STATE_CAPTURING', `finger lifted after touch ${good}`);
      }
      await expectScreen(ctx, 'SCREEN_SUCCESS', 'BAND_STATE_CAPTURED', `after ${required} good touches`);
    },
  },
  {
    id: 'ENROLL-006',
    title: 'a poor-quality touch, or another finger than the first, is rejected (CaptureProgress rejected, no count)',
    source: `${ENROLLMENT} step 3`,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      await toCapture(ctx);
      const touch = async (
        finger: string,
        poorQuality: boolean,
        want: { goodTouches: number; rejected: boolean },
        what: string,
      ) => {
        const after = ctx.units.length;
        await ctx.band.debug.touch(finger, { poorQuality });
        const progress = eventsSince(ctx, after).filter((e) => e.case === 'captureProgress');
        const got = progress.map(
          (e) => e.case === 'captureProgress' && { goodTouches: e.value.goodTouches, rejected: e.value.rejected },
        );
        check(
          show(got) === show([want]),
          `${what}: CaptureProgress{good ${want.goodTouches}, rejected ${want.rejected}}`,
          describeEvents(progress),
        );
      };
      await touch(WEARER.finger, true, { goodTouches: 0, rejected: true }, 'a poor-quality first touch');
      await touch(WEARER.finger, false, { goodTouches: 1, rejected: false }, 'a good touch');
      await touch('someone.else/left-thumb', false, { goodTouches: 1, rejected: true }, 'another finger');
      await touch(WEARER.finger, true, { goodTouches: 1, rejected: true }, 'a poor-quality touch');
      await touch(WEARER.finger, false, { goodTouches: 2, rejected: false }, 'the first finger again');
    },
  },
  {
    id: 'ENROLL-007',
    title:
      'complete_enrollment stores the user: AUTHENTICATED, AuthenticationChanged{ENROLLED}, Vibrated{2}, get_state shows the user',
    source: `${ENROLLMENT} step 4; band.proto CompleteEnrollmentRequest`,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      await toCaptured(ctx);
      const after = ctx.units.length;
      const done = await ctx.band.completeEnrollment({ userName: 'Tw-User2', label: '', hapticFeedback: false });
      check(done.label === 'TW-USER2', 'the default label TW-USER2 for user Tw-User2', JSON.stringify(done.label));
      const events = eventsSince(ctx, after);
      check(
        events.some(
          is('authenticationChanged', (v) => v.authenticated && v.reason === 'AUTHENTICATION_REASON_ENROLLED'),
        ),
        'AuthenticationChanged{true, ENROLLED}',
        describeEvents(events),
      );
      check(events.some(is('vibrated', (v) => v.count === 2)), 'Vibrated{2}', describeEvents(events));
      const state = await ctx.band.getState();
      const want = {
        state: 'BAND_STATE_AUTHENTICATED',
        enrolled: true,
        userName: 'Tw-User2',
        label: 'TW-USER2',
        hapticFeedback: false,
      };
      const got = {
        state: state.state,
        enrolled: state.enrolled,
        userName: state.userName,
        label: state.label,
        hapticFeedback: state.hapticFeedback,
      };
      check(show(got) === show(want), `get_state ${show(want)}`, show(got));
    },
  },
  {
    id: 'ENROLL-008',
    title: `complete_enrollment refuses a user name of 0 or more than ${MAX_USER_NAME_BYTES} bytes or with control characters (INVALID_ARGUMENT)`,
    source: `${ENROLLMENT} step 4; band.proto CompleteEnrollmentRequest.user_name`,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      await toCaptured(ctx);
      for (const [name, what] of [
        ['', 'an empty user name'],
        ['a'.repeat(MAX_USER_NAME_BYTES + 1), `a ${MAX_USER_NAME_BYTES + 1}-byte user name`],
        [
          'é'.repeat(MAX_USER_NAME_BYTES / 2 + 1),
          `a ${MAX_USER_NAME_BYTES / 2 + 1}-character, ${MAX_USER_NAME_BYTES + 2}-byte user name`,
        ],
        ['tab\there', 'a user name with a tab'],
      ] as const) {
        await refused(
          ctx.band.completeEnrollment({ userName: name, hapticFeedback: true }),
          'ERROR_CODE_INVALID_ARGUMENT',
          what,
        );
      }
      const state = await ctx.band.getState();
      check(
        state.state === 'BAND_STATE_CAPTURED' && !state.enrolled,
        'nothing stored: still CAPTURED',
        `${state.state} (enrolled: ${state.enrolled})`,
      );
      await ctx.band.completeEnrollment({ userName: 'b'.repeat(MAX_USER_NAME_BYTES), hapticFeedback: true });
    },
  },
  {
    id: 'ENROLL-009',
    title: `labels: ≤${MAX_LABEL_CHARS} of A-Z 0-9 space punctuation, upper-cased, no edge spaces; empty → the user name as drawn; set_label alike`,
    source: `${ENROLLMENT} (Labels); band.proto CompleteEnrollmentRequest.label`,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      await toCaptured(ctx);
      for (const [label, what] of [
        ['ABCDEFGHIJKLMNOPQRSTUVWXYZ'.slice(0, MAX_LABEL_CHARS + 1), `a ${MAX_LABEL_CHARS + 1}-character label`],
        [' LEADING', 'a label starting with a space'],
        ['TRAILING ', 'a label ending with a space'],
        ['CAFÉ', 'a label with É'],
        ['TAB\tX', 'a label with a tab'],
      ] as const) {
        await refused(
          ctx.band.completeEnrollment({ userName: 'José.Ñúñez', label, hapticFeedback: true }),
          'ERROR_CODE_INVALID_ARGUMENT',
          what,
        );
      }
      const done = await ctx.band.completeEnrollment({ userName: 'José.Ñúñez', label: '', hapticFeedback: true });
      check(done.label === 'JOS?.???EZ', 'the default label JOS?.???EZ for José.Ñúñez', JSON.stringify(done.label));
      const custom = await ctx.band.setLabel('team-7 {a}');
      check(custom.label === 'TEAM-7 {A}', 'set_label team-7 {a} shown as TEAM-7 {A}', JSON.stringify(custom.label));
      await refused(
        ctx.band.setLabel('L'.repeat(MAX_LABEL_CHARS + 1)),
        'ERROR_CODE_INVALID_ARGUMENT',
        `set_label with ${MAX_LABEL_CHARS + 1} characters`,
      );
      check(
        (await ctx.band.getState()).label === 'TEAM-7 {A}',
        'the label unchanged by the refused set_label',
        (await ctx.band.getState()).label,
      );
      const back = await ctx.band.setLabel('');
      check(back.label === 'JOS?.???EZ', 'set_label "" back to the default JOS?.???EZ', JSON.stringify(back.label));
    },
  },
  {
    id: 'ENROLL-010',
    title: 'taking the band off the wrist, or cancel_enrollment, at any step returns to UNENROLLED with nothing stored',
    source: `${ENROLLMENT}; docs/band.md §States and screens`,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      const steps: [string, () => Promise<unknown>][] = [
        ['AWAITING_SETUP_CODE', async () => startEnrollment(ctx)],
        ['CAPTURING', async () => toCapture(ctx)],
        ['CAPTURED', async () => toCaptured(ctx)],
      ];
      for (const [step, reach] of steps) {
        for (const how of ['wrist off', 'cancel_enrollment'] as const) {
          await blankBand(ctx);
          await reach();
          if (how === 'wrist off') await ctx.band.debug.setWrist(false);
          else await ctx.band.cancelEnrollment();
          const state = await ctx.band.getState();
          check(
            state.state === 'BAND_STATE_UNENROLLED' && !state.enrolled,
            `UNENROLLED with nothing stored after ${how} in ${step}`,
            `${state.state} (enrolled: ${state.enrolled})`,
          );
        }
      }
      await blankBand(ctx);
      await enrollSteps(ctx);
    },
  },
];
