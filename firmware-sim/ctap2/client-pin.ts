import { timingSafeEqual } from 'node:crypto';
import type { CborInput, CborMap, CborValue } from '../../proto/ctap2/canonical-cbor.js';
import { MAX_PIN_BYTES, PADDED_PIN_BYTES } from '../../proto/limits.js';
import { ClientPinRequest, ClientPinResponse, ClientPinSubCommand, Permission } from '../../proto/ctap2/client-pin.js';
import { encodeMembers, type Decoded } from '../../proto/ctap2/members.js';
import type { CommandContext } from './command-context.js';
import { Cose } from '../../proto/ctap2/cose.js';
import { coseEc2PublicKey, parsePlatformKeyAgreement } from './cose-key.js';
import { CtapStatus, fail } from './ctap-failure.js';
import { Fido2Store, MAX_PIN_RETRIES, StoreKeys } from './fido2-store.js';
import { SENSOR_PERMISSIONS, SUPPORTED_PERMISSIONS } from './pin-uv-auth-token.js';
import { pinUvAuthProtocol, type PinUvAuthProtocol } from './pin-uv-protocol.js';
import { parseRequestMembers } from '../../proto/ctap2/ctap-failure.js';
import { sha256 } from './sha256.js';

const PADDED_PIN_LENGTH = PADDED_PIN_BYTES;
/** §6.5.5.7.2: after 3 consecutive mismatches PIN entry needs a power cycle (CTAP2_ERR_PIN_AUTH_BLOCKED). */
const MAX_CONSECUTIVE_MISMATCHES = 3;
/**
 * The band's built-in UV is the wrist state (fingerprint + liveness), whose attempts and lockout belong to the
 * band's matcher, not to this authenticator; getUVRetries therefore reports the full count while a user is
 * enrolled and 0 (no UV possible) when the band is wiped.
 */
const MAX_UV_RETRIES = 8;

const WHERE = 'authenticatorClientPIN';

type Params = Decoded<typeof ClientPinRequest>;

/** A member this sub-command needs (§6.5.5: which members each sub-command takes). */
function required<K extends keyof Params>(params: Params, name: K): NonNullable<Params[K]> {
  const value = params[name];
  if (value === undefined) {
    fail(
      CtapStatus.CTAP2_ERR_MISSING_PARAMETER,
      `${WHERE} member 0x${ClientPinRequest[name].key.toString(16).padStart(2, '0')} (${name}) is required but absent`,
    );
  }
  return value;
}

function keyAgreementParam(params: Params): CborValue {
  return required(params, 'keyAgreement');
}

/** decapsulate(): ECDH with the platform's key, then the protocol's KDF. */
function sharedSecret(c: CommandContext, protocol: PinUvAuthProtocol, params: Params): Uint8Array {
  const peer = parsePlatformKeyAgreement(keyAgreementParam(params), `${WHERE} keyAgreement`);
  const z = c.volatile.keyAgreementKey(protocol.version).sharedSecret(peer.x, peer.y);
  if (z === undefined) fail(CtapStatus.CTAP1_ERR_INVALID_PARAMETER, `${WHERE} keyAgreement is not a point on P-256`);
  return protocol.kdf(z);
}

/** Decrypts and checks a new PIN: 64 padded bytes, at least minPINLength code points, at most 63 bytes, UTF-8. */
function newPinFrom(
  protocol: PinUvAuthProtocol,
  secret: Uint8Array,
  newPinEnc: Uint8Array,
  minPinLength: number,
): { pin: Uint8Array; codePoints: number } {
  const padded = protocol.decrypt(secret, newPinEnc);
  if (padded === undefined || padded.length !== PADDED_PIN_LENGTH) {
    fail(
      CtapStatus.CTAP1_ERR_INVALID_PARAMETER,
      `newPinEnc must decrypt to ${PADDED_PIN_LENGTH} bytes (the PIN padded with 0x00); got ${padded?.length ?? 'an undecryptable length'}`,
    );
  }
  let end = padded.length;
  while (end > 0 && padded[end - 1] === 0) end--;
  const pin = padded.subarray(0, end);
  let codePoints: number;
  try {
    codePoints = [...new TextDecoder('utf-8', { fatal: true }).decode(pin)].length;
  } catch {
    fail(CtapStatus.CTAP2_ERR_PIN_POLICY_VIOLATION, 'the new PIN is not valid UTF-8');
  }
  if (codePoints < minPinLength || pin.length >= PADDED_PIN_LENGTH) {
    fail(
      CtapStatus.CTAP2_ERR_PIN_POLICY_VIOLATION,
      `a PIN needs ${minPinLength} to ${MAX_PIN_BYTES} bytes (at least ${minPinLength} characters); got ${codePoints} characters in ${pin.length} bytes`,
    );
  }
  return { pin: new Uint8Array(pin), codePoints };
}

function pinHashOf(pin: Uint8Array): Uint8Array {
  return sha256(pin).subarray(0, 16);
}

/**
 * Checks pinHashEnc against the stored PIN hash (§6.5.5.5 steps shared by changePIN and the token sub-commands).
 * The retry counter is decremented and committed before comparing, so cutting power mid-check never refunds an
 * attempt; a match commits it back to the maximum.
 */
function checkPinHash(
  c: CommandContext,
  protocol: PinUvAuthProtocol,
  secret: Uint8Array,
  pinHashEnc: Uint8Array,
): void {
  const stored = c.store.pinHash();
  if (stored === undefined) fail(CtapStatus.CTAP2_ERR_PIN_NOT_SET, 'no PIN is set; set one with setPIN first');
  const retries = c.store.pinRetries();
  if (retries === 0)
    fail(
      CtapStatus.CTAP2_ERR_PIN_BLOCKED,
      'the PIN is blocked after too many wrong PINs; only authenticatorReset recovers the band',
    );
  if (c.volatile.consecutivePinMismatches >= MAX_CONSECUTIVE_MISMATCHES) {
    fail(
      CtapStatus.CTAP2_ERR_PIN_AUTH_BLOCKED,
      `${MAX_CONSECUTIVE_MISMATCHES} wrong PINs in a row: power-cycle the band before trying again`,
    );
  }
  c.store.commit({ put: Fido2Store.retriesPut(retries - 1) });
  const given = protocol.decrypt(secret, pinHashEnc);
  if (given === undefined || given.length !== 16 || !timingSafeEqual(given, stored)) {
    // A fresh key agreement key forces the platform to start over, as §6.5.5.5 asks after a mismatch.
    c.volatile.regenerateKeyAgreementKey(protocol.version);
    c.volatile.consecutivePinMismatches += 1;
    if (retries - 1 === 0)
      fail(CtapStatus.CTAP2_ERR_PIN_BLOCKED, 'wrong PIN, and that was the last retry: the PIN is now blocked');
    if (c.volatile.consecutivePinMismatches >= MAX_CONSECUTIVE_MISMATCHES) {
      fail(
        CtapStatus.CTAP2_ERR_PIN_AUTH_BLOCKED,
        `wrong PIN ${MAX_CONSECUTIVE_MISMATCHES} times in a row: power-cycle the band before trying again`,
      );
    }
    fail(CtapStatus.CTAP2_ERR_PIN_INVALID, `wrong PIN; ${retries - 1} retries left`);
  }
  c.volatile.consecutivePinMismatches = 0;
  c.store.commit({ put: Fido2Store.retriesPut(MAX_PIN_RETRIES) });
}

function permissionsFor(c: CommandContext, params: Params): { permissions: number; rpId: string | undefined } {
  const supported = SUPPORTED_PERMISSIONS | (c.env.bio === undefined ? 0 : SENSOR_PERMISSIONS);
  const permissions = required(params, 'permissions');
  const rpId = params.rpId;
  if (permissions === 0)
    fail(
      CtapStatus.CTAP1_ERR_INVALID_PARAMETER,
      'permissions must name at least one permission (mc 0x01, ga 0x02, cm 0x04, lbw 0x10, acfg 0x20)',
    );
  if ((permissions & (Permission.MAKE_CREDENTIAL | Permission.GET_ASSERTION)) !== 0 && rpId === undefined) {
    fail(
      CtapStatus.CTAP1_ERR_INVALID_PARAMETER,
      'the mc and ga permissions need an rpId (member 0x0A) to bind the token to',
    );
  }
  if ((permissions & ~supported) !== 0) {
    fail(
      CtapStatus.CTAP2_ERR_UNAUTHORIZED_PERMISSION,
      `permissions 0x${(permissions & ~supported).toString(16)} are not supported by this band; it grants mc, ga, cm, lbw, acfg${c.env.bio === undefined ? '' : ' and be'}`,
    );
  }
  return { permissions, rpId };
}

/** §6.5.5.7 step 7: after a correct PIN, no token while authenticatorConfig forced a PIN change. */
function refuseWhileForcedChange(c: CommandContext): void {
  if (c.store.forcePinChange())
    fail(
      CtapStatus.CTAP2_ERR_PIN_POLICY_VIOLATION,
      'the PIN must be changed first (authenticatorConfig forced a change); use changePIN',
    );
}

/** Issues a fresh token and returns it encrypted for the platform. */
function issueToken(
  c: CommandContext,
  protocol: PinUvAuthProtocol,
  secret: Uint8Array,
  permissions: number,
  rpId: string | undefined,
): CborInput {
  c.volatile.resetPinUvAuthTokens();
  c.volatile.token.begin(c.env.now(), c.store.epoch(), permissions, rpId);
  const token = c.volatile.pinUvAuthToken(protocol.version);
  return encodeMembers(ClientPinResponse, { pinUvAuthToken: protocol.encrypt(secret, token, (n) => c.env.random(n)) });
}

export function clientPin(c: CommandContext, request: CborMap): CborInput | undefined {
  const params = parseRequestMembers(ClientPinRequest, request, WHERE);
  const subCommand = params.subCommand;
  const needsProtocol =
    subCommand !== ClientPinSubCommand.GET_PIN_RETRIES && subCommand !== ClientPinSubCommand.GET_UV_RETRIES;
  const version = needsProtocol ? required(params, 'pinUvAuthProtocol') : params.pinUvAuthProtocol;
  let protocol: PinUvAuthProtocol | undefined;
  if (version !== undefined) {
    protocol = pinUvAuthProtocol(version);
    if (protocol === undefined)
      fail(CtapStatus.CTAP1_ERR_INVALID_PARAMETER, `pinUvAuthProtocol ${version} is not supported; use 2 or 1`);
  }
  const p = protocol as PinUvAuthProtocol;

  switch (subCommand) {
    case ClientPinSubCommand.GET_PIN_RETRIES:
      return encodeMembers(ClientPinResponse, {
        pinRetries: c.store.pinRetries(),
        powerCycleState: c.volatile.consecutivePinMismatches >= MAX_CONSECUTIVE_MISMATCHES,
      });

    case ClientPinSubCommand.GET_KEY_AGREEMENT:
      return encodeMembers(ClientPinResponse, {
        keyAgreement: coseEc2PublicKey(c.volatile.keyAgreementKey(p.version), Cose.ALG_ECDH_ES_HKDF_256),
      });

    case ClientPinSubCommand.SET_PIN: {
      keyAgreementParam(params);
      const pinUvAuthParam = required(params, 'pinUvAuthParam');
      const newPinEnc = required(params, 'newPinEnc');
      if (c.store.pinHash() !== undefined)
        fail(CtapStatus.CTAP2_ERR_PIN_AUTH_INVALID, 'a PIN is already set; use changePIN');
      const secret = sharedSecret(c, p, params);
      if (!p.verify(secret, newPinEnc, pinUvAuthParam))
        fail(
          CtapStatus.CTAP2_ERR_PIN_AUTH_INVALID,
          'pinUvAuthParam does not authenticate newPinEnc under the shared secret',
        );
      const { pin, codePoints } = newPinFrom(p, secret, newPinEnc, c.store.minPinLength());
      const { put: masterPut } = c.store.masterForWrite();
      c.store.commit({
        put: {
          ...masterPut,
          [StoreKeys.pinHash]: pinHashOf(pin),
          ...Fido2Store.pinLengthPut(codePoints),
          ...Fido2Store.retriesPut(MAX_PIN_RETRIES),
        },
      });
      return undefined;
    }

    case ClientPinSubCommand.CHANGE_PIN: {
      keyAgreementParam(params);
      const pinUvAuthParam = required(params, 'pinUvAuthParam');
      const newPinEnc = required(params, 'newPinEnc');
      const pinHashEnc = required(params, 'pinHashEnc');
      if (c.store.pinHash() === undefined) fail(CtapStatus.CTAP2_ERR_PIN_NOT_SET, 'no PIN is set; use setPIN');
      if (c.store.pinRetries() === 0)
        fail(CtapStatus.CTAP2_ERR_PIN_BLOCKED, 'the PIN is blocked; only authenticatorReset recovers the band');
      const secret = sharedSecret(c, p, params);
      const message = new Uint8Array(newPinEnc.length + pinHashEnc.length);
      message.set(newPinEnc, 0);
      message.set(pinHashEnc, newPinEnc.length);
      if (!p.verify(secret, message, pinUvAuthParam))
        fail(CtapStatus.CTAP2_ERR_PIN_AUTH_INVALID, 'pinUvAuthParam does not authenticate newPinEnc || pinHashEnc');
      checkPinHash(c, p, secret, pinHashEnc);
      const { pin, codePoints } = newPinFrom(p, secret, newPinEnc, c.store.minPinLength());
      // A changed PIN satisfies forceChangePin (§6.5.5.6 / §6.11.4); both land in one commit.
      c.store.commit({
        put: {
          [StoreKeys.pinHash]: pinHashOf(pin),
          ...Fido2Store.pinLengthPut(codePoints),
          ...Fido2Store.retriesPut(MAX_PIN_RETRIES),
        },
        del: [StoreKeys.forcePinChange],
      });
      c.volatile.resetPinUvAuthTokens();
      return undefined;
    }

    case ClientPinSubCommand.GET_PIN_TOKEN: {
      keyAgreementParam(params);
      const pinHashEnc = required(params, 'pinHashEnc');
      if (params.permissions !== undefined || params.rpId !== undefined) {
        fail(
          CtapStatus.CTAP1_ERR_INVALID_PARAMETER,
          'getPinToken takes no permissions or rpId; use getPinUvAuthTokenUsingPinWithPermissions (0x09)',
        );
      }
      const secret = sharedSecret(c, p, params);
      checkPinHash(c, p, secret, pinHashEnc);
      refuseWhileForcedChange(c);
      // §6.5.5.7.1: the legacy token carries the CTAP 2.0 default permissions.
      return issueToken(c, p, secret, Permission.MAKE_CREDENTIAL | Permission.GET_ASSERTION, undefined);
    }

    case ClientPinSubCommand.GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS: {
      keyAgreementParam(params);
      const pinHashEnc = required(params, 'pinHashEnc');
      const { permissions, rpId } = permissionsFor(c, params);
      const secret = sharedSecret(c, p, params);
      checkPinHash(c, p, secret, pinHashEnc);
      refuseWhileForcedChange(c);
      return issueToken(c, p, secret, permissions, rpId);
    }

    case ClientPinSubCommand.GET_PIN_UV_AUTH_TOKEN_USING_UV_WITH_PERMISSIONS: {
      keyAgreementParam(params);
      const { permissions, rpId } = permissionsFor(c, params);
      if (!c.env.userEnrolled())
        fail(
          CtapStatus.CTAP2_ERR_NOT_ALLOWED,
          'built-in user verification is not configured: the band holds no enrolled user',
        );
      const secret = sharedSecret(c, p, params);
      if (!c.env.userVerified()) {
        fail(
          CtapStatus.CTAP2_ERR_UV_INVALID,
          'the band is not authenticated on the wrist; authenticate (finger + wrist) and retry',
        );
      }
      // The token's epoch must name real FIDO2 state, so that a wipe right after still ends it.
      const { put } = c.store.masterForWrite();
      if (Object.keys(put).length > 0) c.store.commit({ put });
      return issueToken(c, p, secret, permissions, rpId);
    }

    case ClientPinSubCommand.GET_UV_RETRIES:
      return encodeMembers(ClientPinResponse, { uvRetries: c.env.userEnrolled() ? MAX_UV_RETRIES : 0 });

    default:
      fail(
        CtapStatus.CTAP2_ERR_INVALID_SUBCOMMAND,
        `clientPIN sub-command 0x${subCommand.toString(16)} is not supported`,
      );
  }
}
