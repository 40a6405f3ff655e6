import type { CommandContext } from './command-context.js';
import { CtapStatus, fail } from './ctap-failure.js';
import { pinUvAuthProtocol, type PinUvAuthProtocol } from './pin-uv-protocol.js';
import { requireUserPresence } from './user-presence.js';

/**
 * CTAP 2.1 §6.1.2 / §6.2.2 step 1: a zero-length pinUvAuthParam is a CTAP 2.0 platform asking the user to pick an
 * authenticator. After the touch the answer says whether a PIN is set.
 */
export async function answerZeroLengthProbe(c: CommandContext): Promise<never> {
  await requireUserPresence(c.env, c.device, { purpose: 'selection' });
  if (c.store.pinHash() === undefined)
    fail(CtapStatus.CTAP2_ERR_PIN_NOT_SET, 'zero-length pinUvAuthParam probe answered: no PIN is set');
  fail(
    CtapStatus.CTAP2_ERR_PIN_INVALID,
    'zero-length pinUvAuthParam probe answered: a PIN is set, get a pinUvAuthToken',
  );
}

/** §6.1.2 step 2: the protocol must accompany a pinUvAuthParam and be one this authenticator speaks. */
export function protocolFor(version: number | undefined, where: string): PinUvAuthProtocol {
  if (version === undefined)
    fail(CtapStatus.CTAP2_ERR_MISSING_PARAMETER, `${where}: pinUvAuthParam given without pinUvAuthProtocol`);
  const protocol = pinUvAuthProtocol(version);
  if (protocol === undefined)
    fail(CtapStatus.CTAP1_ERR_INVALID_PARAMETER, `${where}: pinUvAuthProtocol ${version} is not supported; use 2 or 1`);
  return protocol;
}

/**
 * verify(pinUvAuthToken, message, pinUvAuthParam) plus the permission check. Every failure is
 * CTAP2_ERR_PIN_AUTH_INVALID, as §6.1.2 step 11.1, §6.2.2 step 6.1 and §6.8 prescribe; the RP ID rule differs per
 * command and is left to the caller.
 */
export function verifyPinUvAuthParam(
  c: CommandContext,
  protocol: PinUvAuthProtocol,
  message: Uint8Array,
  pinUvAuthParam: Uint8Array,
  permission: number,
  where: string,
): void {
  const token = c.volatile.token;
  if (!token.usable(c.env.now(), c.store.epoch())) {
    fail(
      CtapStatus.CTAP2_ERR_PIN_AUTH_INVALID,
      `${where}: no pinUvAuthToken is in use (expired, never issued, or issued before a reset or wipe); get a new one`,
    );
  }
  if (!protocol.verify(c.volatile.pinUvAuthToken(protocol.version), message, pinUvAuthParam)) {
    fail(
      CtapStatus.CTAP2_ERR_PIN_AUTH_INVALID,
      `${where}: pinUvAuthParam does not verify under the protocol ${protocol.version} token`,
    );
  }
  if (!token.hasPermission(permission)) {
    fail(
      CtapStatus.CTAP2_ERR_PIN_AUTH_INVALID,
      `${where}: the pinUvAuthToken lacks permission 0x${permission.toString(16)}; request it with getPinUvAuthTokenUsingPinWithPermissions`,
    );
  }
  token.markUsed();
}

/** makeCredential/getAssertion: the token's RP ID must match, or becomes this one (§6.1.2 step 11.1.3-4). */
export function bindTokenToRp(c: CommandContext, rpId: string, where: string): void {
  const token = c.volatile.token;
  const bound = token.permissionsRpId();
  if (bound !== undefined && bound !== rpId) {
    fail(
      CtapStatus.CTAP2_ERR_PIN_AUTH_INVALID,
      `${where}: the pinUvAuthToken is bound to RP ${JSON.stringify(bound)}, not ${JSON.stringify(rpId)}`,
    );
  }
  if (!token.userVerifiedFlag()) {
    fail(
      CtapStatus.CTAP2_ERR_PIN_AUTH_INVALID,
      `${where}: the pinUvAuthToken's user verification was already consumed; get a new token`,
    );
  }
  token.bindRpId(rpId);
}
