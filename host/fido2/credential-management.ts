import { createHash } from 'node:crypto';
import { encodeCanonical, type CborInput, type CborMap } from '../../proto/ctap2/canonical-cbor.js';
import { Ctap2Command } from '../../proto/ctap2/command.js';
import {
  CredentialManagementRequest,
  CredentialManagementResponse,
  CredentialManagementSubCommand,
  CredentialManagementSubCommandParams,
} from '../../proto/ctap2/credential-management.js';
import { CtapStatus } from '../../proto/ctap2/status.js';
import { encodeMembers, type Decoded } from '../../proto/ctap2/members.js';
import {
  PUBLIC_KEY_CREDENTIAL_TYPE,
  PublicKeyCredentialDescriptor,
  RpEntity,
  UserEntity,
} from '../../proto/ctap2/webauthn-entities.js';
import type { CtapChannel, TransactOptions } from './ctap-channel.js';
import { CtapError, Fido2ProtocolError } from './ctap-error.js';
import type { PinUvAuthToken } from './pin-uv-auth-token.js';
import { decodeReply, requireReply } from './reply-fields.js';

const Sub = CredentialManagementSubCommand;
type Response = Decoded<typeof CredentialManagementResponse>;

/** A response member this sub-command must answer with. */
function answer<K extends keyof Response>(response: Response, name: K, operation: string): NonNullable<Response[K]> {
  const value = response[name];
  if (value === undefined) throw new Fido2ProtocolError(`${operation}: the response lacks ${name}`);
  return value;
}

function descriptor(credentialId: Uint8Array): CborInput {
  return encodeMembers(PublicKeyCredentialDescriptor, { id: credentialId, type: PUBLIC_KEY_CREDENTIAL_TYPE });
}

function noCredentials(error: unknown): boolean {
  return error instanceof CtapError && error.status === CtapStatus.CTAP2_ERR_NO_CREDENTIALS;
}

export interface ResidentRp {
  rp: { id: string; name?: string };
  rpIdHash: Uint8Array;
}

/** One discoverable credential as enumerateCredentials reports it (CTAP 2.1 §6.8.3). */
export interface ResidentCredentialInfo {
  user: { id: Uint8Array; name?: string; displayName?: string };
  credentialId: Uint8Array;
  /** COSE_Key, canonical CBOR. */
  publicKey: Uint8Array;
  credProtect?: number;
  /**
   * The credential's 32-byte largeBlobKey (member 0x0B), present when it was made with `extensions.largeBlobKey`:
   * pass it to `Fido2Client.largeBlobs.getBlob` / `putBlob` / `deleteBlob` to reach the credential's blob without a
   * getAssertion (no tap). It is a secret: whoever holds it reads and replaces the blob, so do not log or show it.
   */
  largeBlobKey?: Uint8Array;
}

function userOf(map: CborMap, operation: string): ResidentCredentialInfo['user'] {
  const { id, name, displayName } = decodeReply(UserEntity, map, `${operation} user`);
  return {
    id,
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
  ): Promise<CborMap | undefined> {
    let message: Uint8Array | undefined;
    if (token !== undefined) {
      const encoded = subParams === undefined ? new Uint8Array(0) : encodeCanonical(subParams);
      message = new Uint8Array(1 + encoded.length);
      message[0] = subCommand;
      message.set(encoded, 1);
    }
    const params = encodeMembers(CredentialManagementRequest, {
      subCommand,
      subCommandParams: subParams,
      pinUvAuthProtocol: token?.protocol.version,
      pinUvAuthParam: message === undefined ? undefined : token?.authenticate(message),
    });
    return this.channel.call(Ctap2Command.CREDENTIAL_MANAGEMENT, params, operation, opts);
  }

  private async callForReply(
    token: PinUvAuthToken | undefined,
    subCommand: number,
    subParams: CborInput | undefined,
    operation: string,
    opts: TransactOptions,
  ): Promise<Response> {
    const response = requireReply(await this.call(token, subCommand, subParams, operation, opts), operation);
    return decodeReply(CredentialManagementResponse, response, operation);
  }

  async metadata(
    token: PinUvAuthToken,
    opts: TransactOptions = {},
  ): Promise<{ existingResidentCredentialsCount: number; maxPossibleRemainingResidentCredentialsCount: number }> {
    const op = 'credentialManagement getCredsMetadata';
    const response = await this.callForReply(token, Sub.GET_CREDS_METADATA, undefined, op, opts);
    return {
      existingResidentCredentialsCount: answer(response, 'existingResidentCredentialsCount', op),
      maxPossibleRemainingResidentCredentialsCount: answer(
        response,
        'maxPossibleRemainingResidentCredentialsCount',
        op,
      ),
    };
  }

  /** Every RP with discoverable credentials (enumerateRPsBegin + GetNextRP); [] when there are none. */
  async rps(token: PinUvAuthToken, opts: TransactOptions = {}): Promise<ResidentRp[]> {
    const op = 'credentialManagement enumerateRPs';
    let first: Response;
    try {
      first = await this.callForReply(token, Sub.ENUMERATE_RPS_BEGIN, undefined, op, opts);
    } catch (error) {
      if (noCredentials(error)) return [];
      throw error;
    }
    const parse = (response: Response): ResidentRp => {
      const { id, name } = decodeReply(RpEntity, answer(response, 'rp', op), `${op} rp`);
      return {
        rp: { id, ...(name !== undefined ? { name } : {}) },
        rpIdHash: answer(response, 'rpIDHash', op),
      };
    };
    const total = answer(first, 'totalRPs', op);
    const out = [parse(first)];
    while (out.length < total)
      out.push(parse(await this.callForReply(undefined, Sub.ENUMERATE_RPS_GET_NEXT_RP, undefined, op, opts)));
    return out;
  }

  /**
   * Every discoverable credential of one RP, given as its rpId or SHA-256(rpId); [] when there are none. Each carries
   * its largeBlobKey when it has one, so a holder of the cm token can read its large blob without a sign-in.
   */
  async credentials(
    token: PinUvAuthToken,
    rp: string | Uint8Array,
    opts: TransactOptions = {},
  ): Promise<ResidentCredentialInfo[]> {
    const op = 'credentialManagement enumerateCredentials';
    const rpIdHash = typeof rp === 'string' ? new Uint8Array(createHash('sha256').update(rp).digest()) : rp;
    let first: Response;
    try {
      first = await this.callForReply(
        token,
        Sub.ENUMERATE_CREDENTIALS_BEGIN,
        encodeMembers(CredentialManagementSubCommandParams, { rpIDHash: rpIdHash }),
        op,
        opts,
      );
    } catch (error) {
      if (noCredentials(error)) return [];
      throw error;
    }
    const parse = (response: Response): ResidentCredentialInfo => {
      const { id } = decodeReply(
        PublicKeyCredentialDescriptor,
        answer(response, 'credentialID', op),
        `${op} credentialID`,
      );
      const { credProtect, largeBlobKey } = response;
      return {
        user: userOf(answer(response, 'user', op), op),
        credentialId: id,
        publicKey: encodeCanonical(answer(response, 'publicKey', op)),
        ...(credProtect !== undefined ? { credProtect } : {}),
        ...(largeBlobKey !== undefined ? { largeBlobKey } : {}),
      };
    };
    const total = answer(first, 'totalCredentials', op);
    const out = [parse(first)];
    while (out.length < total)
      out.push(
        parse(await this.callForReply(undefined, Sub.ENUMERATE_CREDENTIALS_GET_NEXT_CREDENTIAL, undefined, op, opts)),
      );
    return out;
  }

  async delete(token: PinUvAuthToken, credentialId: Uint8Array, opts: TransactOptions = {}): Promise<void> {
    const op = 'credentialManagement deleteCredential';
    const response = await this.call(
      token,
      Sub.DELETE_CREDENTIAL,
      encodeMembers(CredentialManagementSubCommandParams, { credentialID: descriptor(credentialId) }),
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
      Sub.UPDATE_USER_INFORMATION,
      encodeMembers(CredentialManagementSubCommandParams, {
        credentialID: descriptor(credentialId),
        user: encodeMembers(UserEntity, { id: user.id, name: user.name, displayName: user.displayName }),
      }),
      op,
      opts,
    );
  }
}
