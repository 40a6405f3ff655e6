import type { CommandContext } from './command-context.js';
import { CtapStatus, fail } from './ctap-failure.js';
import { FIDO2_PREFIX } from './fido2-store.js';
import { requireUserPresence } from './user-presence.js';

/** §6.6: reset is refused more than 10 s after power-up, so that malware cannot wipe a band that stays plugged in. */
export const RESET_WINDOW_MS = 10_000;

/**
 * authenticatorReset (§6.6): after a touch, every fido2/ key goes in one commit (credentials, PIN, counter, master),
 * and with the master every credential ID ever issued becomes unopenable.
 */
export async function reset(c: CommandContext): Promise<undefined> {
  const poweredUp = c.volatile.powerUpAt;
  if (poweredUp === undefined || c.env.now() - poweredUp > RESET_WINDOW_MS) {
    fail(
      CtapStatus.CTAP2_ERR_NOT_ALLOWED,
      `reset is only allowed within ${RESET_WINDOW_MS / 1000} s of power-up; power-cycle the band and retry`,
    );
  }
  await requireUserPresence(c.env, c.device, { purpose: 'reset' }, CtapStatus.CTAP2_ERR_USER_ACTION_TIMEOUT);
  c.store.commit({ delPrefix: [FIDO2_PREFIX] });
  c.volatile.clear();
  return undefined;
}
