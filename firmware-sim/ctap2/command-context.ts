import type { DeviceContext } from '../band-device.js';
import type { Credentials } from './credentials.js';
import type { Ctap2Env, ResolvedConfig } from './env.js';
import type { Fido2Store } from './fido2-store.js';
import type { VolatileState } from './volatile-state.js';

/** What every command handler works with. */
export interface CommandContext {
  env: Ctap2Env;
  config: ResolvedConfig;
  store: Fido2Store;
  credentials: Credentials;
  volatile: VolatileState;
  device: DeviceContext;
}
