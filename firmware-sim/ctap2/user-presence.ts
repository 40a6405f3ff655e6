import { isCancelled, type DeviceContext } from '../band-device.js';
import { CtapStatus, fail } from './ctap-failure.js';
import type { CtapStatusCode } from '../../proto/ctap2/status.js';
import { UserPresenceTimeoutError, type Ctap2Env, type UserPresenceRequest } from './env.js';

/**
 * Asks the band for user presence and turns every outcome that is not "present" into the spec's status:
 * a cancel (CTAPHID_CANCEL aborts ctx.signal) is CTAP2_ERR_KEEPALIVE_CANCEL, a denial is CTAP2_ERR_OPERATION_DENIED,
 * and a timeout is `timeoutStatus` (OPERATION_DENIED for makeCredential/getAssertion per §6.1.2 step 14,
 * USER_ACTION_TIMEOUT for reset per §6.6). KEEPALIVE(UPNEEDED) while waiting is the band's job inside userPresence.
 */
export async function requireUserPresence(
  env: Ctap2Env,
  ctx: DeviceContext,
  request: UserPresenceRequest,
  timeoutStatus: CtapStatusCode = CtapStatus.CTAP2_ERR_OPERATION_DENIED,
): Promise<void> {
  if (isCancelled(ctx))
    fail(CtapStatus.CTAP2_ERR_KEEPALIVE_CANCEL, 'the request was cancelled before user presence was asked for');
  let present: boolean;
  try {
    present = await env.userPresence(request, ctx);
  } catch (error) {
    if (isCancelled(ctx)) {
      fail(CtapStatus.CTAP2_ERR_KEEPALIVE_CANCEL, 'the request was cancelled while waiting for user presence');
    }
    if (error instanceof UserPresenceTimeoutError) {
      fail(timeoutStatus, `no user presence for ${request.purpose} before the band's timeout`);
    }
    throw error;
  }
  if (isCancelled(ctx))
    fail(CtapStatus.CTAP2_ERR_KEEPALIVE_CANCEL, 'the request was cancelled while waiting for user presence');
  if (present !== true)
    fail(
      CtapStatus.CTAP2_ERR_OPERATION_DENIED,
      `the user did not confirm ${request.purpose}${request.rpId ? ` for ${request.rpId}` : ''}`,
    );
}
