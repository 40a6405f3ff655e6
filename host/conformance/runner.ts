import { X509Certificate } from 'node:crypto';
import { HostMessageCodec, PROTOCOL_VERSION, type Capability } from '../../proto/index.js';
import { Command, type Transport, type Unit } from '../../transport/index.js';
import { BandClient } from '../band-client.js';
import { CATALOGUE } from './catalogue/index.js';
import { describeFailure, isAnswer, WEARER } from './support.js';
import { NotApplicable, Unmet } from './verdicts.js';
import {
  type BandProfile,
  type ConformanceContext,
  type ConformanceReport,
  type FramedAccess,
  type HidAccess,
  type LinkKind,
  type Need,
  type Requirement,
  type RequirementResult,
} from './types.js';
import { Recorder } from './unit-log.js';
import { decodeBand, describeUnit } from './wire.js';

export interface ConformanceOptions {
  /** Run only requirements whose id starts with one of these prefixes (e.g. 'FRAME', 'PROTO-00', 'HID-003'). */
  only?: string | string[];
  /** Per-requirement deadline unless the requirement sets its own (default 30 000 ms). */
  requirementTimeoutMs?: number;
  /** Per-exchange deadline (default 5 000 ms). */
  callTimeoutMs?: number;
  /** Called as each requirement finishes, for live output. */
  onResult?: (result: RequirementResult) => void;
  /** The requirements to run (default: the whole catalogue). */
  requirements?: readonly Requirement[];
  /**
   * Run the requirements that delete the band's user data (need `erase`) even when the band holds some.
   * Default false: on such a band they are skipped; on a band that holds none they run.
   */
  destructive?: boolean;
  /** Called once the probe has seen the band, before any requirement runs (to say what will happen). */
  onProbe?: (profile: BandProfile) => void;
  /**
   * The band model's root CA certificates (DER bytes or PEM text): the attestation requirements check that the
   * band's x5c chain ends at one of them. Absent: they check the chain within x5c only.
   */
  attestationRoots?: readonly (Uint8Array | string)[];
}

/** Parses `ConformanceOptions.attestationRoots`; a value that is not a certificate is a TypeError naming it. */
export function parseAttestationRoots(roots: readonly (Uint8Array | string)[]): X509Certificate[] {
  return roots.map((root, index) => {
    try {
      return new X509Certificate(typeof root === 'string' ? root : Buffer.from(root));
    } catch (cause) {
      throw new TypeError(
        `ConformanceOptions.attestationRoots[${index}] is not an X.509 certificate (${(cause as Error).message}); pass DER bytes or PEM text`,
        { cause },
      );
    }
  });
}

/**
 * Runs the conformance catalogue against whatever `openBand` reaches: the emulator in process, bandsim, or a
 * real band over serial or USB HID. Every requirement gets a fresh link (opened before, closed after), so one
 * that wedges the link cannot poison the next; each has a deadline. Requirements needing the debug link, FIDO2
 * or raw access the band or link does not offer are skipped with the reason.
 */
export async function runConformance(
  openBand: () => Promise<Transport>,
  options: ConformanceOptions = {},
): Promise<ConformanceReport> {
  const callTimeoutMs = options.callTimeoutMs ?? 5_000;
  const attestationRoots = parseAttestationRoots(options.attestationRoots ?? []);
  const selected = select(options.requirements ?? CATALOGUE, options.only);
  const profile = await probe(openBand, callTimeoutMs);
  options.onProbe?.(profile);
  const permission = { destructive: options.destructive ?? false };
  const results: RequirementResult[] = [];
  for (const requirement of selected) {
    const result = await runOne(requirement, openBand, profile, permission, {
      callTimeoutMs,
      attestationRoots,
      timeoutMs: requirement.timeoutMs ?? options.requirementTimeoutMs ?? 30_000,
    });
    results.push(result);
    options.onResult?.(result);
  }
  return {
    passed: results.filter((r) => r.status === 'pass').length,
    failed: results.filter((r) => r.status === 'fail').length,
    skipped: results.filter((r) => r.status === 'skip').length,
    target: {
      link: profile.link,
      serialNumber: profile.info?.serialNumber,
      firmwareVersion: profile.info?.firmwareVersion,
      capabilities: [...profile.capabilities],
      ...(profile.userData !== undefined ? { userName: profile.userData?.userName ?? null } : {}),
    },
    erased: mayErase(profile, permission),
    results,
  };
}

/**
 * Requirements that delete user data may run: the caller allowed it, or the band holds none to lose, or only the
 * test user an earlier run of this suite enrolled (so a rig can run the suite again without --destructive).
 */
export function mayErase(profile: BandProfile, permission: { destructive: boolean }): boolean {
  return permission.destructive || profile.userData === null || profile.userData?.userName === WEARER.userName;
}

export function select(requirements: readonly Requirement[], only: string | string[] | undefined): Requirement[] {
  const prefixes = (Array.isArray(only) ? only : only ? [only] : [])
    .flatMap((p) => p.split(','))
    .map((p) => p.trim().toUpperCase())
    .filter(Boolean);
  if (prefixes.length === 0) return [...requirements];
  return requirements.filter((r) => prefixes.some((p) => r.id.startsWith(p)));
}

/** Why `requirement` cannot run here, or undefined when it can. */
export function missingNeed(
  requirement: Requirement,
  profile: BandProfile,
  permission: { destructive: boolean } = { destructive: false },
): string | undefined {
  const problems: Record<Need, () => string | undefined> = {
    erase: () =>
      mayErase(profile, permission)
        ? undefined
        : profile.userData
          ? `it deletes the band's user data (${profile.userData.userName || 'FIDO2 credentials'}); run with --destructive on a band whose data may be lost`
          : `it deletes the band's user data, and whether the band holds any is unknown; run with --destructive on a band whose data may be lost`,
    'debug-link': () =>
      profile.capabilities.has('CAPABILITY_DEBUG_LINK')
        ? undefined
        : profile.info
          ? 'the band does not advertise CAPABILITY_DEBUG_LINK (start bandsim with --debug-link)'
          : `GetInfo failed, so the band's capabilities are unknown (${profile.infoProblem})`,
    fido2: () =>
      profile.capabilities.has('CAPABILITY_FIDO2')
        ? undefined
        : profile.info
          ? 'the band does not advertise CAPABILITY_FIDO2'
          : `GetInfo failed, so the band's capabilities are unknown (${profile.infoProblem})`,
    hid: () =>
      profile.link === 'hid'
        ? undefined
        : `the link is not CTAPHID reports (it is ${linkName(profile.link)}); run over udp-hid: or hid:`,
    framed: () =>
      profile.link === 'framed'
        ? undefined
        : `the link is not COBS/CRC frames (it is ${linkName(profile.link)}); run over serial:, tcp: or loopback`,
  };
  for (const need of requirement.needs) {
    const problem = problems[need]();
    if (problem) return `needs ${need}: ${problem}`;
  }
  return undefined;
}

function linkName(link: LinkKind): string {
  return link === 'hid' ? 'CTAPHID reports' : link === 'framed' ? 'COBS/CRC frames' : 'a link without raw access';
}

export function linkKindOf(transport: Transport): LinkKind {
  if (hidAccessOf(transport)) return 'hid';
  if (framedAccessOf(transport)) return 'framed';
  return 'other';
}

function hidAccessOf(transport: Transport): HidAccess | undefined {
  const t = transport as Partial<HidAccess> & Transport;
  return typeof t.writeReport === 'function' && typeof t.onReport === 'function' && typeof t.channel === 'number'
    ? (t as HidAccess)
    : undefined;
}

function framedAccessOf(transport: Transport): FramedAccess | undefined {
  const t = transport as Partial<FramedAccess> & Transport;
  return typeof t.writeBytes === 'function' ? (t as FramedAccess) : undefined;
}

/** One GetInfo, sent raw and accepted whatever its request_id, to learn the link and the band's capabilities. */
async function probe(openBand: () => Promise<Transport>, callTimeoutMs: number): Promise<BandProfile> {
  const transport = await openBand();
  try {
    const link = linkKindOf(transport);
    const units = new Recorder<Unit>(describeUnit);
    transport.onUnit((unit) => units.push(unit));
    /** One GetState: whose data is on the band. Undefined when it does not answer one. */
    const userData = async (): Promise<BandProfile['userData']> => {
      try {
        const after = units.length;
        await transport.send({
          command: Command.BAND,
          payload: HostMessageCodec.encode({ requestId: 2, body: { case: 'getState', value: {} } }),
        });
        const { item } = await units.waitFor(isAnswer, { after, timeoutMs: callTimeoutMs, what: 'a GetState reply' });
        const reply = item.command === Command.BAND ? decodeBand(item.payload) : undefined;
        if (reply?.body?.case !== 'getState') return undefined;
        const state = reply.body.value;
        return state.enrolled || state.fidoCredentialCount > 0
          ? { userName: state.userName, fidoCredentials: state.fidoCredentialCount }
          : null;
      } catch {
        return undefined;
      }
    };
    try {
      await transport.send({
        command: Command.BAND,
        payload: HostMessageCodec.encode({
          requestId: 1,
          body: { case: 'getInfo', value: { hostVersion: PROTOCOL_VERSION } },
        }),
      });
      const { item } = await units.waitFor(isAnswer, { after: 0, timeoutMs: callTimeoutMs, what: 'a GetInfo reply' });
      const message = item.command === Command.BAND ? decodeBand(item.payload) : undefined;
      if (message?.body?.case !== 'getInfo')
        return { link, capabilities: new Set(), infoProblem: `the band answered ${describeUnit(item)}` };
      const info = message.body.value;
      return { link, info, capabilities: new Set<Capability>(info.capabilities), userData: await userData() };
    } catch (error) {
      return { link, capabilities: new Set(), infoProblem: describeFailure(error) };
    }
  } finally {
    await transport.close().catch(() => undefined);
  }
}

async function runOne(
  requirement: Requirement,
  openBand: () => Promise<Transport>,
  profile: BandProfile,
  permission: { destructive: boolean },
  limits: { callTimeoutMs: number; timeoutMs: number; attestationRoots: readonly X509Certificate[] },
): Promise<RequirementResult> {
  const base = { id: requirement.id, title: requirement.title, source: requirement.source };
  const started = Date.now();
  const finish = (status: RequirementResult['status'], detail: string): RequirementResult => ({
    ...base,
    status,
    detail,
    ms: Date.now() - started,
  });
  const missing = missingNeed(requirement, profile, permission);
  if (missing) return finish('skip', missing);

  let transport: Transport;
  try {
    transport = await openBand();
  } catch (error) {
    return finish('fail', `could not open a link to the band: ${describeFailure(error)}`);
  }
  const controller = new AbortController();
  const units = new Recorder<Unit>(describeUnit);
  transport.onUnit((unit) => units.push(unit));
  const band = new BandClient(transport, { timeoutMs: limits.callTimeoutMs });
  const ctx: ConformanceContext = {
    transport,
    band,
    profile,
    units,
    hid: hidAccessOf(transport),
    framed: framedAccessOf(transport),
    signal: controller.signal,
    callTimeoutMs: limits.callTimeoutMs,
    attestationRoots: limits.attestationRoots,
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await hello(ctx);
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Error(`the requirement did not finish within ${limits.timeoutMs} ms`));
      }, limits.timeoutMs);
    });
    await Promise.race([requirement.run(ctx), timedOut]);
    return finish('pass', '');
  } catch (error) {
    if (error instanceof NotApplicable) return finish('skip', error.message);
    if (error instanceof Unmet) return finish('fail', error.message);
    return finish('fail', describeFailure(error));
  } finally {
    clearTimeout(timer);
    controller.abort();
    band.close();
    await transport.close().catch(() => undefined);
  }
}

/** The host sends GetInfo first (docs/protocol.md §Layer 3); a band that cannot answer it is judged by PROTO-*. */
async function hello(ctx: ConformanceContext): Promise<void> {
  if (!ctx.profile.info) return;
  const after = ctx.units.length;
  await ctx.transport.send({
    command: Command.BAND,
    payload: HostMessageCodec.encode({
      requestId: 1,
      body: { case: 'getInfo', value: { hostVersion: PROTOCOL_VERSION } },
    }),
  });
  await ctx.units
    .waitFor(isAnswer, { after, timeoutMs: ctx.callTimeoutMs, what: 'a GetInfo reply' })
    .catch(() => undefined);
}
