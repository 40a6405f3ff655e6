import { BIO_ENROLLMENT_SUB_COMMAND_NAMES, BioEnrollmentRequest, BioEnrollmentResponse } from './bio-enrollment.js';
import { CLIENT_PIN_SUB_COMMAND_NAMES, ClientPinRequest, ClientPinResponse } from './client-pin.js';
import { Ctap2Command } from './command.js';
import { CONFIG_SUB_COMMAND_NAMES, ConfigRequest } from './config.js';
import {
  CREDENTIAL_MANAGEMENT_SUB_COMMAND_NAMES,
  CredentialManagementRequest,
  CredentialManagementResponse,
} from './credential-management.js';
import { GetAssertionRequest, GetAssertionResponse } from './get-assertion.js';
import { AuthenticatorGetInfoResponse } from './get-info.js';
import { LargeBlobsRequest, LargeBlobsResponse } from './large-blobs.js';
import { MakeCredentialRequest, MakeCredentialResponse } from './make-credential.js';
import type { Members } from './members.js';

/** What a command's CBOR maps hold: for traces, the conformance suite and the source-scan test. */
export interface Ctap2CommandSchema {
  request?: Members;
  response?: Members;
  /** The request member that selects a sub-command, and the sub-commands' names. */
  subCommand?: { member: string; names: Readonly<Record<number, string>> };
}

/** Every authenticatorCBOR command's maps. Commands that take or answer no map (getInfo's request...) have none. */
export const CTAP2_SCHEMA: Readonly<Partial<Record<number, Ctap2CommandSchema>>> = {
  [Ctap2Command.MAKE_CREDENTIAL]: { request: MakeCredentialRequest, response: MakeCredentialResponse },
  [Ctap2Command.GET_ASSERTION]: { request: GetAssertionRequest, response: GetAssertionResponse },
  [Ctap2Command.GET_INFO]: { response: AuthenticatorGetInfoResponse },
  [Ctap2Command.CLIENT_PIN]: {
    request: ClientPinRequest,
    response: ClientPinResponse,
    subCommand: { member: 'subCommand', names: CLIENT_PIN_SUB_COMMAND_NAMES },
  },
  [Ctap2Command.GET_NEXT_ASSERTION]: { response: GetAssertionResponse },
  [Ctap2Command.BIO_ENROLLMENT]: {
    request: BioEnrollmentRequest,
    response: BioEnrollmentResponse,
    subCommand: { member: 'subCommand', names: BIO_ENROLLMENT_SUB_COMMAND_NAMES },
  },
  [Ctap2Command.BIO_ENROLLMENT_PREVIEW]: {
    request: BioEnrollmentRequest,
    response: BioEnrollmentResponse,
    subCommand: { member: 'subCommand', names: BIO_ENROLLMENT_SUB_COMMAND_NAMES },
  },
  [Ctap2Command.CREDENTIAL_MANAGEMENT]: {
    request: CredentialManagementRequest,
    response: CredentialManagementResponse,
    subCommand: { member: 'subCommand', names: CREDENTIAL_MANAGEMENT_SUB_COMMAND_NAMES },
  },
  [Ctap2Command.CREDENTIAL_MANAGEMENT_PREVIEW]: {
    request: CredentialManagementRequest,
    response: CredentialManagementResponse,
    subCommand: { member: 'subCommand', names: CREDENTIAL_MANAGEMENT_SUB_COMMAND_NAMES },
  },
  [Ctap2Command.LARGE_BLOBS]: { request: LargeBlobsRequest, response: LargeBlobsResponse },
  [Ctap2Command.CONFIG]: {
    request: ConfigRequest,
    subCommand: { member: 'subCommand', names: CONFIG_SUB_COMMAND_NAMES },
  },
};
