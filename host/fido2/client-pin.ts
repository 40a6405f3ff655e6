import { createHash } from 'node:crypto';
import {
  ClientPinRequest,
  ClientPinResponse,
  ClientPinSubCommand,
  PinUvAuthProtocolId,
} from '../../proto/ctap2/client-pin.js';
import { Ctap2Command } from '../../proto/ctap2/command.js';
import { encodeMembers, type Decoded, type Encodable } from '../../proto/ctap2/members.js';
import { MAX_PIN_BYTES, PADDED_PIN_BYTES } from '../../proto/limits.js';
import type { CtapChannel, TransactOptions } from './ctap-channel.js';
import { Fido2ProtocolError } from './ctap-error.js';
import { PinUvAuthToken } from './pin-uv-auth-token.js';
import { platformProtocol, type PlatformPinUvProtocol } from './pin-uv-protocol.js';
import { decodeReply, requireReply } from './reply-fields.js';

const Sub = ClientPinSubCommand;

export interface ProtocolChoice {
  /** PIN/UV auth protocol; 2 unless told otherwise. */
  protocol?: 1 | 2;
}

function padPin(pin: string): Uint8Array {
  const bytes = new TextEncoder().encode(pin);
  if (bytes.length > MAX_PIN_BYTES)
    throw new RangeError(`a PIN is at most ${MAX_PIN_BYTES} bytes of UTF-8; this one is ${bytes.length}`);
  const padded = new Uint8Array(PADDED_PIN_BYTES);
  padded.set(bytes);
  return padded;
}

function pinHash(pin: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(pin, 'utf8').digest().subarray(0, 16));
}

type Response = Decoded<typeof ClientPinResponse>;

/** A response member this sub-command must answer with. */
function answer<K extends keyof Response>(response: Response, name: K, operation: string): NonNullable<Response[K]> {
  const value = response[name];
  if (value === undefined) throw new Fido2ProtocolError(`${operation}: the response lacks ${name}`);
  return value;
}

/** authenticatorClientPIN (CTAP 2.1 §6.5) from the platform's side. */
export class ClientPin {
  constructor(private readonly channel: CtapChannel) {}

  /** One clientPIN exchange; the response map decoded, or undefined when the authenticator answered a bare OK. */
  private async call(
    params: Encodable<typeof ClientPinRequest>,
    operation: string,
    opts: TransactOptions,
  ): Promise<Response | undefined> {
    const response = await this.channel.call(
      Ctap2Command.CLIENT_PIN,
      encodeMembers(ClientPinRequest, params),
      operation,
      opts,
    );
    return response === undefined ? undefined : decodeReply(ClientPinResponse, response, operation);
  }

  private async callForReply(
    params: Encodable<typeof ClientPinRequest>,
    operation: string,
    opts: TransactOptions,
  ): Promise<Response> {
    const response = await this.call(params, operation, opts);
    if (response === undefined) requireReply(undefined, operation);
    return response as Response;
  }

  private async sharedSecret(protocol: PlatformPinUvProtocol, opts: TransactOptions) {
    const operation = 'clientPIN getKeyAgreement';
    const response = await this.callForReply(
      { pinUvAuthProtocol: protocol.version, subCommand: Sub.GET_KEY_AGREEMENT },
      operation,
      opts,
    );
    return protocol.encapsulate(answer(response, 'keyAgreement', operation));
  }

  /** PIN retries left, and whether a power cycle is needed before the next attempt. */
  async getRetries(opts: TransactOptions = {}): Promise<{ retries: number; powerCycleState?: boolean }> {
    const operation = 'clientPIN getPINRetries';
    const response = await this.callForReply(
      { pinUvAuthProtocol: PinUvAuthProtocolId.TWO, subCommand: Sub.GET_PIN_RETRIES },
      operation,
      opts,
    );
    const powerCycleState = response.powerCycleState;
    return {
      retries: answer(response, 'pinRetries', operation),
      ...(powerCycleState !== undefined ? { powerCycleState } : {}),
    };
  }

  async getUvRetries(opts: TransactOptions = {}): Promise<number> {
    const operation = 'clientPIN getUVRetries';
    const response = await this.callForReply(
      { pinUvAuthProtocol: PinUvAuthProtocolId.TWO, subCommand: Sub.GET_UV_RETRIES },
      operation,
      opts,
    );
    return answer(response, 'uvRetries', operation);
  }

  async setPin(pin: string, choice: ProtocolChoice & TransactOptions = {}): Promise<void> {
    const protocol = platformProtocol(choice.protocol ?? PinUvAuthProtocolId.TWO);
    const { keyAgreement, sharedSecret } = await this.sharedSecret(protocol, choice);
    const newPinEnc = protocol.encrypt(sharedSecret, padPin(pin));
    await this.call(
      {
        pinUvAuthProtocol: protocol.version,
        subCommand: Sub.SET_PIN,
        keyAgreement,
        pinUvAuthParam: protocol.authenticate(sharedSecret, newPinEnc),
        newPinEnc,
      },
      'clientPIN setPIN',
      choice,
    );
  }

  async changePin(currentPin: string, newPin: string, choice: ProtocolChoice & TransactOptions = {}): Promise<void> {
    const protocol = platformProtocol(choice.protocol ?? PinUvAuthProtocolId.TWO);
    const { keyAgreement, sharedSecret } = await this.sharedSecret(protocol, choice);
    const newPinEnc = protocol.encrypt(sharedSecret, padPin(newPin));
    const pinHashEnc = protocol.encrypt(sharedSecret, pinHash(currentPin));
    const message = new Uint8Array(newPinEnc.length + pinHashEnc.length);
    message.set(newPinEnc, 0);
    message.set(pinHashEnc, newPinEnc.length);
    await this.call(
      {
        pinUvAuthProtocol: protocol.version,
        subCommand: Sub.CHANGE_PIN,
        keyAgreement,
        pinUvAuthParam: protocol.authenticate(sharedSecret, message),
        newPinEnc,
        pinHashEnc,
      },
      'clientPIN changePIN',
      choice,
    );
  }

  /**
   * A pinUvAuthToken from the PIN. With `permissions` it uses getPinUvAuthTokenUsingPinWithPermissions (0x09);
   * without, the CTAP 2.0 getPinToken (0x05), whose token carries mc and ga.
   */
  async getPinToken(
    pin: string,
    request: ProtocolChoice & TransactOptions & { permissions?: number; rpId?: string } = {},
  ): Promise<PinUvAuthToken> {
    const protocol = platformProtocol(request.protocol ?? PinUvAuthProtocolId.TWO);
    const { keyAgreement, sharedSecret } = await this.sharedSecret(protocol, request);
    const pinHashEnc = protocol.encrypt(sharedSecret, pinHash(pin));
    const withPermissions = request.permissions !== undefined;
    const operation = withPermissions ? 'clientPIN getPinUvAuthTokenUsingPinWithPermissions' : 'clientPIN getPinToken';
    const response = await this.callForReply(
      {
        pinUvAuthProtocol: protocol.version,
        subCommand: withPermissions ? Sub.GET_PIN_UV_AUTH_TOKEN_USING_PIN_WITH_PERMISSIONS : Sub.GET_PIN_TOKEN,
        keyAgreement,
        pinHashEnc,
        permissions: request.permissions,
        rpId: withPermissions ? request.rpId : undefined,
      },
      operation,
      request,
    );
    const token = protocol.decrypt(sharedSecret, answer(response, 'pinUvAuthToken', operation));
    if (token.length !== 32 && !(protocol.version === 1 && token.length === 16)) {
      throw new Fido2ProtocolError(`${operation}: the decrypted token is ${token.length} bytes; 32 expected`);
    }
    return new PinUvAuthToken(protocol, token, request.permissions, request.rpId);
  }

  /** A pinUvAuthToken from the authenticator's built-in user verification (getPinUvAuthTokenUsingUvWithPermissions). */
  async getUvToken(
    request: ProtocolChoice & TransactOptions & { permissions: number; rpId?: string },
  ): Promise<PinUvAuthToken> {
    const protocol = platformProtocol(request.protocol ?? PinUvAuthProtocolId.TWO);
    const { keyAgreement, sharedSecret } = await this.sharedSecret(protocol, request);
    const operation = 'clientPIN getPinUvAuthTokenUsingUvWithPermissions';
    const response = await this.callForReply(
      {
        pinUvAuthProtocol: protocol.version,
        subCommand: Sub.GET_PIN_UV_AUTH_TOKEN_USING_UV_WITH_PERMISSIONS,
        keyAgreement,
        permissions: request.permissions,
        rpId: request.rpId,
      },
      operation,
      request,
    );
    const token = protocol.decrypt(sharedSecret, answer(response, 'pinUvAuthToken', operation));
    if (token.length !== 32)
      throw new Fido2ProtocolError(`${operation}: the decrypted token is ${token.length} bytes; 32 expected`);
    return new PinUvAuthToken(protocol, token, request.permissions, request.rpId);
  }

  /** The authenticator's key agreement key and a fresh shared secret (used by hmac-secret). */
  async keyAgreement(protocolVersion: 1 | 2, opts: TransactOptions = {}) {
    const protocol = platformProtocol(protocolVersion);
    return { protocol, ...(await this.sharedSecret(protocol, opts)) };
  }
}
