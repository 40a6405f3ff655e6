import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import {
  MAX_FIDO_USER_NAME_BYTES,
  MAX_PIN_BYTES,
  MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH,
  MIN_PIN_LENGTH,
} from '../../../proto/index.js';
import { KeepaliveStatus } from '../../../transport/index.js';
import { authenticate } from '../../authenticate.js';
import type { BandClient } from '../../band-client.js';
import { BandClientError } from '../../errors.js';
import { attestationCertificateFacts, deviceIdSubjectSerial } from '../../../proto/ctap2/attestation-certificate.js';
import { largeBlobArrayIntact } from '../../../proto/ctap2/large-blobs.js';
import {
  CtapError,
  EnterpriseAttestation,
  largeBlobEntrySize,
  Permission,
  type CborMap,
  type EnterpriseAttestationKind,
  type AuthenticatorData,
  type AssertionResult,
  LargeBlobError,
  type LargeBlobErrorCode,
  type EnrollSample,
  type Fido2Client,
  type GetAssertionRequest,
  type PinUvAuthToken,
  type TransactOptions,
} from '../../fido2/index.js';
import { MAX_LABEL_CHARS } from '../../../proto/index.js';
import { parseCommand, parseInteger, requireString, type CliCommand, type CliContext } from '../command.js';
import { withBand } from '../connect.js';
import { UsageError } from '../exit-codes.js';
import { hex } from '../output.js';
import { personFor, SIMULATE_USER_OPTION } from '../people.js';
import { CliRefusal } from '../refusal.js';

const SUBCOMMANDS = 'info, make-credential, get-assertion, credentials, pin, config, reset, bio, large-blob';

const USAGE = `usage: bandctl [--transport URI] fido2 SUBCOMMAND [ARGS] [--json]

The band's CTAP 2.1 authenticator, as a platform (browser, OS) drives it.

  info                                   authenticatorGetInfo: versions, extensions, AAGUID, options, PIN protocols
  make-credential --rp ID [--user NAME] [--rk [--large-blob-key]] [--uv] [--pin PIN]
                  [--enterprise vendor|platform]
                                         a new ES256 credential for relying party ID; prints its id (base64url),
                                         COSE public key, attestation format, flags and signature counter.
                                         --user defaults to the band's enrolled user; --rk makes it discoverable
                                         (needs user verification: the band's own, or --pin); --enterprise asks
                                         for enterprise attestation, vendor-facilitated or platform-managed, and
                                         prints whether it came (epAtt) and the device ID its certificate names;
                                         --large-blob-key gives it a largeBlobKey, so it can keep a large blob
  get-assertion --rp ID [--credential ID] [--uv] [--pin PIN]
                                         sign in: with --credential (base64url) that credential, else every
                                         discoverable credential for ID; prints credential id, counter, flags, user
  credentials [--pin PIN]                the discoverable credentials: with --pin through credential management
                                         (a token with the cm permission; marks those with a largeBlobKey, never
                                         printing it), else the band protocol's list
  pin retries                            PIN attempts left, and whether a PIN is set
  pin set NEW | pin change OLD NEW       set the first PIN, or change it (at least ${MIN_PIN_LENGTH} characters)
  config toggle-always-uv                authenticatorConfig: switch alwaysUv (every ceremony verifies the user)
  config set-min-pin-length [LENGTH] [--rp ID]... [--force-change-pin]
                                         raise the minimum PIN length (it only grows until a reset), name the RP
                                         IDs (at most ${MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH}) the minPinLength extension may tell it to, and/or
                                         make the PIN be changed before its next use
  config enable-enterprise-attestation   let the band give enterprise attestation (getInfo ep) until a reset
  reset                                  authenticatorReset: erase every credential and the PIN (the band allows
                                         it only within 10 s of power-up)
  bio info                               the fingerprint sensor (authenticatorBioEnrollment, no PIN needed)
  bio enroll --pin PIN [--sample-timeout MS]
                                         enroll the wearer's finger on an unenrolled band worn on the wrist: touch
                                         the sensor each time the band asks (6 good touches); the band then holds a
                                         local user (not a directory user) and asks the wearer to authenticate
  bio list --pin PIN                     the enrolled fingerprint: template id (hex) and name
  bio rename TEMPLATE_ID NAME --pin PIN  name the fingerprint (it is the band's label: at most ${MAX_LABEL_CHARS} characters)
  bio remove TEMPLATE_ID --pin PIN       remove a fingerprint enrolled over CTAP (its credentials and the PIN stay);
                                         a directory user's goes only with 'bandctl wipe'
  large-blob list                        the band's large-blob array: its size, limit and entries (encrypted)
  large-blob get --rp ID [--credential ID] [--pin PIN] [--out FILE]
                                         the blob of a credential made with --large-blob-key; its key comes from
                                         credential management with --pin (no tap), else from a sign-in (the band
                                         asks for a tap); --out writes the bytes to FILE
  large-blob set --rp ID [--credential ID] (--data TEXT | --file FILE) [--zlib]
                                         store the credential's blob, encrypted under its key (AES-256-GCM over
                                         DEFLATE); --zlib writes the zlib stream older platforms read
                                         (python-fido2 0.9, libfido2 < 1.11)
  large-blob delete --rp ID [--credential ID]
                                         remove the credential's blob
                                         set and delete need the lbw permission: from --pin, else the band's own
                                         user verification (worn and authenticated); with --pin, set and delete
                                         also take the key from credential management, as get does

options:
  --uv                   ask for the band's built-in user verification (worn and authenticated)
  --pin PIN              user verification by PIN (a pinUvAuthToken, PIN/UV protocol 2). config without --pin
                         uses the band's built-in user verification when it has an enrolled user (it must be
                         worn and authenticated), and no token on a band with neither PIN nor user
  --simulate-user FINGER a simulated person presses the top button when the band asks (band with --debug-link);
                         otherwise bandctl asks you to tap it. On an enrolled band that is not authenticated,
                         the person first wears it and touches the sensor with FINGER
  --wait MS              how long the user has to tap the band (default 60000)
  --sample-timeout MS    bio enroll: how long the band waits for each touch (default: the band's, 30000 on bandsim)

A band's refusal exits 1 with the CTAP status name (e.g. CTAP2_ERR_PIN_INVALID).`;

const OPTIONS = {
  rp: { type: 'string', multiple: true },
  'force-change-pin': { type: 'boolean' },
  enterprise: { type: 'string' },
  user: { type: 'string' },
  rk: { type: 'boolean' },
  uv: { type: 'boolean' },
  pin: { type: 'string' },
  credential: { type: 'string' },
  wait: { type: 'string' },
  'sample-timeout': { type: 'string' },
  'large-blob-key': { type: 'boolean' },
  data: { type: 'string' },
  file: { type: 'string' },
  out: { type: 'string' },
  zlib: { type: 'boolean' },
  ...SIMULATE_USER_OPTION,
} as const;

type Values = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true }
    ? string[]
    : (typeof OPTIONS)[K]['type'] extends 'boolean'
      ? boolean
      : string;
};

/** The one --rp ID a ceremony is for (--rp may be given several times only to config set-min-pin-length). */
function oneRp(command: string, values: Values): string {
  const rps = values.rp ?? [];
  if (rps.length > 1) throw new UsageError(`${command}: expected one --rp ID, got ${rps.length}`);
  return requireString(command, rps[0], '--rp ID');
}

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

/** --enterprise: makeCredential's enterpriseAttestation values (CTAP 2.1 §7.1). */
const ENTERPRISE_KINDS: Record<string, EnterpriseAttestationKind> = {
  vendor: EnterpriseAttestation.VENDOR_FACILITATED,
  platform: EnterpriseAttestation.PLATFORM_MANAGED,
};

/** Which packed attestation came (x5c: a certificate, else self), and the device an enterprise certificate names. */
function attestationSummary(attStmt: CborMap): { kind: 'certificate' | 'self'; deviceId?: string } {
  const x5c = attStmt.get('x5c');
  if (!Array.isArray(x5c) || !(x5c[0] instanceof Uint8Array)) return { kind: 'self' };
  try {
    const { deviceId } = attestationCertificateFacts(x5c[0]);
    return { kind: 'certificate', ...(deviceId ? { deviceId: deviceIdSubjectSerial(deviceId) } : {}) };
  } catch {
    return { kind: 'certificate' };
  }
}

const CONFIG_ACTIONS = ['toggle-always-uv', 'set-min-pin-length', 'enable-enterprise-attestation'] as const;

/**
 * The acfg token authenticatorConfig needs (§6.11): from --pin, else from the band's built-in user verification
 * while it has an enrolled user; a band with neither PIN nor user takes the command without one.
 */
async function configToken(session: Session, action: string): Promise<PinUvAuthToken | undefined> {
  const { ctx, fido2, values } = session;
  if (values.pin !== undefined) return pinToken(session, Permission.AUTHENTICATOR_CONFIG);
  const info = await fido2.getInfo({ timeoutMs: ctx.global.timeoutMs });
  if (info.options.uv === true)
    return fido2.clientPin.getUvToken({
      permissions: Permission.AUTHENTICATOR_CONFIG,
      timeoutMs: ctx.global.timeoutMs,
    });
  if (info.options.clientPin === true)
    throw new UsageError(`fido2 config ${action}: the band has a PIN and no enrolled user; give --pin PIN`);
  return undefined;
}

function checkCredential(command: string, credential: string | undefined): void {
  if (credential !== undefined && !/^[A-Za-z0-9_-]+$/.test(credential)) {
    throw new UsageError(
      `${command}: expected --credential to be a credential id in base64url (as make-credential prints it), got '${credential}'`,
    );
  }
}

const LARGE_BLOB_ACTIONS: Record<string, readonly (keyof typeof OPTIONS)[]> = {
  list: [],
  get: ['rp', 'credential', 'pin', 'wait', 'simulate-user', 'out'],
  set: ['rp', 'credential', 'pin', 'wait', 'simulate-user', 'data', 'file', 'zlib'],
  delete: ['rp', 'credential', 'pin', 'wait', 'simulate-user'],
};

/**
 * A sign-in at --rp (the band asks for a tap), with --credential as the allow list. A PIN, when given, verifies the
 * user; without one, `uv` asks for the band's built-in UV.
 */
async function signIn(
  session: Session,
  command: string,
  ask: { extensions?: GetAssertionRequest['extensions']; uv?: boolean },
): Promise<{ rpId: string; assertions: AssertionResult[] }> {
  const { fido2, values } = session;
  const rpId = oneRp(command, values);
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
        ...(ask.extensions ? { extensions: ask.extensions } : {}),
        ...(ask.uv && !token ? { options: { uv: true } } : {}),
        ...(token ? { pinUvAuthToken: token } : {}),
      },
      opts,
    ),
  );
  return { rpId, assertions };
}

type KeyedCredential = { rpId: string; credentialId: string; key: Uint8Array };

/**
 * The largeBlobKey of the credential a large-blob command is about. With --pin, from credential management's
 * enumerateCredentials (a cm token; CTAP 2.1 §6.8.3 returns each credential's key), so the band asks for no tap;
 * otherwise from a sign-in at the RP asking for it (the band asks for a tap), with --credential as the allow list.
 */
async function largeBlobKeyOf(session: Session): Promise<KeyedCredential> {
  const command = 'fido2 large-blob';
  const { fido2, values, ctx } = session;
  const opts = { timeoutMs: ctx.global.timeoutMs };
  if (values.pin !== undefined && (await fido2.getInfo(opts)).options.credMgmt === true) {
    const rpId = oneRp(command, values);
    const token = (await pinToken(session, Permission.CREDENTIAL_MANAGEMENT)) as PinUvAuthToken;
    const listed = (await fido2.credentialManagement.credentials(token, rpId, opts)).filter(
      (c) => values.credential === undefined || b64url(c.credentialId) === values.credential,
    );
    if (values.credential !== undefined && listed.length === 0)
      throw new CliRefusal(
        'NO_LARGE_BLOB_KEY',
        `the band has no discoverable credential ${values.credential} for ${rpId}; 'bandctl fido2 credentials --pin PIN' lists them`,
      );
    return onlyKeyed(
      rpId,
      listed.map((c) => ({ credentialId: c.credentialId, key: c.largeBlobKey })),
    );
  }
  const { rpId, assertions } = await signIn(session, command, { extensions: { largeBlobKey: true } });
  return onlyKeyed(
    rpId,
    assertions.map((a) => ({ credentialId: a.credentialId, key: a.extensions.largeBlobKey })),
  );
}

/** The one credential among `found` with a largeBlobKey, else a refusal saying what to do. */
function onlyKeyed(rpId: string, found: { credentialId: Uint8Array; key?: Uint8Array }[]): KeyedCredential {
  const keyed = found.filter((c): c is { credentialId: Uint8Array; key: Uint8Array } => c.key !== undefined);
  if (keyed.length === 0)
    throw new CliRefusal(
      'NO_LARGE_BLOB_KEY',
      `no credential for ${rpId} on the band has a largeBlobKey; make one with 'bandctl fido2 make-credential --rp ${rpId} --rk --large-blob-key'`,
    );
  if (keyed.length > 1)
    throw new CliRefusal(
      'AMBIGUOUS_CREDENTIAL',
      `${keyed.length} credentials for ${rpId} have a largeBlobKey (${keyed.map((a) => b64url(a.credentialId)).join(', ')}); name one with --credential ID`,
    );
  return { rpId, credentialId: b64url(keyed[0].credentialId), key: keyed[0].key };
}

/** Runs a large-blob call, its LargeBlobError refusals said in the CLI's words (the codes stay, for --json). */
async function inCliWords<T>(command: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof LargeBlobError)) throw error;
    // BAD_KEY (a key of the wrong length) would be bandctl's own bug, not something the person can mend.
    if (error.code === 'BAD_KEY') throw error;
    const words: Record<Exclude<LargeBlobErrorCode, 'BAD_KEY'>, string> = {
      NOT_SUPPORTED: `this authenticator keeps no large blobs ('bandctl fido2 info' shows no largeBlobs option)`,
      TOO_LARGE: `the blob does not fit in the band's large-blob array; store less, or free room with 'bandctl fido2 large-blob delete' ('bandctl fido2 large-blob list' shows what is there)`,
      UNREADABLE_ARRAY: `the band's large-blob array holds data bandctl cannot read (another platform wrote it), so bandctl leaves it as it is; 'bandctl fido2 reset' clears it with every credential`,
    };
    throw new CliRefusal(error.code, `${command}: ${words[error.code]}`, { cause: error });
  }
}

/** A token with the lbw permission: from --pin, else the band's built-in UV; none on a band with neither. */
async function largeBlobWriteToken(session: Session): Promise<PinUvAuthToken | undefined> {
  const token = await pinToken(session, Permission.LARGE_BLOB_WRITE);
  if (token) return token;
  const opts = { timeoutMs: session.ctx.global.timeoutMs };
  const info = await session.fido2.getInfo(opts);
  if (info.options.uv !== true) return undefined;
  return session.fido2.clientPin.getUvToken({ permissions: Permission.LARGE_BLOB_WRITE, ...opts });
}

/** The blob as people read it: its text when it is printable UTF-8, else hex. */
function showBlob(data: Uint8Array): { text?: string; human: string } {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(data);
  const printable = !text.includes('\uFFFD') && !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(text);
  return printable ? { text, human: text } : { human: `(${data.length} bytes) ${hex(data)}` };
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
    options: ['rp', 'user', 'rk', 'uv', 'pin', 'enterprise', 'wait', 'simulate-user', 'large-blob-key'],
    check(values) {
      oneRp('fido2 make-credential', values);
      if (values['large-blob-key'] && !values.rk)
        throw new UsageError(
          'fido2 make-credential: --large-blob-key needs --rk (only discoverable credentials keep one)',
        );
      if (values.enterprise !== undefined && !Object.hasOwn(ENTERPRISE_KINDS, values.enterprise))
        throw new UsageError(
          `fido2 make-credential: expected --enterprise vendor or --enterprise platform, got '${values.enterprise}'`,
        );
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
      const rpId = oneRp('fido2 make-credential', values);
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
            ...(values['large-blob-key'] ? { extensions: { largeBlobKey: true } } : {}),
            ...(token ? { pinUvAuthToken: token } : {}),
            ...(values.enterprise ? { enterpriseAttestation: ENTERPRISE_KINDS[values.enterprise] } : {}),
          },
          opts,
        ),
      );
      const ad = result.parsedAuthenticatorData;
      const flags = flagsOf(ad);
      const attestation = attestationSummary(result.attStmt);
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
          attestation: attestation.kind,
          ...(values.enterprise ? { epAtt: result.epAtt } : {}),
          ...(attestation.deviceId ? { attestedDeviceId: attestation.deviceId } : {}),
          // Whether the credential has a largeBlobKey; the key itself is a secret and is never printed.
          hasLargeBlobKey: result.extensions.largeBlobKey !== undefined,
        },
        [
          `credential id     ${b64url(result.credentialId)}`,
          `public key        ${hex(result.publicKey)} (COSE, ES256)`,
          `fmt               ${result.fmt} (${attestation.kind} attestation${attestation.deviceId ? `, names device ${attestation.deviceId}` : ''})`,
          ...(values.enterprise
            ? [`enterprise        ${result.epAtt ? 'yes (epAtt)' : 'no: the band gave its ordinary attestation'}`]
            : []),
          `flags             ${flags.human}`,
          `sign count        ${ad.signCount}`,
          `rp / user         ${rpId} / ${userName}${values.rk ? ' (discoverable)' : ''}`,
          ...(result.extensions.largeBlobKey ? ['large blob key    yes (large-blob get/set use it)'] : []),
        ],
      );
    },
  },

  'get-assertion': {
    options: ['rp', 'credential', 'uv', 'pin', 'wait', 'simulate-user'],
    check(values) {
      oneRp('fido2 get-assertion', values);
      checkCredential('fido2 get-assertion', values.credential);
      checkPin('fido2 get-assertion', values.pin, '--pin');
    },
    async run(session) {
      const { ctx } = session;
      const { rpId, assertions } = await signIn(session, 'fido2 get-assertion', { uv: session.values.uv });
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
      let rows: {
        rpId: string;
        credentialId: string;
        userName: string;
        credProtect?: number;
        hasLargeBlobKey?: boolean;
      }[];
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
              // Whether it has a largeBlobKey (enumerateCredentials member 0x0B), never the key: it is a secret
              // (whoever holds it reads and replaces the credential's blob), and a listing ends up in logs.
              hasLargeBlobKey: c.largeBlobKey !== undefined,
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
          : rows.map(
              (r) =>
                `${r.rpId.padEnd(24)} ${r.userName.padEnd(20)} ${r.credentialId}${r.hasLargeBlobKey ? '  (large blob key)' : ''}`,
            ),
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

  config: {
    options: ['pin', 'rp', 'force-change-pin', 'wait', 'simulate-user'],
    operands: { min: 1, max: 2, names: `${CONFIG_ACTIONS.join(' | ')} [LENGTH]` },
    check(values, [action, length]) {
      const command = `fido2 config ${action}`;
      if (!(CONFIG_ACTIONS as readonly string[]).includes(action))
        throw new UsageError(`fido2 config: expected ${CONFIG_ACTIONS.join(', ')}, got '${action}'`);
      checkPin(command, values.pin, '--pin');
      if (action !== 'set-min-pin-length') {
        if (length !== undefined) throw new UsageError(`${command}: takes no operand, got '${length}'`);
        for (const flag of ['rp', 'force-change-pin'] as const)
          if (values[flag] !== undefined)
            throw new UsageError(`${command}: --${flag} goes with set-min-pin-length; see 'bandctl fido2 --help'`);
        return;
      }
      parseInteger(command, length, 'LENGTH', MIN_PIN_LENGTH, MIN_PIN_LENGTH, MAX_PIN_BYTES);
      if (length === undefined && values.rp === undefined && values['force-change-pin'] === undefined)
        throw new UsageError(`${command}: expected LENGTH, --rp ID or --force-change-pin; see 'bandctl fido2 --help'`);
      const rps = values.rp ?? [];
      if (rps.some((rp) => rp === ''))
        throw new UsageError(`${command}: expected --rp to be an RP ID such as login.example.com, got an empty string`);
      if (new Set(rps).size > MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH)
        throw new UsageError(
          `${command}: the band keeps at most ${MAX_RPIDS_FOR_SET_MIN_PIN_LENGTH} RP IDs for minPinLength, got ${new Set(rps).size}`,
        );
    },
    async run(session, [action, length]) {
      const { ctx, fido2, values } = session;
      const opts = { timeoutMs: ctx.global.timeoutMs };
      const token = await configToken(session, action);
      if (action === 'toggle-always-uv') {
        await fido2.config.toggleAlwaysUv(token, opts);
        const alwaysUv = (await fido2.getInfo(opts)).options.alwaysUv === true;
        ctx.out.result(
          { ok: true, action, alwaysUv },
          `alwaysUv is now ${alwaysUv ? 'on: every ceremony verifies the user' : 'off'}.`,
        );
        return;
      }
      if (action === 'enable-enterprise-attestation') {
        try {
          await fido2.config.enableEnterpriseAttestation(token, opts);
        } catch (error) {
          if (error instanceof CtapError && error.code === 'CTAP1_ERR_INVALID_COMMAND')
            error.message += '; this band has no enterprise attestation (its getInfo has no ep option)';
          throw error;
        }
        const ep = (await fido2.getInfo(opts)).options.ep === true;
        ctx.out.result(
          { ok: true, action, ep },
          'Enterprise attestation is enabled until the next authenticatorReset (getInfo ep).',
        );
        return;
      }
      const rpIds = values.rp === undefined ? undefined : [...new Set(values.rp)];
      await fido2.config.setMinPinLength(
        token,
        {
          ...(length === undefined ? {} : { newMinPinLength: Number(length) }),
          ...(rpIds === undefined ? {} : { rpIds }),
          ...(values['force-change-pin'] ? { forceChangePin: true } : {}),
        },
        opts,
      );
      const info = await fido2.getInfo(opts);
      const minPinLength = info.minPinLength ?? MIN_PIN_LENGTH;
      const forcePinChange = info.forcePinChange === true;
      ctx.out.result({ ok: true, action, minPinLength, forcePinChange, ...(rpIds === undefined ? {} : { rpIds }) }, [
        `min PIN length    ${minPinLength}`,
        `force PIN change  ${forcePinChange ? 'yes: change the PIN (fido2 pin change) before using it' : 'no'}`,
        ...(rpIds === undefined ? [] : [`minPinLength RPs  ${rpIds.join(', ') || '-'}`]),
      ]);
    },
  },

  'large-blob': {
    options: ['rp', 'credential', 'pin', 'wait', 'simulate-user', 'data', 'file', 'out', 'zlib'],
    operands: { min: 1, max: 1, names: 'list | get | set | delete' },
    check(values, [action]) {
      const allowed = LARGE_BLOB_ACTIONS[action];
      if (!allowed) throw new UsageError(`fido2 large-blob: expected list, get, set or delete, got '${action}'`);
      const command = `fido2 large-blob ${action}`;
      for (const key of Object.keys(OPTIONS) as (keyof typeof OPTIONS)[]) {
        if (values[key] !== undefined && !allowed.includes(key))
          throw new UsageError(`${command}: --${key} does not apply here; see 'bandctl fido2 --help'`);
      }
      if (action === 'list') return;
      oneRp(command, values);
      checkCredential(command, values.credential);
      checkPin(command, values.pin, '--pin');
      if (action === 'set' && (values.data === undefined) === (values.file === undefined))
        throw new UsageError(`${command}: expected the blob as --data TEXT or --file FILE (one of them)`);
      if (values.out === '') throw new UsageError(`${command}: expected --out FILE, got an empty name`);
    },
    async run(session, [action]) {
      const { ctx, fido2, values } = session;
      const opts = { timeoutMs: ctx.global.timeoutMs };
      if (action === 'list') {
        const info = await fido2.getInfo(opts);
        const array = await inCliWords('fido2 large-blob list', () => fido2.largeBlobs.read(opts));
        const entries = array.entries.map((entry, index) => ({ index, ...largeBlobEntrySize(entry) }));
        ctx.out.result(
          {
            ok: true,
            bytes: array.serialized.length,
            ...(info.maxSerializedLargeBlobArray !== undefined ? { max: info.maxSerializedLargeBlobArray } : {}),
            intact: array.intact,
            entries,
          },
          [
            `large-blob array  ${array.serialized.length} of ${info.maxSerializedLargeBlobArray ?? '?'} bytes${array.intact ? '' : largeBlobArrayIntact(array.serialized) ? ' (not a CBOR array bandctl reads: left as it is)' : ' (fails its hash: read as empty)'}`,
            ...(entries.length === 0
              ? ['No entries.']
              : entries.map(
                  (e) => `entry ${e.index}           ${e.origSize ?? '?'} bytes, ${e.ciphertextBytes ?? '?'} encrypted`,
                )),
          ],
        );
        return;
      }
      // The blob to store is read before the band asks anyone for a tap.
      let blob: Uint8Array | undefined;
      if (action === 'set' && values.file !== undefined) {
        try {
          blob = new Uint8Array(await readFile(values.file));
        } catch (error) {
          throw new UsageError(
            `fido2 large-blob set: expected a readable --file, got ${values.file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
          );
        }
      } else if (action === 'set') {
        blob = new TextEncoder().encode(values.data);
      }
      const { rpId, credentialId, key } = await largeBlobKeyOf(session);
      if (action === 'get') {
        const data = await inCliWords(`fido2 large-blob ${action}`, () => fido2.largeBlobs.getBlob(key, opts));
        if (data === undefined) {
          ctx.out.result({ ok: true, rpId, credentialId, found: false }, `No large blob for ${credentialId}.`);
          return;
        }
        if (values.out !== undefined) await writeFile(values.out, data);
        const shown = showBlob(data);
        ctx.out.result(
          {
            ok: true,
            rpId,
            credentialId,
            found: true,
            bytes: data.length,
            base64: Buffer.from(data).toString('base64'),
            ...(shown.text !== undefined ? { text: shown.text } : {}),
            ...(values.out !== undefined ? { out: values.out } : {}),
          },
          values.out !== undefined ? `${data.length} bytes written to ${values.out}.` : shown.human,
        );
        return;
      }
      const token = await largeBlobWriteToken(session);
      if (action === 'delete') {
        const deleted = await inCliWords(`fido2 large-blob ${action}`, () =>
          fido2.largeBlobs.deleteBlob(key, { token, ...opts }),
        );
        ctx.out.result(
          { ok: true, rpId, credentialId, deleted },
          deleted ? `Large blob of ${credentialId} deleted.` : `${credentialId} had no large blob.`,
        );
        return;
      }
      const data = blob as Uint8Array;
      await inCliWords(`fido2 large-blob ${action}`, () =>
        fido2.largeBlobs.putBlob(key, data, {
          token,
          compression: values.zlib ? 'zlib' : 'deflate-raw',
          ...opts,
        }),
      );
      ctx.out.result(
        { ok: true, rpId, credentialId, bytes: data.length, compression: values.zlib ? 'zlib' : 'deflate-raw' },
        `Large blob of ${credentialId} stored (${data.length} bytes).`,
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

  bio: {
    options: ['pin', 'wait', 'simulate-user', 'sample-timeout'],
    operands: { min: 1, max: 3, names: 'info | enroll | list | rename TEMPLATE_ID NAME | remove TEMPLATE_ID' },
    check(values, [action, ...args]) {
      const want = BIO_ACTIONS[action];
      if (!want)
        throw new UsageError(
          `fido2 bio: expected info, enroll, list, rename TEMPLATE_ID NAME or remove TEMPLATE_ID, got '${action}'`,
        );
      if (args.length !== want.operands)
        throw new UsageError(
          `fido2 bio ${action}: expected ${want.operands === 0 ? 'no operand' : want.names}, got ${args.length} operand(s)`,
        );
      if (args.length > 0 && !/^(?:[0-9a-f]{2})+$/i.test(args[0]))
        throw new UsageError(
          `fido2 bio ${action}: expected TEMPLATE_ID in hex, as 'bandctl fido2 bio list' prints it, got '${args[0]}'`,
        );
      if (action === 'rename' && args[1] === '')
        throw new UsageError('fido2 bio rename: expected NAME to be 1 or more characters, got an empty string');
      if (action !== 'info' && values.pin === undefined)
        throw new UsageError(
          `fido2 bio ${action}: needs --pin PIN (the band's FIDO2 PIN; set one with 'bandctl fido2 pin set NEW')`,
        );
      if (action !== 'enroll' && (values['sample-timeout'] !== undefined || values['simulate-user'] !== undefined))
        throw new UsageError(`fido2 bio ${action}: --sample-timeout and --simulate-user go with 'bio enroll'`);
      if (values['sample-timeout'] !== undefined)
        parseInteger('fido2 bio enroll', values['sample-timeout'], '--sample-timeout', 30_000, 1, 120_000);
      checkPin(`fido2 bio ${action}`, values.pin, '--pin');
    },
    run: bio,
  },
};

/** A CTAP refusal of `fido2 bio`, in bandctl's words; --json's error code stays the CTAP status name. */
class BioRefusal extends Error {
  override readonly name = 'BioRefusal';
  constructor(
    readonly code: string,
    message: string,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

/** What to do about each CTAP status `fido2 bio ACTION` can get, where the general sentence would mislead. */
const BIO_ADVICE: Record<string, Partial<Record<string, string>>> = {
  enroll: {
    CTAP2_ERR_FP_DATABASE_FULL:
      "the band holds its wearer's fingerprint already (one per band); delete user data first with 'bandctl wipe'",
    CTAP2_ERR_USER_ACTION_TIMEOUT:
      'nobody touched the sensor in time, so the band ended the enrollment; run the command again and touch the sensor when asked (or raise --sample-timeout)',
    CTAP2_ERR_OPERATION_DENIED:
      'the band refused or ended the enrollment: it must be unenrolled, on the wrist and not enrolling with its setup code, and stay on the wrist until it is done',
    CTAP2_ERR_KEEPALIVE_CANCEL: 'the enrollment was cancelled; nothing was stored, run the command again',
  },
  remove: {
    CTAP2_ERR_OPERATION_DENIED:
      "that fingerprint belongs to a directory user enrolled with the band's setup code; it goes only with delete user data ('bandctl wipe')",
    CTAP2_ERR_INVALID_OPTION: "the band holds no fingerprint with that id; see 'bandctl fido2 bio list --pin PIN'",
  },
  rename: {
    CTAP2_ERR_INVALID_OPTION: "the band holds no fingerprint with that id; see 'bandctl fido2 bio list --pin PIN'",
    CTAP1_ERR_INVALID_LENGTH: `a fingerprint name is 1 to ${MAX_LABEL_CHARS} characters (it is the band's label)`,
    CTAP1_ERR_INVALID_PARAMETER:
      "a fingerprint name is the band's label: letters A-Z, digits, space and ASCII punctuation",
  },
};

const BIO_ACTIONS: Record<string, { operands: number; names: string }> = {
  info: { operands: 0, names: '' },
  enroll: { operands: 0, names: '' },
  list: { operands: 0, names: '' },
  rename: { operands: 2, names: 'TEMPLATE_ID NAME' },
  remove: { operands: 1, names: 'TEMPLATE_ID' },
};

const hexId = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** `fido2 bio enroll`: each time the band asks for a sample (KEEPALIVE UPNEEDED) the person touches the sensor. */
async function bioEnroll(session: Session, token: PinUvAuthToken): Promise<void> {
  const { ctx, band, fido2, values } = session;
  const person = personFor(ctx, band, values['simulate-user']);
  const info = await fido2.bio.sensorInfo({ timeoutMs: ctx.global.timeoutMs });
  const required = info.maxCaptureSamplesRequiredForEnroll;
  if (values['simulate-user']) {
    const state = await band.getState({ timeoutMs: ctx.global.timeoutMs });
    if (!state.onWrist) await person.instruct({ kind: 'wear-band' });
  }
  const samples: EnrollSample[] = [];
  let last: EnrollSample | undefined;
  let touchFailed: Error | undefined;
  let asked = false;
  const sampleTimeoutMs =
    values['sample-timeout'] === undefined
      ? undefined
      : parseInteger('fido2 bio enroll', values['sample-timeout'], '--sample-timeout', 30_000, 1, 120_000);
  const templateId = await fido2.bio
    .enroll(token, {
      ...(sampleTimeoutMs !== undefined ? { sampleTimeoutMs } : {}),
      // The band waits for the touch on its own clock; bandctl waits as long as the band may.
      timeoutMs: Math.max(session.waitMs, (sampleTimeoutMs ?? 30_000) + 5_000),
      onKeepalive: (status) => {
        if (status !== KeepaliveStatus.UPNEEDED || asked) return;
        asked = true;
        person
          .instruct({
            kind: 'touch-sensor',
            goodTouches: last ? required - last.remaining : 0,
            touchesRequired: required,
            lastRejected: last !== undefined && !last.good,
          })
          .catch((error: Error) => (touchFailed = error));
      },
      onSample: (sample) => {
        asked = false;
        last = sample;
        samples.push(sample);
        ctx.out.progress(
          sample.good
            ? `sample ${samples.length}: good, ${sample.remaining} more to go`
            : `sample ${samples.length}: not usable (${sample.statusName}); lift the finger and touch again`,
        );
      },
    })
    .catch((error: unknown) => {
      if (touchFailed)
        throw new Error(
          `the simulated user could not touch the sensor (${touchFailed.message}); start the band with --debug-link`,
          { cause: touchFailed },
        );
      throw error;
    });
  const state = await band.getState({ timeoutMs: ctx.global.timeoutMs });
  ctx.out.result(
    {
      ok: true,
      templateId: hexId(templateId),
      userName: state.userName,
      localUser: state.localUser,
      samples: samples.map((s) => ({ status: s.status, statusName: s.statusName, remaining: s.remaining })),
    },
    [
      `Fingerprint enrolled: template ${hexId(templateId)} (${samples.length} samples).`,
      `The band holds the local user ${state.userName}; authenticate on the band (touch the sensor) to use it.`,
    ],
  );
}

async function bio(session: Session, [action, ...args]: string[]): Promise<void> {
  const { ctx, fido2 } = session;
  const opts = { timeoutMs: ctx.global.timeoutMs };
  if (action === 'info') {
    const info = await fido2.bio.sensorInfo(opts);
    ctx.out.result({ ok: true, ...info }, [
      `modality          ${info.modality === 1 ? 'fingerprint' : info.modality}`,
      `kind              ${info.fingerprintKind === 1 ? 'touch' : info.fingerprintKind === 2 ? 'swipe' : info.fingerprintKind}`,
      `samples to enroll ${info.maxCaptureSamplesRequiredForEnroll}`,
      `name length       ${info.maxTemplateFriendlyName ?? '-'} bytes`,
    ]);
    return;
  }
  const token = (await pinToken(session, Permission.BIO_ENROLLMENT))!;
  try {
    switch (action) {
      case 'enroll':
        return await bioEnroll(session, token);
      case 'list': {
        const templates = await fido2.bio.enumerate(token, opts);
        const rows = templates.map((t) => ({ templateId: hexId(t.templateId), name: t.friendlyName ?? '' }));
        ctx.out.result(
          { ok: true, templates: rows },
          rows.length === 0 ? 'No fingerprint is enrolled.' : rows.map((r) => `${r.templateId}  ${r.name}`),
        );
        return;
      }
      case 'rename': {
        await fido2.bio.rename(token, Buffer.from(args[0], 'hex'), args[1], opts);
        const renamed = (await fido2.bio.enumerate(token, opts)).find((t) => hexId(t.templateId) === args[0]);
        const name = renamed?.friendlyName ?? args[1];
        ctx.out.result({ ok: true, templateId: args[0], name }, `Fingerprint ${args[0]} is now named ${name}.`);
        return;
      }
      case 'remove':
        await fido2.bio.remove(token, Buffer.from(args[0], 'hex'), opts);
        ctx.out.result({ ok: true, templateId: args[0] }, `Fingerprint ${args[0]} removed.`);
        return;
    }
  } catch (error) {
    const advice = error instanceof CtapError ? BIO_ADVICE[action]?.[error.code] : undefined;
    if (advice)
      throw new BioRefusal((error as CtapError).code, `${advice} (${(error as CtapError).code})`, { cause: error });
    throw error;
  }
}

/** Subcommands that need the wearer's presence, so the band must be worn and authenticated first. */
const NEEDS_WEARER = new Set(['make-credential', 'get-assertion', 'config', 'reset', 'large-blob']);

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
  summary:
    "the band's FIDO2 authenticator: info, make-credential, get-assertion, credentials, pin, config, reset, bio, large-blob",
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
