import {
  HostMessageCodec,
  isEnrolling,
  type BandMessage,
  type BandState,
  type ErrorCode,
  type HostMessage,
  type Init,
  type Screen,
  type ScreenReading,
} from '../../proto/index.js';
import { Command, type Unit } from '../../transport/index.js';
import type { BandEvent } from '../band-client.js';
import { BandClientError, BandError } from '../errors.js';
import type { ConformanceContext } from './types.js';
import { Unmet } from './verdicts.js';
import { sleep } from './sleep.js';
import { decodeBand, describeBandMessage, describeUnit, equalBytes, hex, isBandEvent, pattern } from './wire.js';

// ---------------------------------------------------------------- assertions

export function check(condition: boolean, expected: string, got: string | (() => string)): asserts condition {
  if (!condition) throw new Unmet(expected, typeof got === 'function' ? got() : got);
}

export function show(value: unknown): string {
  if (value instanceof Uint8Array) return hex(value, 24);
  if (typeof value === 'string') return JSON.stringify(value);
  return JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? hex(v, 24) : v));
}

export function same(got: unknown, want: unknown, what: string): void {
  check(show(got) === show(want), `${what} ${show(want)}`, show(got));
}

/** Expects `call` to be refused with `code`; returns the refusal. */
export async function refused(call: Promise<unknown>, code: ErrorCode, what: string): Promise<BandError> {
  let reply: unknown;
  try {
    reply = await call;
  } catch (error) {
    if (error instanceof BandError) {
      check(error.code === code, `${what} to be refused with ${code}`, `${error.code} (${error.message})`);
      return error;
    }
    throw error;
  }
  throw new Unmet(`${what} to be refused with ${code}`, `a reply ${show(reply)}`);
}

/** Runs a preparation step; its failure is reported as such, not as the requirement's own finding. */
export async function setup<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`could not ${what} to test this: ${message}`, { cause: error });
  }
}

// ---------------------------------------------------------------- raw exchanges

/** Sends one unit and returns the first unit after it that `match`es (events and KEEPALIVEs pass by). */
export async function exchange(
  ctx: ConformanceContext,
  unit: Unit,
  match: (u: Unit) => boolean,
  what: string,
  timeoutMs = ctx.callTimeoutMs,
): Promise<Unit> {
  const after = ctx.units.length;
  await ctx.transport.send(unit);
  const { item } = await ctx.units.waitFor(match, { after, timeoutMs, what, signal: ctx.signal });
  return item;
}

/** Any answer to a request: not an event, not a KEEPALIVE. */
export const isAnswer = (u: Unit) => u.command !== Command.KEEPALIVE && !isBandEvent(u);

/**
 * Sends one HostMessage (or raw bytes as its payload) and returns the band's answer as it came, decoded: the
 * first BAND unit after it that is not an event. A CTAPHID ERROR instead is Unmet.
 */
export async function rawBand(
  ctx: ConformanceContext,
  message: Init<HostMessage> | Uint8Array,
  what: string,
): Promise<BandMessage> {
  const payload = message instanceof Uint8Array ? message : HostMessageCodec.encode(message);
  const unit = await exchange(ctx, { command: Command.BAND, payload }, isAnswer, `a BandMessage answering ${what}`);
  check(unit.command === Command.BAND, `a BandMessage answering ${what}`, describeUnit(unit));
  const decoded = decodeBand(unit.payload);
  check(decoded !== undefined, `a BandMessage answering ${what}`, `an undecodable payload ${hex(unit.payload)}`);
  return decoded;
}

export function errorOf(message: BandMessage, what: string): { code: ErrorCode; message: string; state: BandState } {
  const body = message.body;
  check(body?.case === 'error', `${what} to be answered with an error`, describeBandMessage(message));
  return body.value;
}

/** A small PING still comes back intact: the band survived whatever the check did to it. */
export async function stillServing(ctx: ConformanceContext, after: string): Promise<void> {
  const data = pattern(13, 7);
  const reply = await exchange(ctx, { command: Command.PING, payload: data }, isAnswer, `a PING echo after ${after}`);
  check(
    reply.command === Command.PING && equalBytes(reply.payload, data),
    `the band to keep serving after ${after} (PING echoed)`,
    describeUnit(reply),
  );
}

// ---------------------------------------------------------------- band events

/** Band events received at or after `after` (a ctx.units index). */
export function eventsSince(ctx: ConformanceContext, after: number): BandEvent[] {
  return ctx.units.since(after).flatMap((unit) => {
    if (unit.command !== Command.BAND) return [];
    const message = decodeBand(unit.payload);
    const kind = message?.requestId === 0 && message.body?.case === 'event' ? message.body.value.kind : undefined;
    return kind ? [kind] : [];
  });
}

export async function waitEvent<E extends BandEvent>(
  ctx: ConformanceContext,
  after: number,
  match: (event: BandEvent) => event is E,
  what: string,
  timeoutMs = ctx.callTimeoutMs,
): Promise<E> {
  const { item } = await ctx.units.waitFor(
    (unit) => {
      if (unit.command !== Command.BAND) return false;
      const message = decodeBand(unit.payload);
      const kind = message?.requestId === 0 && message.body?.case === 'event' ? message.body.value.kind : undefined;
      return kind !== undefined && match(kind);
    },
    { after, timeoutMs, what, signal: ctx.signal },
  );
  const message = decodeBand(item.payload)!;
  return (message.body as unknown as { value: { kind: E } }).value.kind;
}

type EventOf<C extends BandEvent['case']> = Extract<BandEvent, { case: C }>;

export const is =
  <C extends BandEvent['case']>(kind: C, test: (value: EventOf<C>['value']) => boolean = () => true) =>
  (event: BandEvent): event is EventOf<C> =>
    event.case === kind && (test as (value: unknown) => boolean)(event.value);

export function describeEvents(events: BandEvent[]): string {
  return events.length === 0 ? 'no events' : events.map((e) => `${e.case} ${JSON.stringify(e.value)}`).join(', ');
}

// ---------------------------------------------------------------- the rig's hands (debug link)

export async function screen(ctx: ConformanceContext): Promise<ScreenReading> {
  return ctx.band.debug.readScreen();
}

export async function expectScreen(
  ctx: ConformanceContext,
  want: Screen,
  state: BandState | undefined,
  when: string,
): Promise<ScreenReading> {
  const reading = await screen(ctx);
  check(
    reading.screen === want && (state === undefined || reading.state === state),
    `${when}: the band to show ${want}${state ? ` in ${state}` : ''}`,
    `${reading.screen} in ${reading.state}`,
  );
  return reading;
}

/** Polls the display until it shows `want` (or `stop()` says the wait is pointless). */
export async function waitScreen(
  ctx: ConformanceContext,
  want: Screen,
  what: string,
  options: { timeoutMs?: number; stop?: () => boolean } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? ctx.callTimeoutMs);
  let last: ScreenReading | undefined;
  while (Date.now() < deadline && !ctx.signal.aborted) {
    if (options.stop?.()) return;
    last = await screen(ctx);
    if (last.screen === want) return;
    await sleep(15, ctx.signal);
  }
  throw new Unmet(`${what}: the band to show ${want}`, last ? `${last.screen} in ${last.state}` : 'no reading');
}

/** A known starting point for the hands: powered, no power cut armed, no finger, buttons up. */
export async function baseline(ctx: ConformanceContext): Promise<void> {
  const d = ctx.band.debug;
  if (!(await d.readScreen()).powered) await d.reboot();
  await d.cutPower(0);
  await d.fingerOff();
  await d.button('BUTTON_TOP', 'BUTTON_MOTION_UP');
  await d.button('BUTTON_BOTTOM', 'BUTTON_MOTION_UP');
}

/** The wearer's wipe: off the wrist, on the charger, bottom button held 10 s (docs/band.md "Delete user data"). */
export async function wipeByHand(ctx: ConformanceContext): Promise<void> {
  const d = ctx.band.debug;
  await d.setWrist(false);
  await d.setCharger(true);
  await d.hold('BUTTON_BOTTOM', 10_000);
  await d.advanceClock(2_000);
}

/** An unenrolled band, off the wrist and off the charger, whatever it held before. */
export async function blankBand(ctx: ConformanceContext): Promise<void> {
  await setup('bring the band to UNENROLLED', async () => {
    await baseline(ctx);
    const state = (await ctx.band.getState()).state;
    if (isEnrolling(state)) await ctx.band.cancelEnrollment();
    if (state === 'BAND_STATE_DELETE_PROMPT') await ctx.band.cancelDeleteUserData();
    const now = await ctx.band.getState();
    if (now.enrolled || now.state === 'BAND_STATE_LOCKED_OUT') await wipeByHand(ctx);
    await ctx.band.debug.setCharger(false);
    await ctx.band.debug.setWrist(false);
    await ctx.band.debug.advanceClock(2_000);
    const after = await ctx.band.getState();
    check(
      after.state === 'BAND_STATE_UNENROLLED' && !after.enrolled,
      'an unenrolled band',
      `${after.state} (enrolled: ${after.enrolled})`,
    );
  });
}

export interface Wearer {
  userName: string;
  finger: string;
  label?: string;
  hapticFeedback?: boolean;
}

export const WEARER: Wearer = {
  userName: 'conformance.user',
  finger: 'conformance.user/right-index',
  hapticFeedback: true,
};

/** Worn, unenrolled, start_enrollment sent and the setup code read off the display. */
export async function startEnrollment(ctx: ConformanceContext): Promise<string> {
  await ctx.band.debug.setCharger(false);
  await ctx.band.debug.setWrist(true);
  await ctx.band.startEnrollment();
  return (await ctx.band.debug.readScreen()).setupCode;
}

/** The whole enrollment by the book; the band ends worn and AUTHENTICATED. */
export async function enrollSteps(ctx: ConformanceContext, wearer: Wearer = WEARER): Promise<void> {
  const code = await startEnrollment(ctx);
  await ctx.band.verifySetupCode(code);
  const { touchesRequired } = await ctx.band.startCapture();
  for (let i = 0; i < touchesRequired; i++) await ctx.band.debug.touch(wearer.finger);
  await ctx.band.completeEnrollment({
    userName: wearer.userName,
    label: wearer.label ?? '',
    hapticFeedback: wearer.hapticFeedback ?? true,
  });
  const state = await ctx.band.getState();
  check(state.state === 'BAND_STATE_AUTHENTICATED', 'AUTHENTICATED after enrollment', state.state);
}

/** A blank band enrolled afresh for `wearer`: worn and AUTHENTICATED. */
export async function enrolledBand(ctx: ConformanceContext, wearer: Wearer = WEARER): Promise<Wearer> {
  await blankBand(ctx);
  await setup(`enroll ${wearer.userName}`, () => enrollSteps(ctx, wearer));
  return wearer;
}

/** The wearer touches with the enrolled finger and keeps it there through the match and the ECG (3 s). */
export async function authenticateByHand(ctx: ConformanceContext, wearer: Wearer = WEARER): Promise<void> {
  const d = ctx.band.debug;
  await d.fingerOn(wearer.finger);
  await d.advanceClock(3_000);
  await d.fingerOff();
}

/** Worn, enrolled, not authenticated (taken off and put back on). */
export async function enrolledNotAuthenticated(ctx: ConformanceContext, wearer: Wearer = WEARER): Promise<Wearer> {
  await enrolledBand(ctx, wearer);
  await setup('take the band off and on again', async () => {
    await ctx.band.debug.setWrist(false);
    await ctx.band.debug.setWrist(true);
    const state = await ctx.band.getState();
    check(state.state === 'BAND_STATE_AUTHENTICATION_REQUIRED', 'AUTHENTICATION_REQUIRED', state.state);
  });
  return wearer;
}

/** Turns an unexpected client failure into a clear "expected an answer, got …". */
export function describeFailure(error: unknown): string {
  if (error instanceof BandError) return `${error.code} (${error.message})`;
  if (error instanceof BandClientError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
