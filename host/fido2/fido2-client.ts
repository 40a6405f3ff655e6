import { hash } from 'node:crypto';
import { parseAuthenticatorData, type AuthenticatorData } from './authenticator-data.js';
import { parseAuthenticatorInfo, type AuthenticatorInfo } from './authenticator-info.js';
import { encodeCanonical, type CborInput, type CborMap } from '../../proto/ctap2/canonical-cbor.js';
import { buildClientData, type ClientData } from './client-data.js';
import { ClientPin } from './client-pin.js';
import { AuthenticatorConfig } from './authenticator-config.js';
import { BioEnrollment } from './bio-enrollment.js';
import { CredentialManagement } from './credential-management.js';
import { LargeBlobs } from './large-blobs.js';
import { CtapChannel, type Transact, type TransactOptions } from './ctap-channel.js';
import { Fido2ProtocolError } from './ctap-error.js';
import type { PinUvAuthToken } from './pin-uv-auth-token.js';
import { decodeReply, requireReply } from './reply-fields.js';
import { Ctap2Command as Ctap2 } from '../../proto/ctap2/command.js';
import { Cose } from '../../proto/ctap2/cose.js';
import type {
  GetAssertionExtensionInputs,
  GetAssertionExtensionOutputs,
  MakeCredentialExtensionInputs,
  MakeCredentialExtensionOutputs,
} from '../../proto/ctap2/extensions/index.js';
import {
  getAssertionExtensionInputs,
  makeCredentialExtensionInputs,
  makeCredentialExtensionOutputs,
  type PendingClientExtensions,
} from './client-extensions.js';
import { GetAssertionRequest, GetAssertionResponse } from '../../proto/ctap2/get-assertion.js';
import { CeremonyOptions } from '../../proto/ctap2/get-info.js';
import {
  MakeCredentialRequest,
  MakeCredentialResponse,
  type EnterpriseAttestationKind,
} from '../../proto/ctap2/make-credential.js';
import { encodeMembers } from '../../proto/ctap2/members.js';
import {
  PUBLIC_KEY_CREDENTIAL_TYPE,
  PublicKeyCredentialDescriptor,
  PublicKeyCredentialParameters,
  RpEntity,
  UserEntity,
} from '../../proto/ctap2/webauthn-entities.js';

function descriptors(ids: Uint8Array[] | undefined): CborInput[] | undefined {
  return ids?.length
    ? ids.map((id) => encodeMembers(PublicKeyCredentialDescriptor, { id, type: PUBLIC_KEY_CREDENTIAL_TYPE }))
    : undefined;
}

/** Where the clientDataHash comes from: given, or built from a relying party's challenge and origin. */
export type ClientDataSource =
  { clientDataHash: Uint8Array } | { challenge: Uint8Array | string; origin: string; crossOrigin?: boolean };

/** authenticatorMakeCredential (CTAP 2.1 §6.1) as a host asks for it: client data or its hash, rp, user, algorithms. */
export type MakeCredentialRequest = ClientDataSource & {
  rp: { id: string; name?: string };
  user: { id: Uint8Array; name?: string; displayName?: string };
  /** Defaults to ES256 only. */
  pubKeyCredParams?: { type: string; alg: number }[];
  excludeCredentials?: Uint8Array[];
  extensions?: MakeCredentialExtensionInputs;
  options?: { rk?: boolean; uv?: boolean; up?: boolean };
  pinUvAuthToken?: PinUvAuthToken;
  /**
   * Ask for enterprise attestation (CTAP 2.1 §7.1): 1, vendor-facilitated (the authenticator decides by the RP IDs
   * its vendor provisioned), 2, platform-managed (this platform's enterprise policy vouches for the RP ID). Send it
   * only to an authenticator whose getInfo option `ep` is true: others answer CTAP1_ERR_INVALID_PARAMETER.
   */
  enterpriseAttestation?: EnterpriseAttestationKind;
};

/** The new credential: its id, public key, attestation, and the authenticator data it came in. */
export interface MakeCredentialResult {
  credentialId: Uint8Array;
  /** WebAuthn attestationObject: canonical CBOR {fmt, attStmt, authData}. */
  attestationObject: Uint8Array;
  authenticatorData: Uint8Array;
  /** The credential public key as a COSE_Key. */
  publicKey: Uint8Array;
  clientDataJSON?: Uint8Array;
  clientDataHash: Uint8Array;
  fmt: string;
  attStmt: CborMap;
  parsedAuthenticatorData: AuthenticatorData;
  extensions: MakeCredentialExtensionOutputs;
  /** The authenticator returned an enterprise attestation (response member epAtt): its certificate names it. */
  epAtt: boolean;
}

/** authenticatorGetAssertion (CTAP 2.1 §6.2): client data or its hash, rpId, allowed credentials, options. */
export type GetAssertionRequest = ClientDataSource & {
  rpId: string;
  allowCredentials?: Uint8Array[];
  extensions?: GetAssertionExtensionInputs;
  options?: { up?: boolean; uv?: boolean };
  pinUvAuthToken?: PinUvAuthToken;
};

/** One assertion: the credential used, the signed authenticator data and signature, the user for resident keys. */
export interface AssertionResult {
  credentialId: Uint8Array;
  authenticatorData: Uint8Array;
  signature: Uint8Array;
  /** The user handle of a discoverable credential; absent for non-discoverable ones. */
  userHandle?: Uint8Array;
  user?: { id: Uint8Array; name?: string; displayName?: string };
  clientDataJSON?: Uint8Array;
  clientDataHash: Uint8Array;
  parsedAuthenticatorData: AuthenticatorData;
  extensions: GetAssertionExtensionOutputs;
}

function sha256(data: string): Uint8Array {
  return new Uint8Array(hash('sha256', data, 'buffer'));
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function clientDataFor(
  source: ClientDataSource,
  type: 'webauthn.create' | 'webauthn.get',
): ClientData | { clientDataHash: Uint8Array; clientDataJSON?: undefined } {
  if ('clientDataHash' in source) return { clientDataHash: source.clientDataHash };
  return buildClientData({
    type,
    challenge: source.challenge,
    origin: source.origin,
    ...(source.crossOrigin !== undefined ? { crossOrigin: source.crossOrigin } : {}),
  });
}

type ClientDataOf = ReturnType<typeof clientDataFor>;

/** authenticatorMakeCredential's request members (CTAP 2.1 §6.1). */
function makeCredentialParams(request: MakeCredentialRequest, clientData: ClientDataOf): CborInput {
  const token = request.pinUvAuthToken;
  return encodeMembers(MakeCredentialRequest, {
    clientDataHash: clientData.clientDataHash,
    rp: encodeMembers(RpEntity, { id: request.rp.id, name: request.rp.name }),
    user: encodeMembers(UserEntity, {
      id: request.user.id,
      name: request.user.name,
      displayName: request.user.displayName,
    }),
    pubKeyCredParams: (request.pubKeyCredParams ?? [{ type: PUBLIC_KEY_CREDENTIAL_TYPE, alg: Cose.ALG_ES256 }]).map(
      (p) => encodeMembers(PublicKeyCredentialParameters, p),
    ),
    excludeList: descriptors(request.excludeCredentials),
    extensions: makeCredentialExtensionInputs(request.extensions),
    options: request.options === undefined ? undefined : encodeMembers(CeremonyOptions, request.options),
    pinUvAuthParam: token?.authenticate(clientData.clientDataHash),
    pinUvAuthProtocol: token?.protocol.version,
    enterpriseAttestation: request.enterpriseAttestation,
  });
}

/** What a makeCredential reply is checked against and completed with: of the request, only what that needs. */
interface MakeCredentialAsked {
  rpId: string;
  extensions: MakeCredentialExtensionInputs | undefined;
  enterpriseAttestation: boolean;
  clientData: ClientDataOf;
}

/** The new credential from authenticatorMakeCredential's reply, checked against the request (CTAP 2.1 §6.1.2). */
function makeCredentialResult(
  { rpId, extensions, enterpriseAttestation, clientData }: MakeCredentialAsked,
  response: CborMap,
  op: string,
): MakeCredentialResult {
  const {
    fmt,
    authData: authenticatorData,
    attStmt,
    largeBlobKey,
    epAtt,
  } = decodeReply(MakeCredentialResponse, response, op);
  // §6.1.2: epAtt is only for a request that asked for enterprise attestation.
  if (epAtt === true && !enterpriseAttestation)
    throw new Fido2ProtocolError(`${op}: epAtt is true, but no enterprise attestation was asked for`);
  const parsed = parseAuthenticatorData(authenticatorData);
  const attested = parsed.attestedCredentialData;
  if (attested === undefined)
    throw new Fido2ProtocolError(`${op}: authenticatorData carries no attested credential data`);
  if (!equal(parsed.rpIdHash, sha256(rpId)))
    throw new Fido2ProtocolError(`${op}: authenticatorData is for another RP than ${rpId}`);
  return {
    credentialId: attested.credentialId,
    attestationObject: encodeCanonical({ fmt, attStmt, authData: authenticatorData }),
    authenticatorData,
    publicKey: attested.publicKey,
    ...(clientData.clientDataJSON !== undefined ? { clientDataJSON: clientData.clientDataJSON } : {}),
    clientDataHash: clientData.clientDataHash,
    fmt,
    attStmt,
    parsedAuthenticatorData: parsed,
    extensions: makeCredentialExtensionOutputs(
      extensions,
      parsed.extensions,
      largeBlobKey === undefined ? {} : { largeBlobKey },
      op,
    ),
    epAtt: epAtt === true,
  };
}

/**
 * A FIDO2 (CTAP 2.1) client over the band's serialised channel. `transact(Command.CBOR, payload, opts)` is provided
 * by the band client; this class adds canonical CBOR, strict reply decoding and WebAuthn-shaped results.
 */
export class Fido2Client {
  private readonly channel: CtapChannel;
  // The command families are made at first use: most clients only make credentials and assertions, and five
  // objects and a closure per band were kept for nothing (test/bench/fleet.ts).
  #clientPin?: ClientPin;
  #credentialManagement?: CredentialManagement;
  #config?: AuthenticatorConfig;
  #largeBlobs?: LargeBlobs;
  #bio?: BioEnrollment;

  constructor(transact: Transact, defaults?: TransactOptions) {
    this.channel = new CtapChannel(transact, defaults);
  }

  /** authenticatorClientPIN: PIN set and change, key agreement, PIN/UV auth tokens. */
  get clientPin(): ClientPin {
    return (this.#clientPin ??= new ClientPin(this.channel));
  }
  /** authenticatorCredentialManagement: list, update and delete discoverable credentials. */
  get credentialManagement(): CredentialManagement {
    return (this.#credentialManagement ??= new CredentialManagement(this.channel));
  }
  /** authenticatorConfig: enterprise attestation, always-UV, minimum PIN length. */
  get config(): AuthenticatorConfig {
    return (this.#config ??= new AuthenticatorConfig(this.channel));
  }
  /** authenticatorLargeBlobs: the large-blob array and each credential's blob under its largeBlobKey. */
  get largeBlobs(): LargeBlobs {
    return (this.#largeBlobs ??= new LargeBlobs(this.channel, (opts) => this.getInfo(opts)));
  }
  /** authenticatorBioEnrollment: enroll, list, rename and remove fingerprints. */
  get bio(): BioEnrollment {
    return (this.#bio ??= new BioEnrollment(this.channel));
  }

  /** authenticatorGetInfo (CTAP 2.1 §6.4): versions, extensions, AAGUID, options, limits. */
  async getInfo(opts: TransactOptions = {}): Promise<AuthenticatorInfo> {
    return parseAuthenticatorInfo(
      requireReply(
        await this.channel.call(Ctap2.GET_INFO, undefined, 'authenticatorGetInfo', opts),
        'authenticatorGetInfo',
      ),
    );
  }

  /**
   * authenticatorMakeCredential (CTAP 2.1 §6.1): a new credential, after the user taps the band.
   * Not an async function: it waits as long as the person takes to tap, and its frame (every local, the encoded
   * request among them) was kept per band meanwhile (heap snapshot, test/bench/fleet.ts); only what the reply is
   * checked against is kept. A request refused before it is sent still rejects.
   */
  makeCredential(request: MakeCredentialRequest, opts: TransactOptions = {}): Promise<MakeCredentialResult> {
    const op = 'authenticatorMakeCredential';
    let asked: MakeCredentialAsked;
    let response: Promise<CborMap | undefined>;
    try {
      const clientData = clientDataFor(request, 'webauthn.create');
      response = this.channel.call(Ctap2.MAKE_CREDENTIAL, makeCredentialParams(request, clientData), op, opts);
      asked = {
        rpId: request.rp.id,
        extensions: request.extensions,
        enterpriseAttestation: request.enterpriseAttestation !== undefined,
        clientData,
      };
    } catch (error) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- what was thrown, as an async function would
      return Promise.reject(error);
    }
    return response.then((reply) => makeCredentialResult(asked, requireReply(reply, op), op));
  }

  /**
   * authenticatorGetAssertion, followed by getNextAssertion for every further credential the authenticator
   * reports (numberOfCredentials), so all matching discoverable credentials come back, newest first.
   */
  async getAssertion(request: GetAssertionRequest, opts: TransactOptions = {}): Promise<AssertionResult[]> {
    const op = 'authenticatorGetAssertion';
    const clientData = clientDataFor(request, 'webauthn.get');
    const token = request.pinUvAuthToken;
    const extensions = await getAssertionExtensionInputs(request.extensions, {
      keyAgreement: async (version) => {
        const { protocol, keyAgreement, sharedSecret } = await this.clientPin.keyAgreement(version, opts);
        return {
          keyAgreement,
          version: protocol.version,
          encrypt: (plaintext) => protocol.encrypt(sharedSecret, plaintext),
          authenticate: (message) => protocol.authenticate(sharedSecret, message),
          decrypt: (ciphertext) => protocol.decrypt(sharedSecret, ciphertext),
        };
      },
    });
    const params = encodeMembers(GetAssertionRequest, {
      rpId: request.rpId,
      clientDataHash: clientData.clientDataHash,
      allowList: descriptors(request.allowCredentials),
      extensions: extensions.input,
      options:
        request.options === undefined
          ? undefined
          : encodeMembers(CeremonyOptions, { up: request.options.up, uv: request.options.uv }),
      pinUvAuthParam: token?.authenticate(clientData.clientDataHash),
      pinUvAuthProtocol: token?.protocol.version,
    });
    const first = requireReply(await this.channel.call(Ctap2.GET_ASSERTION, params, op, opts), op);
    const results = [this.assertionResult(first, request, clientData, extensions, op)];
    const count = decodeReply(GetAssertionResponse, first, op).numberOfCredentials ?? 1;
    for (let i = 1; i < count; i++) {
      const next = requireReply(
        await this.channel.call(Ctap2.GET_NEXT_ASSERTION, undefined, 'authenticatorGetNextAssertion', opts),
        'authenticatorGetNextAssertion',
      );
      results.push(this.assertionResult(next, request, clientData, extensions, 'authenticatorGetNextAssertion'));
    }
    return results;
  }

  private assertionResult(
    response: CborMap,
    request: GetAssertionRequest,
    clientData: { clientDataHash: Uint8Array; clientDataJSON?: Uint8Array },
    extensions: PendingClientExtensions,
    op: string,
  ): AssertionResult {
    const members = decodeReply(GetAssertionResponse, response, op);
    let credentialId =
      members.credential === undefined
        ? undefined
        : decodeReply(PublicKeyCredentialDescriptor, members.credential, `${op} credential`).id;
    // §6.2.2: the credential member may be omitted when the allowList named exactly one credential.
    if (credentialId === undefined && request.allowCredentials?.length === 1)
      credentialId = request.allowCredentials[0];
    if (credentialId === undefined) throw new Fido2ProtocolError(`${op}: the response names no credential`);
    const authenticatorData = members.authData;
    const parsed = parseAuthenticatorData(authenticatorData);
    if (!equal(parsed.rpIdHash, sha256(request.rpId)))
      throw new Fido2ProtocolError(`${op}: authenticatorData is for another RP than ${request.rpId}`);
    let user: AssertionResult['user'];
    if (members.user !== undefined) {
      const { id, name, displayName } = decodeReply(UserEntity, members.user, `${op} user`);
      user = {
        id,
        ...(name !== undefined ? { name } : {}),
        ...(displayName !== undefined ? { displayName } : {}),
      };
    }
    return {
      credentialId,
      authenticatorData,
      signature: members.signature,
      ...(user !== undefined ? { userHandle: user.id, user } : {}),
      ...(clientData.clientDataJSON !== undefined ? { clientDataJSON: clientData.clientDataJSON } : {}),
      clientDataHash: clientData.clientDataHash,
      parsedAuthenticatorData: parsed,
      extensions: extensions.read(
        parsed.extensions,
        members.largeBlobKey === undefined ? {} : { largeBlobKey: members.largeBlobKey },
        op,
      ),
    };
  }

  /** authenticatorReset: erases every credential and the PIN; the band accepts it only within 10 s of power-up, after a touch. */
  async reset(opts: TransactOptions = {}): Promise<void> {
    await this.channel.call(Ctap2.RESET, undefined, 'authenticatorReset', opts);
  }

  /** authenticatorSelection: asks the user to touch this authenticator. */
  async selection(opts: TransactOptions = {}): Promise<void> {
    await this.channel.call(Ctap2.SELECTION, undefined, 'authenticatorSelection', opts);
  }
}
