import { createHash } from 'node:crypto';
import { encodeCanonical, type CborInput, type CborMap } from '../../proto/ctap2/canonical-cbor.js';
import type { CtapChannel, TransactOptions } from './ctap-channel.js';
import { CtapError, Fido2ProtocolError } from './ctap-error.js';
import type { PinUvAuthToken } from './pin-uv-auth-token.js';
import { reply, requireReply } from './reply-fields.js';

const CREDENTIAL_MANAGEMENT = 0x0a;
const Sub = {
  METADATA: 1,
  RPS_BEGIN: 2,
  RPS_NEXT: 3,
  CREDENTIALS_BEGIN: 4,
  CREDENTIALS_NEXT: 5,
  DELETE: 6,
  UPDATE_USER: 7,
} as const;

export interface ResidentRp {
  rp: { id: string; name?: string };
  rpIdHash: Uint8Array;
}

export interface ResidentCredentialInfo {
  user: { id: Uint8Array; name?: string; displayName?: string };
  credentialId: Uint8Array;
  /** COSE_Key, canonical CBOR. */
  publicKey: Uint8Array;
  credProtect?: number;
}

function userOf(map: CborMap, operation: string): ResidentCredentialInfo['user'] {
  const name = reply.optText(map, 'name', operation);
  const displayName = reply.optText(map, 'displayName', operation);
  return {
    id: reply.bytes(map, 'id', operation),
    ...(name !== undefined ? { name } : {}),
    ...(displayName !== undefined ? { displayName } : {}),
  };
}

/** authenticatorCredentialManagement (CTAP 2.1 §6.8); every call needs a token with the cm permission. */
export class CredentialManagement {
  constructor(private readonly channel: CtapChannel) {}

  private async call(
    token: PinUvAuthToken | undefined,
    subCommand: number,
    subParams: CborInput | undefined,
    operation: string,
    opts: TransactOptions,
  ) {
    let auth: [number, CborInput][] = [];
    if (token !== undefined) {
      const encoded = subParams === undefined ? new Uint8Array(0) : encodeCanonical(subParams);
      const message = new Uint8Array(1 + encoded.length);
      message[0] = subCommand;
      message.set(encoded, 1);
      auth = [
        [3, token.protocol.version],
        [4, token.authenticate(message)],
      ];
    }
    const params = new Map<number, CborInput | undefined>([[1, subCommand], [2, subParams], ...auth]);
    return this.channel.call(CREDENTIAL_MANAGEMENT, params, operation, opts);
  }

  async metadata(
    token: PinUvAuthToken,
    opts: TransactOptions = {},
  ): Promise<{ existingResidentCredentialsCount: number; maxPossibleRemainingResidentCredentialsCount: number }> {
    const op = 'credentialManagement getCredsMetadata';
    const response = requireReply(await this.call(token, Sub.METADATA, undefined, op, opts), op);
    return {
      existingResidentCredentialsCount: reply.uint(response, 1, op),
      maxPossibleRemainingResidentCredentialsCount: reply.uint(response, 2, op),
    };
  }

  /** Every RP with discoverable credentials (enumerateRPsBegin + GetNextRP); [] when there are none. */
  async rps(token: PinUvAuthToken, opts: TransactOptions = {}): Promise<ResidentRp[]> {
    const op = 'credentialManagement enumerateRPs';
    let first: CborMap;
    try {
      first = requireReply(await this.call(token, Sub.RPS_BEGIN, undefined, op, opts), op);
    } catch (error) {
      if (error instanceof CtapError && error.code === 'CTAP2_ERR_NO_CREDENTIALS') return [];
      throw error;
    }
    const parse = (map: CborMap): ResidentRp => {
      const rp = reply.map(map, 3, op);
      const name = reply.optText(rp, 'name', op);
      return {
        rp: { id: reply.text(rp, 'id', op), ...(name !== undefined ? { name } : {}) },
        rpIdHash: reply.bytes(map, 4, op),
      };
    };
    const total = reply.uint(first, 5, op);
    const out = [parse(first)];
    while (out.length < total)
      out.push(parse(requireReply(await this.call(undefined, Sub.RPS_NEXT, undefined, op, opts), op)));
    return out;
  }

  /** Every discoverable credential of one RP, given as its rpId or SHA-256(rpId); [] when there are none. */
  async credentials(
    token: PinUvAuthToken,
    rp: string | Uint8Array,
    opts: TransactOptions = {},
  ): Promise<ResidentCredentialInfo[]> {
    const op = 'credentialManagement enumerateCredentials';
    const rpIdHash = typeof rp === 'string' ? new Uint8Array(createHash('sha256').update(rp).digest()) : rp;
    let first: CborMap;
    try {
      first = requireReply(await this.call(token, Sub.CREDENTIALS_BEGIN, new Map([[1, rpIdHash]]), op, opts), op);
    } catch (error) {
      if (error instanceof CtapError && error.code === 'CTAP2_ERR_NO_CREDENTIALS') return [];
      throw error;
    }
    const parse = (map: CborMap): ResidentCredentialInfo => {
      const descriptor = reply.map(map, 7, op);
      const publicKey = reply.map(map, 8, op);
      const credProtect = reply.optUint(map, 0x0a, op);
      return {
        user: userOf(reply.map(map, 6, op), op),
        credentialId: reply.bytes(descriptor, 'id', op),
        publicKey: encodeCanonical(publicKey),
        ...(credProtect !== undefined ? { credProtect } : {}),
      };
    };
    const total = reply.uint(first, 9, op);
    const out = [parse(first)];
    while (out.length < total)
      out.push(parse(requireReply(await this.call(undefined, Sub.CREDENTIALS_NEXT, undefined, op, opts), op)));
    return out;
  }

  async delete(token: PinUvAuthToken, credentialId: Uint8Array, opts: TransactOptions = {}): Promise<void> {
    const op = 'credentialManagement deleteCredential';
    const response = await this.call(
      token,
      Sub.DELETE,
      new Map([[2, { id: credentialId, type: 'public-key' }]]),
      op,
      opts,
    );
    if (response !== undefined) throw new Fido2ProtocolError(`${op}: unexpected response body`);
  }

  async updateUser(
    token: PinUvAuthToken,
    credentialId: Uint8Array,
    user: ResidentCredentialInfo['user'],
    opts: TransactOptions = {},
  ): Promise<void> {
    const op = 'credentialManagement updateUserInformation';
    await this.call(
      token,
      Sub.UPDATE_USER,
      new Map<number, CborInput>([
        [2, { id: credentialId, type: 'public-key' }],
        [3, { id: user.id, name: user.name, displayName: user.displayName }],
      ]),
      op,
      opts,
    );
  }
}
