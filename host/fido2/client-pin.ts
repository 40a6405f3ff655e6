import { createHash } from 'node:crypto';
import type { CborInput } from '../../proto/ctap2/canonical-cbor.js';
import type { CtapChannel, TransactOptions } from './ctap-channel.js';
import { Fido2ProtocolError } from './ctap-error.js';
import { PinUvAuthToken } from './pin-uv-auth-token.js';
import { platformProtocol, type PlatformPinUvProtocol } from './pin-uv-protocol.js';
import { reply, requireReply } from './reply-fields.js';

const CLIENT_PIN = 0x06;
const Sub = {
  GET_PIN_RETRIES: 1,
  GET_KEY_AGREEMENT: 2,
  SET_PIN: 3,
  CHANGE_PIN: 4,
  GET_PIN_TOKEN: 5,
  GET_UV_TOKEN: 6,
  GET_UV_RETRIES: 7,
  GET_PIN_TOKEN_WITH_PERMISSIONS: 9,
} as const;

export interface ProtocolChoice {
  /** PIN/UV auth protocol; 2 unless told otherwise. */
  protocol?: 1 | 2;
}

function padPin(pin: string): Uint8Array {
  const bytes = new TextEncoder().encode(pin);
  if (bytes.length > 63) throw new RangeError(`a PIN is at most 63 bytes of UTF-8; this one is ${bytes.length}`);
  const padded = new Uint8Array(64);
  padded.set(bytes);
  return padded;
}

function pinHash(pin: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(pin, 'utf8').digest().subarray(0, 16));
}

/** authenticatorClientPIN (CTAP 2.1 §6.5) from the platform's side. */
export class ClientPin {
  constructor(private readonly channel: CtapChannel) {}

  private async sharedSecret(protocol: PlatformPinUvProtocol, opts: TransactOptions) {
    const response = requireReply(
      await this.channel.call(
        CLIENT_PIN,
        this.params([
          [1, protocol.version],
          [2, Sub.GET_KEY_AGREEMENT],
        ]),
        'clientPIN getKeyAgreement',
        opts,
      ),
      'clientPIN getKeyAgreement',
    );
    const key = response.get(1);
    if (key === undefined) throw new Fido2ProtocolError('clientPIN getKeyAgreement: the response lacks keyAgreement');
    return protocol.encapsulate(key);
  }

  private params(entries: [number, CborInput | undefined][]): CborInput {
    return new Map(entries);
  }

  /** PIN retries left, and whether a power cycle is needed before the next attempt. */
  async getRetries(opts: TransactOptions = {}): Promise<{ retries: number; powerCycleState?: boolean }> {
    const response = requireReply(
      await this.channel.call(
        CLIENT_PIN,
        this.params([
          [1, 2],
          [2, Sub.GET_PIN_RETRIES],
        ]),
        'clientPIN getPINRetries',
        opts,
      ),
      'clientPIN getPINRetries',
    );
    const powerCycleState = reply.optBool(response, 4, 'clientPIN getPINRetries');
    return {
      retries: reply.uint(response, 3, 'clientPIN getPINRetries'),
      ...(powerCycleState !== undefined ? { powerCycleState } : {}),
    };
  }

  async getUvRetries(opts: TransactOptions = {}): Promise<number> {
    const response = requireReply(
      await this.channel.call(
        CLIENT_PIN,
        this.params([
          [1, 2],
          [2, Sub.GET_UV_RETRIES],
        ]),
        'clientPIN getUVRetries',
        opts,
      ),
      'clientPIN getUVRetries',
    );
    return reply.uint(response, 5, 'clientPIN getUVRetries');
  }

  async setPin(pin: string, choice: ProtocolChoice & TransactOptions = {}): Promise<void> {
    const protocol = platformProtocol(choice.protocol ?? 2);
    const { keyAgreement, sharedSecret } = await this.sharedSecret(protocol, choice);
    const newPinEnc = protocol.encrypt(sharedSecret, padPin(pin));
    await this.channel.call(
      CLIENT_PIN,
      this.params([
        [1, protocol.version],
        [2, Sub.SET_PIN],
        [3, keyAgreement],
        [4, protocol.authenticate(sharedSecret, newPinEnc)],
        [5, newPinEnc],
      ]),
      'clientPIN setPIN',
      choice,
    );
  }

  async changePin(currentPin: string, newPin: string, choice: ProtocolChoice & TransactOptions = {}): Promise<void> {
    const protocol = platformProtocol(choice.protocol ?? 2);
    const { keyAgreement, sharedSecret } = await this.sharedSecret(protocol, choice);
    const newPinEnc = protocol.encrypt(sharedSecret, padPin(newPin));
    const pinHashEnc = protocol.encrypt(sharedSecret, pinHash(currentPin));
    const message = new Uint8Array(newPinEnc.length + pinHashEnc.length);
    message.set(newPinEnc, 0);
    message.set(pinHashEnc, newPinEnc.length);
    await this.channel.call(
      CLIENT_PIN,
      this.params([
        [1, protocol.version],
        [2, Sub.CHANGE_PIN],
        [3, keyAgreement],
        [4, protocol.authenticate(sharedSecret, message)],
        [5, newPinEnc],
        [6, pinHashEnc],
      ]),
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
    const protocol = platformProtocol(request.protocol ?? 2);
    const { keyAgreement, sharedSecret } = await this.sharedSecret(protocol, request);
    const pinHashEnc = protocol.encrypt(sharedSecret, pinHash(pin));
    const withPermissions = request.permissions !== undefined;
    const operation = withPermissions ? 'clientPIN getPinUvAuthTokenUsingPinWithPermissions' : 'clientPIN getPinToken';
    const response = requireReply(
      await this.channel.call(
        CLIENT_PIN,
        this.params([
          [1, protocol.version],
          [2, withPermissions ? Sub.GET_PIN_TOKEN_WITH_PERMISSIONS : Sub.GET_PIN_TOKEN],
          [3, keyAgreement],
          [6, pinHashEnc],
          [9, request.permissions],
          [0x0a, withPermissions ? request.rpId : undefined],
        ]),
        operation,
        request,
      ),
      operation,
    );
    const token = protocol.decrypt(sharedSecret, reply.bytes(response, 2, operation));
    if (token.length !== 32 && !(protocol.version === 1 && token.length === 16)) {
      throw new Fido2ProtocolError(`${operation}: the decrypted token is ${token.length} bytes; 32 expected`);
    }
    return new PinUvAuthToken(protocol, token, request.permissions, request.rpId);
  }

  /** A pinUvAuthToken from the authenticator's built-in user verification (getPinUvAuthTokenUsingUvWithPermissions). */
  async getUvToken(
    request: ProtocolChoice & TransactOptions & { permissions: number; rpId?: string },
  ): Promise<PinUvAuthToken> {
    const protocol = platformProtocol(request.protocol ?? 2);
    const { keyAgreement, sharedSecret } = await this.sharedSecret(protocol, request);
    const operation = 'clientPIN getPinUvAuthTokenUsingUvWithPermissions';
    const response = requireReply(
      await this.channel.call(
        CLIENT_PIN,
        this.params([
          [1, protocol.version],
          [2, Sub.GET_UV_TOKEN],
          [3, keyAgreement],
          [9, request.permissions],
          [0x0a, request.rpId],
        ]),
        operation,
        request,
      ),
      operation,
    );
    const token = protocol.decrypt(sharedSecret, reply.bytes(response, 2, operation));
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
