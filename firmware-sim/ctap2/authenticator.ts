import type { DeviceContext } from '../band-device.js';
import { PowerCutError } from '../flash-errors.js';
import { Ctap2Command, ctap2CommandName } from '../../proto/ctap2/command.js';
import { cborTypeName } from '../../proto/ctap2/members.js';
import {
  CborError,
  decodeCanonical,
  encodeCanonical,
  type CborInput,
  type CborMap,
} from '../../proto/ctap2/canonical-cbor.js';
import { authenticatorConfig } from './authenticator-config.js';
import { bioEnrollment } from './bio-enrollment.js';
import { clientPin } from './client-pin.js';
import type { CommandContext } from './command-context.js';
import { credentialManagement } from './credential-management.js';
import { Credentials } from './credentials.js';
import { CtapFailure, CtapStatus, fail } from './ctap-failure.js';
import { resolveConfig, type Ctap2Config, type Ctap2Env, type ResolvedConfig } from './env.js';
import { Fido2Store } from './fido2-store.js';
import { getAssertion, getNextAssertion } from './get-assertion.js';
import { getInfo, MAX_MSG_SIZE } from './get-info.js';
import { largeBlobs } from './large-blobs.js';
import { makeCredential } from './make-credential.js';
import { reset } from './reset.js';
import { handleU2f } from './u2f.js';
import { requireUserPresence } from './user-presence.js';
import { VolatileState } from './volatile-state.js';

/**
 * The queue moves on however a command ended, and keeps nothing of it: a queue left resolved to the last reply
 * held its bytes for as long as the band sat idle.
 */
function settled(): void {}

/** Observes every command's outcome, e.g. for a band log; never changes it. */
export type Ctap2Observer = (event: { command: number; status: number; error?: Error }) => void;

function paramsOf(body: Uint8Array, command: string): CborMap {
  if (body.length === 0)
    fail(CtapStatus.CTAP2_ERR_MISSING_PARAMETER, `${command} needs a CBOR map of parameters after the command byte`);
  let value;
  try {
    value = decodeCanonical(body);
  } catch (error) {
    if (error instanceof CborError) fail(CtapStatus.CTAP2_ERR_INVALID_CBOR, `${command} parameters: ${error.message}`);
    throw error;
  }
  if (!(value instanceof Map))
    fail(
      CtapStatus.CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
      `${command} parameters must be a CBOR map; got a ${cborTypeName(value)}`,
    );
  return value;
}

function noParams(body: Uint8Array, command: string): void {
  if (body.length !== 0)
    fail(
      CtapStatus.CTAP1_ERR_INVALID_LENGTH,
      `${command} takes no parameters; got ${body.length} byte(s) after the command byte`,
    );
}

/**
 * The band's CTAP 2.1 authenticator: request = command byte + canonical CBOR parameters, reply = status byte +
 * canonical CBOR. Commands run one at a time. Any exception that is not a CTAP status becomes CTAP1_ERR_OTHER, so
 * no input can crash the band; the single exception is a simulated power cut (PowerCutError from the flash),
 * which is rethrown because a band without power answers nothing.
 */
export class Ctap2Authenticator {
  private readonly config: ResolvedConfig;
  private readonly store: Fido2Store;
  private readonly credentials: Credentials;
  private readonly volatile: VolatileState;
  /** The turn of the next command: settles, to nothing, when the last one queued has answered. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly env: Ctap2Env,
    config: Ctap2Config,
    private readonly observer?: Ctap2Observer,
  ) {
    this.config = resolveConfig(config);
    // The env itself, not arrow functions around it: no closures kept per authenticator (a fleet holds 1,000).
    this.store = new Fido2Store(env.store, env);
    this.credentials = new Credentials(this.store, env);
    this.volatile = new VolatileState(env);
  }

  /**
   * Call when the band powers up: RAM state (tokens, key agreement keys, the 3-mismatch block, pending
   * enumerations) starts afresh and the 10 s reset window opens. Until the first call, reset is refused.
   */
  powerUp(): void {
    this.volatile.clear();
    this.volatile.powerUpAt = this.env.now();
  }

  handle(request: Uint8Array, ctx: DeviceContext): Promise<Uint8Array> {
    const run = this.queue.then(() => this.process(request, ctx));
    this.queue = run.then(settled, settled);
    return run;
  }

  /** One CTAP1/U2F command APDU (CTAPHID_MSG) to its response APDU, in turn with CTAP2 requests. */
  handleU2f(request: Uint8Array, ctx: DeviceContext): Promise<Uint8Array> {
    const run = this.queue.then(() => {
      this.volatile.stateful = undefined;
      return handleU2f(this.context(ctx), request);
    });
    this.queue = run.then(settled, settled);
    return run;
  }

  private context(device: DeviceContext): CommandContext {
    return {
      env: this.env,
      config: this.config,
      store: this.store,
      credentials: this.credentials,
      volatile: this.volatile,
      device,
    };
  }

  private async process(request: Uint8Array, ctx: DeviceContext): Promise<Uint8Array> {
    const command = request.length > 0 ? request[0] : -1;
    try {
      const result = await this.dispatch(request, ctx);
      this.notify({ command, status: CtapStatus.CTAP2_OK });
      if (result === undefined) return Uint8Array.of(CtapStatus.CTAP2_OK);
      const body = encodeCanonical(result);
      const reply = new Uint8Array(1 + body.length);
      reply[0] = CtapStatus.CTAP2_OK;
      reply.set(body, 1);
      return reply;
    } catch (error) {
      if (error instanceof PowerCutError) throw error;
      const status = error instanceof CtapFailure ? error.status : CtapStatus.CTAP1_ERR_OTHER;
      this.notify({ command, status, ...(error instanceof Error ? { error } : {}) });
      return Uint8Array.of(status);
    }
  }

  private notify(event: Parameters<Ctap2Observer>[0]): void {
    try {
      this.observer?.(event);
    } catch {
      // A broken log must not change what the band answers.
    }
  }

  private async dispatch(request: Uint8Array, device: DeviceContext): Promise<CborInput | undefined> {
    if (request.length === 0)
      fail(CtapStatus.CTAP1_ERR_INVALID_LENGTH, 'an authenticatorCBOR request needs at least the command byte');
    if (request.length > MAX_MSG_SIZE)
      fail(
        CtapStatus.CTAP2_ERR_REQUEST_TOO_LARGE,
        `request of ${request.length} bytes exceeds maxMsgSize ${MAX_MSG_SIZE}`,
      );
    const command = request[0];
    const body = request.subarray(1);
    const c = this.context(device);
    // A stateful sequence (getNextAssertion, credentialManagement enumerations) survives only its own follow-ups;
    // credentialManagement sorts out its own sub-commands.
    const continues =
      (command === Ctap2Command.GET_NEXT_ASSERTION && this.volatile.stateful?.kind === 'getAssertion') ||
      command === Ctap2Command.CREDENTIAL_MANAGEMENT ||
      command === Ctap2Command.CREDENTIAL_MANAGEMENT_PREVIEW;
    if (!continues) this.volatile.stateful = undefined;

    const name = ctap2CommandName(command);
    switch (command) {
      case Ctap2Command.GET_INFO:
        noParams(body, name);
        return getInfo(c);
      case Ctap2Command.MAKE_CREDENTIAL:
        return makeCredential(c, paramsOf(body, name));
      case Ctap2Command.GET_ASSERTION:
        return getAssertion(c, paramsOf(body, name));
      case Ctap2Command.GET_NEXT_ASSERTION:
        noParams(body, name);
        return getNextAssertion(c);
      case Ctap2Command.CLIENT_PIN:
        return clientPin(c, paramsOf(body, name));
      case Ctap2Command.RESET:
        noParams(body, name);
        return reset(c);
      case Ctap2Command.CREDENTIAL_MANAGEMENT:
      case Ctap2Command.CREDENTIAL_MANAGEMENT_PREVIEW:
        return credentialManagement(c, paramsOf(body, name));
      case Ctap2Command.CONFIG:
        return authenticatorConfig(c, paramsOf(body, name));
      case Ctap2Command.LARGE_BLOBS:
        return largeBlobs(c, paramsOf(body, name));
      case Ctap2Command.BIO_ENROLLMENT:
      case Ctap2Command.BIO_ENROLLMENT_PREVIEW:
        if (this.env.bio === undefined)
          fail(CtapStatus.CTAP1_ERR_INVALID_COMMAND, `${name}: this authenticator has no fingerprint sensor`);
        return bioEnrollment(c, this.env.bio, paramsOf(body, name));
      case Ctap2Command.SELECTION:
        noParams(body, name);
        await requireUserPresence(this.env, device, { purpose: 'selection' });
        return undefined;
      default:
        fail(CtapStatus.CTAP1_ERR_INVALID_COMMAND, `authenticatorCBOR command ${name} is not supported by this band`);
    }
  }
}
