import { AuthDataFlag, buildAuthData } from './auth-data.js';
import type { CborInput, CborMap } from '../../proto/ctap2/canonical-cbor.js';
import { credProtectAllows } from '../../proto/ctap2/extensions/cred-protect.js';
import { GetAssertionRequest, GetAssertionResponse } from '../../proto/ctap2/get-assertion.js';
import { CeremonyOptions } from '../../proto/ctap2/get-info.js';
import { encodeMembers } from '../../proto/ctap2/members.js';
import { PUBLIC_KEY_CREDENTIAL_TYPE, PublicKeyCredentialDescriptor } from '../../proto/ctap2/webauthn-entities.js';
import type { CommandContext } from './command-context.js';
import { credentialIdsOf } from './credential-descriptor.js';
import type { Credential } from './credentials.js';
import { CtapStatus, fail } from './ctap-failure.js';
import { getAssertionExtensions, getAssertionOutputs } from './extension-processing.js';
import { answerZeroLengthProbe, protocolFor } from './pin-uv-auth-param.js';
import { Permission } from '../../proto/ctap2/client-pin.js';
import { parseRequestMembers } from '../../proto/ctap2/ctap-failure.js';
import { bytesEqual } from './bytes.js';
import { sha256 } from './sha256.js';
import { userEntityResponse } from './user-entity.js';
import { requireUserPresence } from './user-presence.js';
import { verifyUser } from './user-verification.js';
import { STATEFUL_COMMAND_TIMEOUT_MS, type PendingAssertions } from './volatile-state.js';

const WHERE = 'authenticatorGetAssertion';

/**
 * Signs one assertion. The signature counter is global (one fido2/sign-count for every credential): one flash
 * record instead of one per credential, at the price of letting RPs see that the band was used elsewhere in between.
 */
function assertion(
  c: CommandContext,
  pending: Omit<PendingAssertions, 'kind' | 'remaining'>,
  credential: Credential,
  numberOfCredentials: number | undefined,
): CborInput {
  const userVerified = (pending.flags & AuthDataFlag.UV) !== 0;
  const { outputs: extensions, response: extensionResponse } = getAssertionOutputs(pending.extensions, {
    userVerified,
    credential: { credProtect: credential.credProtect, stored: new Map(credential.resident?.extensions ?? []) },
    credRandom: (withUv) => c.credentials.credRandom(credential, withUv),
    random: (n) => c.env.random(n),
  });
  const { value: signCount, put } = c.store.nextSignCount();
  const authData = buildAuthData({ rpIdHash: pending.rpIdHash, flags: pending.flags, signCount, extensions });
  const signed = new Uint8Array(authData.length + pending.clientDataHash.length);
  signed.set(authData, 0);
  signed.set(pending.clientDataHash, authData.length);
  const signature = credential.key.sign(signed);
  c.store.commit({ put });
  return encodeMembers(GetAssertionResponse, {
    credential: encodeMembers(PublicKeyCredentialDescriptor, {
      id: credential.credentialId,
      type: PUBLIC_KEY_CREDENTIAL_TYPE,
    }),
    authData,
    signature,
    // Only discoverable credentials carry a user; names only to a verified user (§6.2.2 step 12).
    user: credential.resident === undefined ? undefined : userEntityResponse(credential.resident.user, userVerified),
    numberOfCredentials,
    largeBlobKey: extensionResponse.largeBlobKey,
  });
}

/** authenticatorGetAssertion (CTAP 2.1 §6.2.2). */
export async function getAssertion(c: CommandContext, params: CborMap): Promise<CborInput> {
  const {
    rpId,
    clientDataHash,
    allowList: allowListValue,
    extensions,
    options: optionsMap,
    pinUvAuthParam,
    pinUvAuthProtocol: protocolVersion,
  } = parseRequestMembers(GetAssertionRequest, params, WHERE);
  const allowList = allowListValue === undefined ? undefined : credentialIdsOf(allowListValue, `${WHERE} allowList`);
  const options = optionsMap === undefined ? {} : parseRequestMembers(CeremonyOptions, optionsMap, `${WHERE} options`);
  const rkOption = options.rk;
  const up = options.up ?? true;
  // alwaysUv (§6.11.2; §6.1.2 / §6.2.2 step 6): without a pinUvAuthParam the band performs its built-in UV as if
  // the platform had asked for it.
  const uv = (options.uv ?? false) || (pinUvAuthParam === undefined && c.store.alwaysUv());

  // Steps 1-2.
  if (pinUvAuthParam !== undefined && pinUvAuthParam.length === 0) await answerZeroLengthProbe(c);
  const protocol = pinUvAuthParam === undefined ? undefined : protocolFor(protocolVersion, WHERE);
  if (!c.env.userEnrolled())
    fail(
      CtapStatus.CTAP2_ERR_OPERATION_DENIED,
      'the band holds no enrolled user; its credentials are unusable until it is enrolled',
    );
  // Step 4.
  if (rkOption !== undefined)
    fail(CtapStatus.CTAP2_ERR_UNSUPPORTED_OPTION, 'the "rk" option has no meaning for getAssertion');
  // Extension inputs are checked before user verification (hmac-secret refuses up=false here).
  const requestedExtensions = getAssertionExtensions(extensions, WHERE, { up });
  // Step 6.
  const userVerified = verifyUser(c, {
    pinUvAuth: protocol === undefined || pinUvAuthParam === undefined ? undefined : { protocol, param: pinUvAuthParam },
    uvOption: uv,
    clientDataHash,
    rpId,
    permission: Permission.GET_ASSERTION,
    where: WHERE,
  });
  const preparedExtensions = requestedExtensions.prepare(c, { up, userVerified });

  // Step 7. An empty allowList names nothing, so it is treated as absent (discoverable credentials are used).
  const rpIdHash = sha256(rpId);
  const viaAllowList = allowList !== undefined && allowList.length > 0;
  const applicable: Credential[] = [];
  if (viaAllowList) {
    for (const id of allowList) {
      if (applicable.some((known) => bytesEqual(known.credentialId, id))) continue;
      const credential = c.credentials.find(rpIdHash, id);
      if (credential !== undefined && credProtectAllows(credential.credProtect, userVerified, true))
        applicable.push(credential);
    }
  } else {
    for (const record of c.credentials.residentForRp(rpIdHash)) {
      const credential = c.credentials.find(rpIdHash, record.credentialId);
      if (credential !== undefined && credProtectAllows(credential.credProtect, userVerified, false))
        applicable.push(credential);
    }
  }
  if (applicable.length === 0)
    fail(
      CtapStatus.CTAP2_ERR_NO_CREDENTIALS,
      `this band holds no usable credential for ${rpId}${viaAllowList ? ' in the allowList' : ''}`,
    );

  // Step 9.
  let flags = userVerified ? AuthDataFlag.UV : 0;
  if (up) {
    await requireUserPresence(c.env, c.device, { purpose: 'getAssertion', rpId });
    c.volatile.token.consumeAfterUserPresence();
    flags |= AuthDataFlag.UP;
  }

  const pending = { rpId, rpIdHash, clientDataHash, flags, extensions: preparedExtensions };
  // Step 11: with an allowList any one applicable credential answers, and there is no getNextAssertion.
  if (viaAllowList) return assertion(c, pending, applicable[0], undefined);
  // Step 12: newest first; the rest wait for getNextAssertion.
  const [first, ...rest] = applicable;
  const response = assertion(c, pending, first, applicable.length > 1 ? applicable.length : undefined);
  if (rest.length > 0) {
    c.volatile.stateful = {
      kind: 'getAssertion',
      ...pending,
      remaining: rest.map((credential) => credential.credentialId),
      epoch: c.store.epoch(),
      expiresAt: c.env.now() + STATEFUL_COMMAND_TIMEOUT_MS,
    };
  }
  return response;
}

/** authenticatorGetNextAssertion (§6.3): the next credential of the last getAssertion, within 30 s. */
export function getNextAssertion(c: CommandContext): CborInput {
  const state = c.volatile.stateful;
  if (
    state === undefined ||
    state.kind !== 'getAssertion' ||
    state.epoch !== c.store.epoch() ||
    c.env.now() >= state.expiresAt
  ) {
    c.volatile.stateful = undefined;
    fail(
      CtapStatus.CTAP2_ERR_NOT_ALLOWED,
      'getNextAssertion must directly follow a getAssertion that reported numberOfCredentials > 1, within 30 s',
    );
  }
  while (state.remaining.length > 0) {
    const id = state.remaining.shift() as Uint8Array;
    // A credential deleted since getAssertion is skipped rather than resurrected.
    const credential = c.credentials.find(state.rpIdHash, id);
    if (credential === undefined) continue;
    state.expiresAt = c.env.now() + STATEFUL_COMMAND_TIMEOUT_MS;
    if (state.remaining.length === 0) c.volatile.stateful = undefined;
    return assertion(c, state, credential, undefined);
  }
  c.volatile.stateful = undefined;
  fail(CtapStatus.CTAP2_ERR_NOT_ALLOWED, 'no credentials are left to return; call getAssertion again');
}
