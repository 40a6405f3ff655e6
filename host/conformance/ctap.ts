import { createHash, createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import { Command } from '../../transport/index.js';
import {
  CborError,
  decodeCanonical,
  encodeCanonical,
  parseAuthenticatorData,
  type AuthenticatorData,
  type CborInput,
  type CborMap,
  type CborValue,
} from '../fido2/index.js';
import {
  cborTypeName,
  Cose,
  CoseEc2Key,
  Ctap2Command,
  CtapStatus,
  encodeMembers,
  GetAssertionRequest,
  GetAssertionResponse,
  MakeCredentialRequest,
  MakeCredentialResponse,
  PUBLIC_KEY_CREDENTIAL_TYPE,
  PublicKeyCredentialDescriptor,
  PublicKeyCredentialParameters,
  RpEntity,
  UserEntity,
} from '../../proto/ctap2/index.js';
import { check, waitScreen } from './support.js';
import type { ConformanceContext } from './types.js';
import { Unmet } from './verdicts.js';
import { describeUnit, equalBytes, hex } from './wire.js';

/** CTAP 2.1 §6 command bytes, from the wire contract. */
export { Ctap2Command as Ctap };

/** The §8.2 status bytes the suite checks for, by the short names its requirements use. */
export const Status = {
  OK: CtapStatus.CTAP2_OK,
  INVALID_COMMAND: CtapStatus.CTAP1_ERR_INVALID_COMMAND,
  INVALID_PARAMETER: CtapStatus.CTAP1_ERR_INVALID_PARAMETER,
  INVALID_OPTION: CtapStatus.CTAP2_ERR_INVALID_OPTION,
  INVALID_CBOR: CtapStatus.CTAP2_ERR_INVALID_CBOR,
  KEEPALIVE_CANCEL: CtapStatus.CTAP2_ERR_KEEPALIVE_CANCEL,
  NO_CREDENTIALS: CtapStatus.CTAP2_ERR_NO_CREDENTIALS,
} as const;

export function statusHex(status: number): string {
  return `0x${status.toString(16).padStart(2, '0')}`;
}

export interface CtapReply {
  status: number;
  /** The raw reply: status byte and CBOR. */
  raw: Uint8Array;
  /** The response map (strictly decoded: canonical CTAP2 CBOR or Unmet). */
  map?: CborMap;
}

export const sha256 = (data: Uint8Array | string) => new Uint8Array(createHash('sha256').update(data).digest());

/** A CBOR request on its way: `answered()` turns true when its reply has arrived. */
export interface PendingCtap {
  reply: Promise<Uint8Array>;
  answered(): boolean;
}

/**
 * Sends one authenticatorCBOR request raw and waits for its CBOR reply in the link's log (KEEPALIVEs and band
 * events pass by; they stay in ctx.units for checks). Raw rather than through the client's channel, which would
 * take a CTAPHID ERROR meant for another request as this one's answer. With `onlyCbor`, an ERROR is not taken
 * as the answer either (a check that provokes ERRORs for other requests meanwhile).
 */
export function startCtap(
  ctx: ConformanceContext,
  payload: Uint8Array,
  options: { timeoutMs?: number; onlyCbor?: boolean } = {},
): PendingCtap {
  const after = ctx.units.length;
  let answered = false;
  const reply = (async () => {
    await ctx.transport.send({ command: Command.CBOR, payload });
    const { item } = await ctx.units.waitFor(
      (u) => u.command === Command.CBOR || (!options.onlyCbor && u.command === Command.ERROR),
      {
        after,
        timeoutMs: options.timeoutMs ?? ctx.callTimeoutMs,
        what: `a CBOR reply to CTAP command 0x${(payload[0] ?? 0).toString(16).padStart(2, '0')}`,
        signal: ctx.signal,
      },
    );
    answered = true;
    check(
      item.command === Command.CBOR,
      `a CBOR reply to CTAP command 0x${(payload[0] ?? 0).toString(16).padStart(2, '0')}`,
      describeUnit(item),
    );
    return item.payload;
  })();
  reply.catch(() => undefined);
  return { reply, answered: () => answered };
}

export function ctapRaw(
  ctx: ConformanceContext,
  payload: Uint8Array,
  options: { timeoutMs?: number } = {},
): Promise<Uint8Array> {
  return startCtap(ctx, payload, options).reply;
}

/** Decodes a reply strictly and checks that it re-encodes to the same bytes (CTAP 2.1 §8 canonical CBOR). */
export function parseReply(raw: Uint8Array, operation: string): CtapReply {
  check(raw.length >= 1, `a ${operation} reply with a status byte`, 'an empty reply');
  const status = raw[0];
  if (raw.length === 1) return { status, raw };
  let value;
  try {
    value = decodeCanonical(raw.subarray(1));
  } catch (error) {
    throw new Unmet(
      `the ${operation} response in canonical CTAP2 CBOR`,
      error instanceof CborError ? error.message : String(error),
    );
  }
  check(value instanceof Map, `the ${operation} response to be a CBOR map`, typeof value);
  const again = encodeCanonical(value);
  check(
    equalBytes(again, raw.subarray(1)),
    `the ${operation} response to re-encode to the same bytes`,
    `${hex(raw.subarray(1), 24)} re-encoded as ${hex(again, 24)}`,
  );
  return { status, raw, map: value };
}

export function request(command: number, params?: CborInput): Uint8Array {
  if (params === undefined) return Uint8Array.of(command);
  const body = encodeCanonical(params);
  const out = new Uint8Array(1 + body.length);
  out[0] = command;
  out.set(body, 1);
  return out;
}

export const RP_ID = 'conformance.band-stack.example';

export function makeCredentialRequest(
  options: { rpId?: string; userId?: Uint8Array; clientDataHash?: Uint8Array; enterpriseAttestation?: number } = {},
): { payload: Uint8Array; clientDataHash: Uint8Array } {
  const clientDataHash = options.clientDataHash ?? new Uint8Array(randomBytes(32));
  const userId = options.userId ?? new Uint8Array(randomBytes(16));
  const payload = request(
    Ctap2Command.MAKE_CREDENTIAL,
    encodeMembers(MakeCredentialRequest, {
      clientDataHash,
      rp: encodeMembers(RpEntity, { id: options.rpId ?? RP_ID, name: 'Conformance' }),
      user: encodeMembers(UserEntity, { id: userId, name: 'conformance.user', displayName: 'Conformance User' }),
      pubKeyCredParams: [
        encodeMembers(PublicKeyCredentialParameters, { type: PUBLIC_KEY_CREDENTIAL_TYPE, alg: Cose.ALG_ES256 }),
      ],
      enterpriseAttestation: options.enterpriseAttestation,
    }),
  );
  return { payload, clientDataHash };
}

export function getAssertionRequest(
  credentialId: Uint8Array,
  options: { rpId?: string; clientDataHash?: Uint8Array } = {},
): { payload: Uint8Array; clientDataHash: Uint8Array } {
  const clientDataHash = options.clientDataHash ?? new Uint8Array(randomBytes(32));
  const payload = request(
    Ctap2Command.GET_ASSERTION,
    encodeMembers(GetAssertionRequest, {
      rpId: options.rpId ?? RP_ID,
      clientDataHash,
      allowList: [encodeMembers(PublicKeyCredentialDescriptor, { id: credentialId, type: PUBLIC_KEY_CREDENTIAL_TYPE })],
    }),
  );
  return { payload, clientDataHash };
}

/**
 * Runs a CBOR request that may wait for the user: when the band shows CONFIRM, the rig presses the top button
 * (CTAP 2.1 user presence; on this band, a worn and authenticated wearer's tap). A request answered without
 * asking is fine too.
 */
export async function withPresence(ctx: ConformanceContext, payload: Uint8Array): Promise<Uint8Array> {
  const pending = startCtap(ctx, payload, { timeoutMs: Math.max(ctx.callTimeoutMs, 20_000) });
  await waitScreen(ctx, 'SCREEN_CONFIRM', 'a CBOR request that needs user presence', {
    stop: () => pending.answered(),
  });
  if (!pending.answered()) await ctx.band.debug.press('BUTTON_TOP');
  return pending.reply;
}

/** Waits for the band to show CONFIRM for `pending` (Unmet if it answers without asking). */
export async function awaitConfirm(ctx: ConformanceContext, pending: PendingCtap, what: string): Promise<void> {
  await waitScreen(ctx, 'SCREEN_CONFIRM', what, { stop: () => pending.answered() });
  if (pending.answered()) {
    const raw = await pending.reply;
    throw new Unmet(
      `${what} to wait for the top button (CONFIRM)`,
      `an answer at once, status ${statusHex(raw[0] ?? 0)}`,
    );
  }
}

export interface Credential {
  credentialId: Uint8Array;
  publicKey: KeyObject;
  coseKey: CborMap;
  authData: AuthenticatorData;
  authDataBytes: Uint8Array;
  fmt: string;
  attStmt: CborMap;
  clientDataHash: Uint8Array;
  raw: Uint8Array;
}

/** authenticatorMakeCredential with the wearer's tap; checks only what is needed to use the result. */
export async function makeCredential(
  ctx: ConformanceContext,
  rpId = RP_ID,
  enterpriseAttestation?: number,
): Promise<Credential> {
  const { payload, clientDataHash } = makeCredentialRequest({ rpId, enterpriseAttestation });
  const raw = await withPresence(ctx, payload);
  const reply = parseReply(raw, 'authenticatorMakeCredential');
  check(
    reply.status === Status.OK,
    'authenticatorMakeCredential to succeed (CTAP2_OK)',
    `status ${statusHex(reply.status)}`,
  );
  const map = reply.map;
  check(map !== undefined, 'a makeCredential response map', 'a bare status');
  const fmt = map.get(MakeCredentialResponse.fmt.key);
  const authDataBytes = map.get(MakeCredentialResponse.authData.key);
  const attStmt = map.get(MakeCredentialResponse.attStmt.key);
  check(
    typeof fmt === 'string' && authDataBytes instanceof Uint8Array && attStmt instanceof Map,
    'fmt, authData and attStmt (MakeCredentialResponse members)',
    `keys ${[...map.keys()].join(', ')}`,
  );
  let authData: AuthenticatorData;
  try {
    authData = parseAuthenticatorData(authDataBytes);
  } catch (error) {
    throw new Unmet('well-formed authenticatorData', (error as Error).message);
  }
  const attested = authData.attestedCredentialData;
  check(
    attested !== undefined,
    'attested credential data in authData (AT flag)',
    `flags 0x${authData.flags.raw.toString(16)}`,
  );
  return {
    credentialId: attested.credentialId,
    publicKey: coseKeyObject(attested.publicKeyMap),
    coseKey: attested.publicKeyMap,
    authData,
    authDataBytes,
    fmt,
    attStmt,
    clientDataHash,
    raw,
  };
}

export interface Assertion {
  authData: AuthenticatorData;
  authDataBytes: Uint8Array;
  signature: Uint8Array;
  credentialId?: Uint8Array;
  clientDataHash: Uint8Array;
  raw: Uint8Array;
}

export async function getAssertion(
  ctx: ConformanceContext,
  credentialId: Uint8Array,
  rpId = RP_ID,
): Promise<Assertion> {
  const { payload, clientDataHash } = getAssertionRequest(credentialId, { rpId });
  const raw = await withPresence(ctx, payload);
  const reply = parseReply(raw, 'authenticatorGetAssertion');
  check(
    reply.status === Status.OK,
    'authenticatorGetAssertion to succeed (CTAP2_OK)',
    `status ${statusHex(reply.status)}`,
  );
  const map = reply.map!;
  const descriptor = map.get(GetAssertionResponse.credential.key);
  const authDataBytes = map.get(GetAssertionResponse.authData.key);
  const signature = map.get(GetAssertionResponse.signature.key);
  check(
    authDataBytes instanceof Uint8Array && signature instanceof Uint8Array,
    'authData and signature (GetAssertionResponse members)',
    `keys ${[...map.keys()].join(', ')}`,
  );
  let authData: AuthenticatorData;
  try {
    authData = parseAuthenticatorData(authDataBytes);
  } catch (error) {
    throw new Unmet('well-formed authenticatorData', (error as Error).message);
  }
  const id = descriptor instanceof Map ? descriptor.get(PublicKeyCredentialDescriptor.id.key) : undefined;
  return {
    authData,
    authDataBytes,
    signature,
    credentialId: id instanceof Uint8Array ? id : undefined,
    clientDataHash,
    raw,
  };
}

/** A COSE label's value for a message: the number, or what CBOR type stood there instead. */
function label(value: CborValue | undefined): string {
  if (value === undefined) return 'absent';
  return typeof value === 'number' ? String(value) : `a ${cborTypeName(value)}`;
}

/** A COSE_Key (RFC 9053 EC2, P-256, ES256) as a node:crypto public key; Unmet if it is anything else. */
export function coseKeyObject(cose: CborMap): KeyObject {
  const kty = cose.get(CoseEc2Key.kty.key);
  const alg = cose.get(CoseEc2Key.alg.key);
  const crv = cose.get(CoseEc2Key.crv.key);
  const x = cose.get(CoseEc2Key.x.key);
  const y = cose.get(CoseEc2Key.y.key);
  check(
    kty === Cose.KTY_EC2 && alg === Cose.ALG_ES256 && crv === Cose.CRV_P256,
    'an EC2 P-256 ES256 COSE key (kty 2, alg -7, crv 1)',
    `kty ${label(kty)}, alg ${label(alg)}, crv ${label(crv)}`,
  );
  check(
    x instanceof Uint8Array && y instanceof Uint8Array && x.length === 32 && y.length === 32,
    '32-byte x and y coordinates',
    `${(x as Uint8Array)?.length} and ${(y as Uint8Array)?.length} bytes`,
  );
  try {
    return createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: Buffer.from(x).toString('base64url'),
        y: Buffer.from(y).toString('base64url'),
      },
      format: 'jwk',
    });
  } catch (error) {
    throw new Unmet('a public key on the P-256 curve', (error as Error).message);
  }
}

export function verifies(key: KeyObject, signed: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify('sha256', signed, { key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}

export { concat } from '../../proto/bytes.js';
