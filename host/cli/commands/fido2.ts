import { randomBytes } from 'node:crypto';
import { MAX_FIDO_USER_NAME_BYTES, MAX_PIN_BYTES, MIN_PIN_LENGTH } from '../../../proto/index.js';
import { KeepaliveStatus } from '../../../transport/index.js';
import { authenticate } from '../../authenticate.js';
import type { BandClient } from '../../band-client.js';
import { BandClientError } from '../../errors.js';
import {
  CtapError,
  Permission,
  type AuthenticatorData,
  type Fido2Client,
  type PinUvAuthToken,
  type TransactOptions,
} from '../../fido2/index.js';
import { parseCommand, parseInteger, requireString, type CliCommand, type CliContext } from '../command.js';
import { withBand } from '../connect.js';
import { UsageError } from '../exit-codes.js';
import { hex } from '../output.js';
import { personFor, SIMULATE_USER_OPTION } from '../people.js';

const SUBCOMMANDS = 'info, make-credential, get-assertion, credentials, pin, reset';

const USAGE = `usage: bandctl [--transport URI] fido2 SUBCOMMAND [ARGS] [--json]

The band's CTAP 2.1 authenticator, as a platform (browser, OS) drives it.

  info                                   authenticatorGetInfo: versions, extensions, AAGUID, options, PIN protocols
  make-credential --rp ID [--user NAME] [--rk] [--uv] [--pin PIN]
                                         a new ES256 credential for relying party ID; prints its id (base64url),
                                         COSE public key, attestation format, flags and signature counter.
                                         --user defaults to the band's enrolled user; --rk makes it discoverable
                                         (needs user verification: the band's own, or --pin)
  get-assertion --rp ID [--credential ID] [--uv] [--pin PIN]
                                         sign in: with --credential (base64url) that credential, else every
                                         discoverable credential for ID; prints credential id, counter, flags, user
  credentials [--pin PIN]                the discoverable credentials: with --pin through credential management
                                         (a token with the cm permission), else the band protocol's list
  pin retries                            PIN attempts left, and whether a PIN is set
  pin set NEW | pin change OLD NEW       set the first PIN, or change it (at least ${MIN_PIN_LENGTH} characters)
  reset                                  authenticatorReset: erase every credential and the PIN (the band allows
                                         it only within 10 s of power-up)

options:
  --uv                   ask for the band's built-in user verification (worn and authenticated)
  --pin PIN              user verification by PIN (a pinUvAuthToken, PIN/UV protocol 2)
  --simulate-user FINGER a simulated person presses the top button when the band asks (band with --debug-link);
                         otherwise bandctl asks you to tap it. On an enrolled band that is not authenticated,
                         the person first wears it and touches the sensor with FINGER
  --wait MS              how long the user has to tap the band (default 60000)

A band's refusal exits 1 with the CTAP status name (e.g. CTAP2_ERR_PIN_INVALID).`;

const OPTIONS = {
  rp: { type: 'string' },
  user: { type: 'string' },
  rk: { type: 'boolean' },
  uv: { type: 'boolean' },
  pin: { type: 'string' },
  credential: { type: 'string' },
  wait: { type: 'string' },
  ...SIMULATE_USER_OPTION,
} as const;

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

interface Session {
  ctx: CliContext;
  band: BandClient;
  fido2: Fido2Client;
  values: Values;
  waitMs: number;
}

interface Subcommand {
  /** Options this subcommand takes (the rest are refused). */
  options: readonly (keyof typeof OPTIONS)[];
  /** How many positional operands it takes after its name (min, max) and how they are named. */
  operands?: { min: number; max: number; names: string };
  /** Checks the command line before the band is opened. */
  check?(values: Values, operands: string[]): void;
  run(session: Session, operands: string[]): Promise<void>;
}

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

function flagsOf(ad: AuthenticatorData) {
  const names = [
    ad.flags.userPresent ? 'UP' : '',
    ad.flags.userVerified ? 'UV' : '',
    ad.flags.attestedCredentialData ? 'AT' : '',
    ad.flags.extensionData ? 'ED' : '',
  ].filter(Boolean);
  return {
    json: {
      value: ad.flags.raw,
      up: ad.flags.userPresent,
      uv: ad.flags.userVerified,
      at: ad.flags.attestedCredentialData,
      ed: ad.flags.extensionData,
    },
    human: `${names.join(' ') || '-'} (0x${ad.flags.raw.toString(16).padStart(2, '0')})`,
  };
}

/**
 * User presence for one CTAP2 call: on the first KEEPALIVE(UPNEEDED) the simulated person presses the top button
 * (through the debug link), or the person at the terminal is told once to tap it. A failed simulated press is kept
 * and reported in place of the timeout it causes.
 */
function presence(session: Session, rpId?: string) {
  const person = personFor(session.ctx, session.band, session.values['simulate-user']);
  let asked = false;
  let pressFailed: Error | undefined;
  const opts: TransactOptions = {
    timeoutMs: session.waitMs,
    onKeepalive: (status) => {
      if (status !== KeepaliveStatus.UPNEEDED || asked) return;
      asked = true;
      person
        .instruct({ kind: 'confirm-presence', ...(rpId ? { rpId } : {}) })
        .catch((error: Error) => (pressFailed = error));
    },
  };
  return {
    opts,
    async run<T>(call: (opts: TransactOptions) => Promise<T>): Promise<T> {
      try {
        return await call(opts);
      } catch (error) {
        if (pressFailed) {
          // The press that failed is the cause; the call's own error only follows from it.
          throw new Error(
            `the simulated user could not press the top button (${pressFailed.message}); start the band with --debug-link`,
            // eslint-disable-next-line preserve-caught-error
            { cause: pressFailed },
          );
        }
        if (asked && error instanceof BandClientError && error.code === 'TIMEOUT') {
          throw new BandClientError(
            'TIMEOUT',
            `the band waited for a tap on its top button that did not come within ${session.waitMs} ms; tap it when asked, or raise --wait`,
            { cause: error },
          );
        }
        throw error;
      }
    },
  };
}

async function pinToken(session: Session, permissions: number, rpId?: string): Promise<PinUvAuthToken | undefined> {
  const pin = session.values.pin;
  if (pin === undefined) return undefined;
  return session.fido2.clientPin.getPinToken(pin, {
    permissions,
    ...(rpId ? { rpId } : {}),
    timeoutMs: session.ctx.global.timeoutMs,
  });
}

function checkPin(command: string, pin: string | undefined, flag: string): void {
  if (pin === undefined) return;
  if (pin === '') throw new UsageError(`${command}: expected ${flag} to be a PIN, got an empty string`);
  if (Buffer.byteLength(pin, 'utf8') > MAX_PIN_BYTES)
    throw new UsageError(
      `${command}: a PIN is at most ${MAX_PIN_BYTES} bytes of UTF-8; ${flag} has ${Buffer.byteLength(pin, 'utf8')}`,
    );
}

const SUBS: Record<string, Subcommand> = {
  info: {
    options: [],
    async run({ ctx, fido2 }) {
      const info = await fido2.getInfo({ timeoutMs: ctx.global.timeoutMs });
      const options = Object.entries(info.options).map(([k, v]) => `${k}${v ? '' : '=false'}`);
      ctx.out.result({ ok: true, ...info, aaguid: hex(info.aaguid) }, [
        `versions          ${info.versions.join(', ')}`,
        `extensions        ${info.extensions.join(', ') || '-'}`,
        `aaguid            ${hex(info.aaguid)}`,
        `options           ${options.join(', ')}`,
        `pin protocols     ${info.pinUvAuthProtocols.join(', ')}`,
        `algorithms        ${info.algorithms.map((a) => a.alg).join(', ')}`,
        `max message       ${info.maxMsgSize ?? '-'} bytes; credential ids up to ${info.maxCredentialIdLength ?? '-'} bytes`,
        `discoverable      ${info.remainingDiscoverableCredentials ?? '-'} more fit`,
        `firmware          ${info.firmwareVersion ?? '-'}`,
      ]);
    },
  },

  'make-credential': {
    options: ['rp', 'user', 'rk', 'uv', 'pin', 'wait', 'simulate-user'],
    check(values) {
      requireString('fido2 make-credential', values.rp, '--rp ID');
      if (
        values.user !== undefined &&
        (values.user === '' || Buffer.byteLength(values.user) > MAX_FIDO_USER_NAME_BYTES)
      ) {
        throw new UsageError(
          `fido2 make-credential: expected --user NAME of 1 to ${MAX_FIDO_USER_NAME_BYTES} bytes, got '${values.user}'`,
        );
      }
      checkPin('fido2 make-credential', values.pin, '--pin');
    },
    async run(session) {
      const { ctx, band, fido2, values } = session;
      const rpId = values.rp!;
      const userName = values.user ?? ((await band.getState()).userName || 'bandctl');
      const token = await pinToken(session, Permission.MAKE_CREDENTIAL, rpId);
      // A discoverable credential needs user verification: without a PIN it is the band's own.
      const uv = token === undefined && (values.uv || values.rk) ? true : undefined;
      const up = presence(session, rpId);
      const result = await up.run((opts) =>
        fido2.makeCredential(
          {
            challenge: new Uint8Array(randomBytes(32)),
            origin: `https://${rpId}`,
            rp: { id: rpId, name: rpId },
            user: { id: new TextEncoder().encode(userName), name: userName, displayName: userName },
            options: { ...(values.rk ? { rk: true } : {}), ...(uv ? { uv } : {}) },
            ...(token ? { pinUvAuthToken: token } : {}),
          },
          opts,
        ),
      );
      const ad = result.parsedAuthenticatorData;
      const flags = flagsOf(ad);
      ctx.out.result(
        {
          ok: true,
          rpId,
          user: userName,
          discoverable: values.rk ?? false,
          credentialId: b64url(result.credentialId),
          publicKey: hex(result.publicKey),
          fmt: result.fmt,
          flags: flags.json,
          signCount: ad.signCount,
          aaguid: hex(ad.attestedCredentialData!.aaguid),
        },
        [
          `credential id     ${b64url(result.credentialId)}`,
          `public key        ${hex(result.publicKey)} (COSE, ES256)`,
          `fmt               ${result.fmt}`,
          `flags             ${flags.human}`,
          `sign count        ${ad.signCount}`,
          `rp / user         ${rpId} / ${userName}${values.rk ? ' (discoverable)' : ''}`,
        ],
      );
    },
  },

  'get-assertion': {
    options: ['rp', 'credential', 'uv', 'pin', 'wait', 'simulate-user'],
    check(values) {
      requireString('fido2 get-assertion', values.rp, '--rp ID');
      if (values.credential !== undefined && !/^[A-Za-z0-9_-]+$/.test(values.credential)) {
        throw new UsageError(
          `fido2 get-assertion: expected --credential to be a credential id in base64url (as make-credential prints it), got '${values.credential}'`,
        );
      }
      checkPin('fido2 get-assertion', values.pin, '--pin');
    },
    async run(session) {
      const { ctx, fido2, values } = session;
      const rpId = values.rp!;
      const token = await pinToken(session, Permission.GET_ASSERTION, rpId);
      const up = presence(session, rpId);
      const assertions = await up.run((opts) =>
        fido2.getAssertion(
          {
            challenge: new Uint8Array(randomBytes(32)),
            origin: `https://${rpId}`,
            rpId,
            ...(values.credential
              ? { allowCredentials: [new Uint8Array(Buffer.from(values.credential, 'base64url'))] }
              : {}),
            ...(values.uv && !token ? { options: { uv: true } } : {}),
            ...(token ? { pinUvAuthToken: token } : {}),
          },
          opts,
        ),
      );
      const rows = assertions.map((a) => {
        const flags = flagsOf(a.parsedAuthenticatorData);
        return {
          credentialId: b64url(a.credentialId),
          signCount: a.parsedAuthenticatorData.signCount,
          flags,
          user: a.user
            ? {
                id: b64url(a.user.id),
                ...(a.user.name !== undefined ? { name: a.user.name } : {}),
                ...(a.user.displayName !== undefined ? { displayName: a.user.displayName } : {}),
              }
            : undefined,
          signature: hex(a.signature),
          authenticatorData: hex(a.authenticatorData),
          clientDataHash: hex(a.clientDataHash),
        };
      });
      ctx.out.result(
        // The signature is over authenticatorData || clientDataHash: a rig can check it with make-credential's key.
        { ok: true, rpId, assertions: rows.map((r) => ({ ...r, flags: r.flags.json })) },
        rows.flatMap((r, i) => [
          ...(i > 0 ? [''] : []),
          `credential id     ${r.credentialId}`,
          `sign count        ${r.signCount}`,
          `flags             ${r.flags.human}`,
          `user              ${r.user ? (r.user.name ?? `(id ${r.user.id})`) : '-'}`,
        ]),
      );
    },
  },

  credentials: {
    options: ['pin'],
    check(values) {
      checkPin('fido2 credentials', values.pin, '--pin');
    },
    async run(session) {
      const { ctx, band, fido2 } = session;
      const opts = { timeoutMs: ctx.global.timeoutMs };
      const token = await pinToken(session, Permission.CREDENTIAL_MANAGEMENT);
      let source: 'credential-management' | 'band-protocol';
      let rows: { rpId: string; credentialId: string; userName: string; credProtect?: number }[];
      if (token) {
        source = 'credential-management';
        rows = [];
        for (const rp of await fido2.credentialManagement.rps(token, opts)) {
          for (const c of await fido2.credentialManagement.credentials(token, rp.rpIdHash, opts)) {
            rows.push({
              rpId: rp.rp.id,
              credentialId: b64url(c.credentialId),
              userName: c.user.name ?? '',
              ...(c.credProtect !== undefined ? { credProtect: c.credProtect } : {}),
            });
          }
        }
      } else {
        source = 'band-protocol';
        const listed = await band.listFidoCredentials(opts);
        rows = listed.credentials.map((c) => ({
          rpId: c.rpId,
          credentialId: b64url(c.credentialId),
          userName: c.userName,
        }));
      }
      ctx.out.result(
        { ok: true, source, credentials: rows },
        rows.length === 0
          ? 'No discoverable credentials on the band.'
          : rows.map((r) => `${r.rpId.padEnd(24)} ${r.userName.padEnd(20)} ${r.credentialId}`),
      );
    },
  },

  pin: {
    options: [],
    operands: { min: 1, max: 3, names: 'retries | set NEW | change OLD NEW' },
    check(_values, [action, ...args]) {
      const want: Record<string, number> = { retries: 0, set: 1, change: 2 };
      if (!(action in want))
        throw new UsageError(`fido2 pin: expected retries, set NEW or change OLD NEW, got '${action}'`);
      if (args.length !== want[action]) {
        throw new UsageError(
          `fido2 pin ${action}: expected ${action === 'retries' ? 'no operand' : action === 'set' ? 'NEW' : 'OLD NEW'}, got ${args.length} operand(s)`,
        );
      }
      args.forEach((pin, i) => checkPin(`fido2 pin ${action}`, pin, action === 'change' && i === 0 ? 'OLD' : 'NEW'));
    },
    async run({ ctx, fido2 }, [action, ...args]) {
      const opts = { timeoutMs: ctx.global.timeoutMs };
      if (action === 'set') await fido2.clientPin.setPin(args[0], opts);
      if (action === 'change') await fido2.clientPin.changePin(args[0], args[1], opts);
      const info = await fido2.getInfo(opts);
      const pinSet = info.options.clientPin === true;
      if (action !== 'retries') {
        ctx.out.result({ ok: true, action, pinSet }, action === 'set' ? 'PIN set.' : 'PIN changed.');
        return;
      }
      const { retries, powerCycleState } = await fido2.clientPin.getRetries(opts);
      ctx.out.result(
        { ok: true, pinSet, retries, ...(powerCycleState !== undefined ? { powerCycleState } : {}) },
        `${pinSet ? 'A PIN is set' : 'No PIN is set'}; ${retries} attempt(s) left${powerCycleState ? ' (power-cycle the band before the next attempt)' : ''}.`,
      );
    },
  },

  reset: {
    options: ['wait', 'simulate-user'],
    async run(session) {
      const up = presence(session);
      await up.run((opts) => session.fido2.reset(opts));
      session.ctx.out.result({ ok: true }, 'FIDO2 reset: every credential and the PIN are erased.');
    },
  },
};

/** Subcommands that need the wearer's presence, so the band must be worn and authenticated first. */
const NEEDS_WEARER = new Set(['make-credential', 'get-assertion', 'reset']);

/** With --simulate-user: an enrolled band that is not authenticated is worn and touched first, as a person would. */
async function authenticateFirst(session: Session): Promise<void> {
  const finger = session.values['simulate-user'];
  if (!finger) return;
  const state = await session.band.getState({ timeoutMs: session.ctx.global.timeoutMs });
  if (!state.enrolled || state.state === 'BAND_STATE_AUTHENTICATED') return;
  session.ctx.out.progress(`authenticating on the band first (simulated user, ${finger})`);
  await authenticate(session.band, personFor(session.ctx, session.band, finger), { stepTimeoutMs: session.waitMs });
}

/** CTAP statuses a band gives when its wearer is not there to verify or confirm. */
const WEARER_MISSING = new Set(['CTAP2_ERR_OPERATION_DENIED', 'CTAP2_ERR_PUAT_REQUIRED', 'CTAP2_ERR_UV_INVALID']);

/** Adds what to do to such a refusal when GetState shows the band is not enrolled, not worn or not authenticated. */
async function withWearerHint(session: Session, error: unknown): Promise<unknown> {
  if (!(error instanceof CtapError) || !WEARER_MISSING.has(error.code)) return error;
  const state = await session.band.getState({ timeoutMs: session.ctx.global.timeoutMs }).catch(() => undefined);
  if (!state) return error;
  if (!state.enrolled) {
    error.message += '; the band holds no enrolled user: enroll it first (bandctl enroll)';
  } else if (!state.onWrist || state.state !== 'BAND_STATE_AUTHENTICATED') {
    error.message +=
      '; the band must be worn and authenticated: touch the sensor (with --simulate-user FINGER: done for you)';
  }
  return error;
}

export const fido2Command: CliCommand = {
  name: 'fido2',
  summary: "the band's FIDO2 authenticator: info, make-credential, get-assertion, credentials, pin, reset",
  usage: USAGE,
  async run(ctx) {
    const { values, positionals } = parseCommand('fido2', ctx.argv, OPTIONS);
    const [name, ...operands] = positionals;
    if (!name) throw new UsageError(`fido2: expected a subcommand (${SUBCOMMANDS}); see 'bandctl fido2 --help'`);
    const sub = SUBS[name];
    if (!sub) throw new UsageError(`fido2: unknown subcommand '${name}'; expected ${SUBCOMMANDS}`);
    const { min, max, names } = sub.operands ?? { min: 0, max: 0, names: '' };
    if (operands.length < min || operands.length > max) {
      throw new UsageError(
        max === 0
          ? `fido2 ${name}: takes no operand, got '${operands.join(' ')}'; see 'bandctl fido2 --help'`
          : `fido2 ${name}: expected ${names}; see 'bandctl fido2 --help'`,
      );
    }
    const own = values as Values;
    for (const key of Object.keys(OPTIONS) as (keyof typeof OPTIONS)[]) {
      if (own[key] !== undefined && !sub.options.includes(key)) {
        throw new UsageError(`fido2 ${name}: --${key} does not apply here; see 'bandctl fido2 --help'`);
      }
    }
    sub.check?.(own, operands);
    const waitMs = parseInteger(`fido2 ${name}`, own.wait, '--wait', 60_000, 1);
    await withBand(ctx, async (band) => {
      const session: Session = { ctx, band, fido2: band.fido2, values: own, waitMs };
      if (NEEDS_WEARER.has(name)) await authenticateFirst(session);
      try {
        await sub.run(session, operands);
      } catch (error) {
        throw await withWearerHint(session, error);
      }
    });
  },
};
