import type { CommandContext } from './command-context.js';
import { CtapStatus, fail } from './ctap-failure.js';
import { bindTokenToRp, verifyPinUvAuthParam } from './pin-uv-auth-param.js';
import type { PinUvAuthProtocol } from './pin-uv-protocol.js';

/**
 * §6.1.2 step 11 / §6.2.2 step 6: user verification for makeCredential and getAssertion. A pinUvAuthParam wins over
 * the deprecated "uv" option. The band's built-in UV is its wrist state: authenticated on the wrist means verified.
 * When it is not, a band with a PIN answers CTAP2_ERR_PUAT_REQUIRED (the platform should fall back to the PIN) and
 * one without answers CTAP2_ERR_OPERATION_DENIED. The wrist check is no gesture, so it never stands in for presence.
 * Returns whether the UV flag is earned.
 */
export function verifyUser(
  c: CommandContext,
  request: {
    pinUvAuth: { protocol: PinUvAuthProtocol; param: Uint8Array } | undefined;
    uvOption: boolean;
    clientDataHash: Uint8Array;
    rpId: string;
    permission: number;
    where: string;
  },
): boolean {
  if (request.pinUvAuth !== undefined) {
    verifyPinUvAuthParam(
      c,
      request.pinUvAuth.protocol,
      request.clientDataHash,
      request.pinUvAuth.param,
      request.permission,
      request.where,
    );
    bindTokenToRp(c, request.rpId, request.where);
    return true;
  }
  if (!request.uvOption) return false;
  if (!c.env.userEnrolled())
    fail(
      CtapStatus.CTAP2_ERR_INVALID_OPTION,
      `${request.where}: uv requested but built-in user verification is not configured`,
    );
  if (c.env.userVerified()) return true;
  if (c.store.pinHash() !== undefined) {
    fail(
      CtapStatus.CTAP2_ERR_PUAT_REQUIRED,
      `${request.where}: the band is not authenticated on the wrist; verify with the PIN (pinUvAuthParam) instead`,
    );
  }
  fail(
    CtapStatus.CTAP2_ERR_OPERATION_DENIED,
    `${request.where}: the band is not authenticated on the wrist; authenticate and retry`,
  );
}

/**
 * "Protected by some form of user verification" (CTAP 2.1 §6.10.2 step 5.5, §6.11 step 3): a PIN is set, or the band
 * has built-in UV (an enrolled user), or alwaysUv is on. Such a band takes authenticatorLargeBlobs writes and
 * authenticatorConfig only with a pinUvAuthParam.
 */
export function protectedByUserVerification(c: CommandContext): boolean {
  return c.store.pinHash() !== undefined || c.env.userEnrolled() || c.store.alwaysUv();
}
