import { DEFAULT_DIRECTORY_PATH } from '../directory/index.js';
import { WebAuthnRelyingParty } from '../relying-party/index.js';
import type { CliContext } from './command.js';

/** Options for the embedded relying party that `register-key` and `reenroll` share. */
export const RELYING_PARTY_OPTIONS = {
  directory: { type: 'string' },
  'rp-id': { type: 'string' },
  'rp-origin': { type: 'string' },
} as const;

/** The directory file, and the embedded relying party whose credentials live beside it (FILE.rp.json). */
export function embeddedRelyingParty(
  ctx: CliContext,
  values: { directory?: string; 'rp-id'?: string; 'rp-origin'?: string },
) {
  const path = values.directory ?? ctx.env.BANDCTL_DIRECTORY ?? DEFAULT_DIRECTORY_PATH;
  const rpId = values['rp-id'] ?? 'login.example.com';
  const rp = new WebAuthnRelyingParty({
    id: rpId,
    origin: values['rp-origin'] ?? `https://${rpId}`,
    statePath: `${path}.rp.json`,
  });
  return { path, rp };
}
