import { BandEmulator, testWorld, type BandEmulatorOptions, type TestWorld } from '../../firmware-sim/index.js';
import type { DeviceContext } from '../../firmware-sim/band-device.js';
import type { FlashMedium } from '../../firmware-sim/flash-medium.js';
import { scanJournal } from '../../firmware-sim/flash-format.js';
import { JOURNAL_FILE } from '../../firmware-sim/flash.js';
import {
  BandMessageCodec,
  DebugRequestCodec,
  DebugResponseCodec,
  HostMessageCodec,
  type BandMessage,
  type BandState,
  type Button,
  type ButtonMotion,
  type DebugRequest,
  type DebugResponse,
  type Error as BandErrorBody,
  type Init,
  type Screen,
  type ScreenReading,
} from '../../proto/index.js';
import { Command, type Unit } from '../../transport/index.js';
import { Fido2Client } from '../../host/fido2/index.js';

export type { BandEvent, RequestName, RequestOf, ReplyOf } from '../../proto/index.js';
import type { BandEvent, HostBody, RequestName, RequestOf, ReplyOf } from '../../proto/index.js';
type DebugAction = NonNullable<DebugRequest['action']>;

/** A band refusal as a test sees it, whichever rig carried it. */
export class Refused extends Error {
  constructor(
    readonly code: BandErrorBody['code'],
    message: string,
    readonly state: BandState,
  ) {
    super(`${code}: ${message}`);
  }
}

export interface Touching {
  poorQuality?: boolean;
  liveness?: boolean;
}

/**
 * What a scenario needs from a band, whether it is driven in-process (DirectRig) or over a loopback wire
 * through the host's BandClient (test/band/loopback-rig.ts). Body actions go through the debug link.
 */
export interface Rig {
  call<K extends RequestName>(name: K, value: Init<RequestOf<K>>): Promise<ReplyOf<K>>;
  /** Sends a request that must be refused, and returns the refusal. */
  refusal<K extends RequestName>(name: K, value: Init<RequestOf<K>>): Promise<Refused>;
  readScreen(): Promise<ScreenReading>;
  /** Resolves once the band shows `screen` (as its events and its display agree); rejects if it does not. */
  screen(screen: Screen): Promise<void>;
  state(): Promise<BandState>;
  wrist(on: boolean): Promise<void>;
  charger(on: boolean): Promise<void>;
  fingerOn(finger: string, how?: Touching): Promise<void>;
  fingerOff(): Promise<void>;
  touch(finger: string, how?: Touching): Promise<void>;
  button(button: Button, motion: ButtonMotion, holdMs?: number): Promise<void>;
  advance(ms: number): Promise<void>;
  cutPower(atWrite: number): Promise<void>;
  reboot(): Promise<void>;
  /** Events seen so far, oldest first. */
  readonly events: BandEvent[];
  /** The band's CTAP2 authenticator, as a platform reaches it over this rig. */
  readonly fido2: Fido2Client;
}

const TOUCH_DEFAULT = { poorQuality: false, liveness: true };

/**
 * Drives a BandEmulator through `handle` with encoded protobufs, as an endpoint would. Records every
 * unit the band sends (replies and events, in order) so two runs can be compared byte for byte.
 */
export class DirectRig implements Rig {
  readonly device: BandEmulator;
  readonly world: TestWorld;
  readonly out: Unit[] = [];
  readonly events: BandEvent[] = [];
  private nextId = 1;
  private shown?: Screen;
  private readonly waiters = new Set<() => void>();
  readonly keepalives: number[] = [];
  /** CTAP2 through `send`: keepalives reach `onKeepalive`, an abort is the CTAPHID CANCEL. */
  readonly fido2 = new Fido2Client(async (command, payload, opts) => {
    const controller = new AbortController();
    opts.signal?.addEventListener('abort', () => controller.abort(), { once: true });
    const reply = await this.send(
      { command, payload },
      {
        signal: controller.signal,
        keepalive: (status) => {
          this.keepalives.push(status);
          opts.onKeepalive?.(status);
        },
      },
    );
    return reply.payload;
  });

  constructor(
    options: Partial<Omit<BandEmulatorOptions, 'world'>> & {
      seed?: string;
      medium?: FlashMedium;
      pageSize?: number;
      world?: TestWorld;
    } = {},
  ) {
    const { seed, medium, pageSize, world, ...rest } = options;
    this.world = world ?? testWorld({ seed: seed ?? 'rig', medium, pageSize });
    this.device = new BandEmulator({ serialNumber: 'AAAH-00125', debugLink: true, ...rest, world: this.world });
    this.shown = this.device.band.screen;
    this.device.onEvent((unit) => {
      this.out.push(unit);
      const message = BandMessageCodec.decode(unit.payload);
      if (message.requestId !== 0 || message.body?.case !== 'event' || !message.body.value.kind) {
        throw new Error(`the band sent a unit that is not an event: ${JSON.stringify(message)}`);
      }
      const kind = message.body.value.kind;
      this.events.push(kind);
      if (kind.case === 'screenChanged') this.shown = kind.value.screen;
      for (const wake of [...this.waiters]) wake();
    });
  }

  /**
   * Resolves when the band shows `screen` — now, or at a later ScreenChanged. For requests that wait on
   * the band (FIDO2 user presence) while the test acts: it listens, it never polls or sleeps.
   */
  showing(screen: Screen): Promise<void> {
    return new Promise((resolve) => {
      if (this.shown === screen) return resolve();
      const wake = () => {
        if (this.shown !== screen) return;
        this.waiters.delete(wake);
        resolve();
      };
      this.waiters.add(wake);
    });
  }

  get band() {
    return this.device.band;
  }

  /** The sequence number of the last commit in the flash image (one per atomic commit). */
  get commitSequence(): number {
    const image = this.world.storage.medium.read(JOURNAL_FILE);
    return image ? (scanJournal(image).commits.at(-1)?.seq ?? 0) : 0;
  }

  /** A context whose keepalives are recorded and whose abort the test controls. */
  context(controller = new AbortController()): DeviceContext {
    return { signal: controller.signal, keepalive: (status) => this.keepalives.push(status) };
  }

  async send(unit: Unit, ctx: DeviceContext = this.context()): Promise<Unit> {
    const reply = await this.device.handle(unit, ctx);
    this.out.push(reply);
    return reply;
  }

  async message(body: Init<HostBody>, requestId = this.nextId++): Promise<BandMessage> {
    const reply = await this.send({ command: Command.BAND, payload: HostMessageCodec.encode({ requestId, body }) });
    if (reply.command !== Command.BAND)
      throw new Error(
        `expected a BAND reply, got command 0x${reply.command.toString(16)} [${[...reply.payload].join(',')}]`,
      );
    const message = BandMessageCodec.decode(reply.payload);
    if (message.requestId !== requestId)
      throw new Error(`expected request_id ${requestId} in the reply, got ${message.requestId}`);
    return message;
  }

  async call<K extends RequestName>(name: K, value: Init<RequestOf<K>>): Promise<ReplyOf<K>> {
    const message = await this.message({ case: name, value } as Init<HostBody>);
    const body = message.body;
    if (body?.case === 'error') throw new Refused(body.value.code, body.value.message, body.value.state);
    if (body?.case !== name) throw new Error(`expected a ${name} reply, got ${body?.case}`);
    return body.value as ReplyOf<K>;
  }

  async refusal<K extends RequestName>(name: K, value: Init<RequestOf<K>>): Promise<Refused> {
    const message = await this.message({ case: name, value } as Init<HostBody>);
    const body = message.body;
    if (body?.case !== 'error') throw new Error(`expected ${name} to be refused, it was answered with ${body?.case}`);
    return new Refused(body.value.code, body.value.message, body.value.state);
  }

  async debug(action: Init<DebugAction>): Promise<NonNullable<DebugResponse['result']>> {
    const requestId = this.nextId++;
    const reply = await this.send({ command: Command.DEBUG, payload: DebugRequestCodec.encode({ requestId, action }) });
    const response = DebugResponseCodec.decode(reply.payload);
    if (response.requestId !== requestId || !response.result)
      throw new Error(`bad debug reply ${JSON.stringify(response)}`);
    if (response.result.case === 'error') throw new Error(`debug ${action.case}: ${response.result.value.message}`);
    return response.result;
  }

  async readScreen(): Promise<ScreenReading> {
    const result = await this.debug({ case: 'readScreen', value: {} });
    if (result.case !== 'screen') throw new Error(`expected a screen reading, got ${result.case}`);
    return result.value;
  }

  async screen(screen: Screen): Promise<void> {
    // In process every event has been delivered by the time a call returns, so "not yet" means "no".
    const reading = await this.readScreen();
    if (reading.screen !== screen || this.shown !== screen) {
      throw new Error(
        `expected the band to show ${screen}; it shows ${reading.screen} (last ScreenChanged: ${this.shown}) in ${reading.state}`,
      );
    }
  }

  async state(): Promise<BandState> {
    return (await this.readScreen()).state;
  }

  async wrist(on: boolean) {
    await this.debug({ case: 'setWrist', value: { onWrist: on } });
  }
  async charger(on: boolean) {
    await this.debug({ case: 'setCharger', value: { onCharger: on } });
  }
  async fingerOn(finger: string, how: Touching = {}) {
    await this.debug({ case: 'fingerOn', value: { finger, ...TOUCH_DEFAULT, ...how } });
  }
  async fingerOff() {
    await this.debug({ case: 'fingerOff', value: {} });
  }
  async touch(finger: string, how: Touching = {}) {
    await this.fingerOn(finger, how);
    await this.fingerOff();
  }
  async button(button: Button, motion: ButtonMotion, holdMs = 0) {
    await this.debug({ case: 'button', value: { button, motion, holdMs } });
  }
  async advance(ms: number) {
    await this.debug({ case: 'advanceClock', value: { ms } });
  }
  async cutPower(atWrite: number) {
    await this.debug({ case: 'cutPower', value: { atWrite } });
  }
  async reboot() {
    await this.debug({ case: 'reboot', value: {} });
  }

  eventsOf<C extends BandEvent['case']>(kind: C): EventValues[C][] {
    return eventsOf(this.events, kind);
  }
}

type EventValues = { [E in BandEvent as E['case']]: E['value'] };

export function eventsOf<C extends BandEvent['case']>(events: readonly BandEvent[], kind: C): EventValues[C][] {
  const out: unknown[] = events.filter((e) => e.case === kind).map((e) => e.value);
  return out as EventValues[C][];
}

export const FINGER = 'tw-user2/right-index';
export const USER = 'tw-user2';

/** Enrollment the way a host and a wearer do it. Leaves the band worn and authenticated. */
export async function enroll(
  rig: Rig,
  options: { userName?: string; finger?: string; label?: string; hapticFeedback?: boolean } = {},
): Promise<ReplyOf<'completeEnrollment'>> {
  const finger = options.finger ?? FINGER;
  await rig.wrist(true);
  await rig.call('startEnrollment', {});
  const { setupCode } = await rig.readScreen();
  await rig.call('verifySetupCode', { setupCode });
  await rig.call('startCapture', {});
  for (let i = 0; i < 6; i++) await rig.touch(finger);
  await rig.screen('SCREEN_SUCCESS');
  return rig.call('completeEnrollment', {
    userName: options.userName ?? USER,
    label: options.label ?? '',
    hapticFeedback: options.hapticFeedback ?? true,
  });
}

/** A worn, enrolled band authenticates with the enrolled finger: match at 1 s, ECG at 3 s. */
export async function authenticate(rig: Rig, finger = FINGER): Promise<void> {
  await rig.touch(finger);
  await rig.advance(3_000);
  await rig.screen('SCREEN_AUTHENTICATED');
}

/** Off the wrist, on the charger, bottom button held 10 s. */
export async function wipeOnBand(rig: Rig): Promise<void> {
  await rig.wrist(false);
  await rig.charger(true);
  await rig.button('BUTTON_BOTTOM', 'BUTTON_MOTION_HOLD', 10_000);
}
