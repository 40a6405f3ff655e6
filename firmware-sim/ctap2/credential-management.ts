import { encodeCanonical, type CborInput, type CborMap } from '../../proto/ctap2/canonical-cbor.js';
import {
  CredentialManagementRequest,
  CredentialManagementResponse,
  CredentialManagementSubCommand,
  CredentialManagementSubCommandParams,
} from '../../proto/ctap2/credential-management.js';
import { encodeMembers, type Decoded } from '../../proto/ctap2/members.js';
import {
  PUBLIC_KEY_CREDENTIAL_TYPE,
  PublicKeyCredentialDescriptor,
  RpEntity,
} from '../../proto/ctap2/webauthn-entities.js';
import type { CommandContext } from './command-context.js';
import { Cose } from '../../proto/ctap2/cose.js';
import { storedLargeBlobKey } from '../../proto/ctap2/extensions/large-blob-key.js';
import { coseEc2PublicKey } from './cose-key.js';
import { CtapStatus, fail } from './ctap-failure.js';
import { protocolFor, verifyPinUvAuthParam } from './pin-uv-auth-param.js';
import { Permission } from '../../proto/ctap2/client-pin.js';
import { parseRequestMembers } from '../../proto/ctap2/ctap-failure.js';
import { encodeResidentCredential, type ResidentCredential } from './resident-credential.js';
import { bytesEqual } from './bytes.js';
import { sha256 } from './sha256.js';
import { parseUserEntity, userEntityResponse } from './user-entity.js';
import { STATEFUL_COMMAND_TIMEOUT_MS } from './volatile-state.js';

const Sub = CredentialManagementSubCommand;

const WHERE = 'authenticatorCredentialManagement';

function rpEntry(record: ResidentCredential): { rpId: string; rpIdHash: Uint8Array } {
  return { rpId: record.rpId, rpIdHash: sha256(record.rpId) };
}

function rpResponse(rp: { rpId: string; rpIdHash: Uint8Array }, total: number | undefined): CborInput {
  return encodeMembers(CredentialManagementResponse, {
    rp: encodeMembers(RpEntity, { id: rp.rpId }),
    rpIDHash: rp.rpIdHash,
    totalRPs: total,
  });
}

function credentialResponse(c: CommandContext, record: ResidentCredential, total: number | undefined): CborInput {
  const credential = c.credentials.find(sha256(record.rpId), record.credentialId);
  if (credential === undefined) {
    throw new Error(
      `resident record ${record.storageKey} names a credential ID this enrollment cannot open; the store is inconsistent`,
    );
  }
  return encodeMembers(CredentialManagementResponse, {
    user: userEntityResponse(record.user, true),
    credentialID: encodeMembers(PublicKeyCredentialDescriptor, {
      id: record.credentialId,
      type: PUBLIC_KEY_CREDENTIAL_TYPE,
    }),
    publicKey: coseEc2PublicKey(credential.key, Cose.ALG_ES256),
    totalCredentials: total,
    credProtect: record.credProtect,
    // CTAP 2.1 §6.8.3: the credential's largeBlobKey, when it has one. Platforms find a credential's large blob by
    // it (libfido2's fido2-token -G/-S/-D -b -n RP, -L -b). Whoever holds a cm token reads it: the PIN or built-in
    // UV on the wrist grants cm (§6.5.5.7), as it grants the lbw that writes blobs.
    largeBlobKey: storedLargeBlobKey(record.extensions),
  });
}

type SubParams = Decoded<typeof CredentialManagementSubCommandParams>;

/** A subCommandParams member this sub-command needs. */
function requiredSub<K extends keyof SubParams>(subParams: SubParams, name: K): NonNullable<SubParams[K]> {
  const value = subParams[name];
  if (value === undefined) {
    const key = CredentialManagementSubCommandParams[name].key;
    fail(
      CtapStatus.CTAP2_ERR_MISSING_PARAMETER,
      `${WHERE} subCommandParams member 0x${key.toString(16).padStart(2, '0')} (${name}) is required but absent`,
    );
  }
  return value;
}

/** The credentialID descriptor: `id` is required; `type` is type-checked when present. */
const CredentialIdParam = {
  ...PublicKeyCredentialDescriptor,
  type: { ...PublicKeyCredentialDescriptor.type, required: false },
} as const;

function findByCredentialId(c: CommandContext, subParams: SubParams): ResidentCredential {
  const { id } = parseRequestMembers(
    CredentialIdParam,
    requiredSub(subParams, 'credentialID'),
    `${WHERE} credentialID`,
  );
  const record = c.credentials.allResident().find((r) => bytesEqual(r.credentialId, id));
  if (record === undefined)
    fail(CtapStatus.CTAP2_ERR_NO_CREDENTIALS, 'no discoverable credential on this band has that credential ID');
  return record;
}

/** A token bound to an RP may manage only that RP's credentials (§6.8 steps for each sub-command). */
function requireRpScope(c: CommandContext, rpIdHash: Uint8Array | undefined): void {
  const bound = c.volatile.token.permissionsRpId();
  if (bound === undefined) return;
  if (rpIdHash === undefined || !bytesEqual(sha256(bound), rpIdHash)) {
    fail(
      CtapStatus.CTAP2_ERR_PIN_AUTH_INVALID,
      `the pinUvAuthToken is limited to RP ${JSON.stringify(bound)}; get a token without rpId to manage all credentials`,
    );
  }
}

export function credentialManagement(c: CommandContext, request: CborMap): CborInput | undefined {
  const {
    subCommand,
    subCommandParams: subParamsMap,
    pinUvAuthProtocol: protocolVersion,
    pinUvAuthParam,
  } = parseRequestMembers(CredentialManagementRequest, request, WHERE);
  const subParams =
    subParamsMap === undefined
      ? undefined
      : parseRequestMembers(CredentialManagementSubCommandParams, subParamsMap, `${WHERE} subCommandParams`);

  const continuation =
    subCommand === Sub.ENUMERATE_RPS_GET_NEXT_RP || subCommand === Sub.ENUMERATE_CREDENTIALS_GET_NEXT_CREDENTIAL;
  const pending = c.volatile.stateful;
  if (!continuation) {
    // Any other sub-command ends an enumeration in progress.
    c.volatile.stateful = undefined;
    if (subCommand < Sub.GET_CREDS_METADATA || subCommand > Sub.UPDATE_USER_INFORMATION) {
      fail(
        CtapStatus.CTAP2_ERR_INVALID_SUBCOMMAND,
        `credentialManagement sub-command 0x${subCommand.toString(16)} is not supported`,
      );
    }
    if (pinUvAuthParam === undefined)
      fail(
        CtapStatus.CTAP2_ERR_PUAT_REQUIRED,
        'credentialManagement needs a pinUvAuthParam from a token with the cm permission',
      );
    const protocol = protocolFor(protocolVersion, WHERE);
    // The message is subCommand || subCommandParams as canonical CBOR; the decoder accepted only canonical input,
    // so re-encoding reproduces the bytes the platform authenticated.
    const encodedParams = subParamsMap === undefined ? new Uint8Array(0) : encodeCanonical(subParamsMap);
    const message = new Uint8Array(1 + encodedParams.length);
    message[0] = subCommand;
    message.set(encodedParams, 1);
    verifyPinUvAuthParam(c, protocol, message, pinUvAuthParam, Permission.CREDENTIAL_MANAGEMENT, WHERE);
  }

  switch (subCommand) {
    case Sub.GET_CREDS_METADATA: {
      requireRpScope(c, undefined);
      const count = c.credentials.allResident().length;
      return encodeMembers(CredentialManagementResponse, {
        existingResidentCredentialsCount: count,
        maxPossibleRemainingResidentCredentialsCount: Math.max(0, c.config.maxResidentCredentials - count),
      });
    }

    case Sub.ENUMERATE_RPS_BEGIN: {
      requireRpScope(c, undefined);
      const byRp = new Map<string, { rpId: string; rpIdHash: Uint8Array }>();
      for (const record of c.credentials.allResident()) byRp.set(record.rpId, rpEntry(record));
      const rps = [...byRp.values()].sort((a, b) => (a.rpId < b.rpId ? -1 : a.rpId > b.rpId ? 1 : 0));
      if (rps.length === 0) fail(CtapStatus.CTAP2_ERR_NO_CREDENTIALS, 'the band holds no discoverable credentials');
      const [first, ...rest] = rps;
      if (rest.length > 0) {
        c.volatile.stateful = {
          kind: 'enumerateRps',
          remaining: rest,
          epoch: c.store.epoch(),
          expiresAt: c.env.now() + STATEFUL_COMMAND_TIMEOUT_MS,
        };
      }
      return rpResponse(first, rps.length);
    }

    case Sub.ENUMERATE_RPS_GET_NEXT_RP: {
      if (
        pending?.kind !== 'enumerateRps' ||
        pending.epoch !== c.store.epoch() ||
        c.env.now() >= pending.expiresAt ||
        pending.remaining.length === 0
      ) {
        c.volatile.stateful = undefined;
        fail(
          CtapStatus.CTAP2_ERR_NOT_ALLOWED,
          'enumerateRPsGetNextRP must follow enumerateRPsBegin (or another GetNextRP) within 30 s while RPs remain',
        );
      }
      const next = pending.remaining.shift() as { rpId: string; rpIdHash: Uint8Array };
      pending.expiresAt = c.env.now() + STATEFUL_COMMAND_TIMEOUT_MS;
      if (pending.remaining.length === 0) c.volatile.stateful = undefined;
      return rpResponse(next, undefined);
    }

    case Sub.ENUMERATE_CREDENTIALS_BEGIN: {
      if (subParams === undefined)
        fail(
          CtapStatus.CTAP2_ERR_MISSING_PARAMETER,
          `${WHERE} enumerateCredentialsBegin needs subCommandParams with rpIDHash`,
        );
      const rpIdHash = requiredSub(subParams, 'rpIDHash');
      requireRpScope(c, rpIdHash);
      const records = c.credentials.residentForRp(rpIdHash);
      if (records.length === 0)
        fail(CtapStatus.CTAP2_ERR_NO_CREDENTIALS, 'the band holds no discoverable credentials for that rpIDHash');
      const [first, ...rest] = records;
      if (rest.length > 0) {
        c.volatile.stateful = {
          kind: 'enumerateCredentials',
          rpIdHash,
          remaining: rest.map((r) => r.credentialId),
          epoch: c.store.epoch(),
          expiresAt: c.env.now() + STATEFUL_COMMAND_TIMEOUT_MS,
        };
      }
      return credentialResponse(c, first, records.length);
    }

    case Sub.ENUMERATE_CREDENTIALS_GET_NEXT_CREDENTIAL: {
      if (
        pending?.kind !== 'enumerateCredentials' ||
        pending.epoch !== c.store.epoch() ||
        c.env.now() >= pending.expiresAt
      ) {
        c.volatile.stateful = undefined;
        fail(
          CtapStatus.CTAP2_ERR_NOT_ALLOWED,
          'enumerateCredentialsGetNextCredential must follow enumerateCredentialsBegin within 30 s',
        );
      }
      while (pending.remaining.length > 0) {
        const id = pending.remaining.shift() as Uint8Array;
        const record = c.credentials.residentForRp(pending.rpIdHash).find((r) => bytesEqual(r.credentialId, id));
        if (record === undefined) continue;
        pending.expiresAt = c.env.now() + STATEFUL_COMMAND_TIMEOUT_MS;
        if (pending.remaining.length === 0) c.volatile.stateful = undefined;
        return credentialResponse(c, record, undefined);
      }
      c.volatile.stateful = undefined;
      return fail(CtapStatus.CTAP2_ERR_NOT_ALLOWED, 'no credentials are left to enumerate');
    }

    case Sub.DELETE_CREDENTIAL: {
      if (subParams === undefined)
        fail(
          CtapStatus.CTAP2_ERR_MISSING_PARAMETER,
          `${WHERE} deleteCredential needs subCommandParams with credentialID`,
        );
      const record = findByCredentialId(c, subParams);
      requireRpScope(c, sha256(record.rpId));
      c.store.commit({ del: [record.storageKey] });
      return undefined;
    }

    case Sub.UPDATE_USER_INFORMATION: {
      if (subParams === undefined)
        fail(
          CtapStatus.CTAP2_ERR_MISSING_PARAMETER,
          `${WHERE} updateUserInformation needs subCommandParams with credentialID and user`,
        );
      const record = findByCredentialId(c, subParams);
      const user = parseUserEntity(requiredSub(subParams, 'user'), `${WHERE} user`);
      requireRpScope(c, sha256(record.rpId));
      if (!bytesEqual(user.id, record.user.id))
        fail(
          CtapStatus.CTAP1_ERR_INVALID_PARAMETER,
          'updateUserInformation cannot change user.id; it names the account',
        );
      c.store.commit({ put: { [record.storageKey]: encodeResidentCredential({ ...record, user }) } });
      return undefined;
    }

    default:
      fail(
        CtapStatus.CTAP2_ERR_INVALID_SUBCOMMAND,
        `credentialManagement sub-command 0x${subCommand.toString(16)} is not supported`,
      );
  }
}
