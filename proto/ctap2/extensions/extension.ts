import type { CborInput, CborValue } from '../canonical-cbor.js';
import type { AuthenticatorGetInfoResponse } from '../get-info.js';
import type { Encodable } from '../members.js';

/**
 * The typed extension model (CTAP 2.1 §12): one module per extension declares, for both ends of the wire, what the
 * extension adds to makeCredential and getAssertion, its getInfo entry and its processing. The band's authenticator
 * runs the `authenticator` half through the contexts below; the host's Fido2Client runs the `client` half. Shaped
 * after python-fido2's Ctap2Extension classes (one class per extension, input processing and output parsing) and
 * OpenSK's typed extension structs, written for this stack.
 */

/** credProtect levels (§12.1): 1 userVerificationOptional, 2 ...OptionalWithCredentialIDList, 3 ...Required. */
export type CredProtectLevel = 1 | 2 | 3;

/**
 * What an extension may keep with a credential. credProtect is sealed into the credential ID (every credential has
 * a level); `stored` is kept in the discoverable credential's record, keyed by extension id (non-discoverable
 * credentials keep nothing there).
 */
export interface CredentialExtensionState {
  credProtect: CredProtectLevel;
  stored: Map<string, CborValue>;
}

/** The authenticator's settings extensions read (getInfo entries and policies). */
export interface AuthenticatorExtensionSettings {
  /** getInfo maxCredBlobLength (§6.4, §12.2). */
  maxCredBlobLength: number;
  /** The current minimum PIN length (§6.4 minPINLength). */
  minPinLength: number;
  /**
   * RP IDs that may read the minimum PIN length through the minPinLength extension (§12.4). Set by
   * authenticatorConfig setMinPINLength; empty until then.
   */
  minPinLengthRpIds: readonly string[];
}

export interface MakeCredentialExtensionContext {
  rpId: string;
  /** The credential being made is discoverable (rk). */
  discoverable: boolean;
  userVerified: boolean;
  settings: AuthenticatorExtensionSettings;
  /** The new credential's state; processing sets what the extension keeps with it. */
  credential: CredentialExtensionState;
  random(n: number): Uint8Array;
}

/**
 * What an extension answers outside the authenticator data, as members of the command's response: largeBlobKey
 * (§12.3) is makeCredential's member 0x05 and getAssertion's member 0x07, unsigned and never in the extensions map.
 */
export interface ExtensionResponseMembers {
  largeBlobKey?: Uint8Array;
}

/** A channel over the shared secret of a platform key agreement (PIN/UV auth protocol one or two, §6.5.6-7). */
export interface SharedSecretChannel {
  readonly version: number;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
  /** undefined for a ciphertext of impossible length. */
  decrypt(ciphertext: Uint8Array): Uint8Array | undefined;
  encrypt(plaintext: Uint8Array): Uint8Array;
}

export interface GetAssertionExtensionContext {
  /** The request asks for user presence (option up, default true). */
  up: boolean;
  userVerified: boolean;
  /**
   * decapsulate() with the authenticator's key agreement key for `protocol` (§6.5.6); throws the CtapFailure the
   * spec gives for an unsupported protocol or a key that is not on the curve.
   */
  sharedSecret(protocol: number, platformKeyAgreement: CborValue, where: string): SharedSecretChannel;
}

export interface GetAssertionCredentialContext {
  userVerified: boolean;
  credential: Readonly<CredentialExtensionState>;
  /** hmac-secret's CredRandom for this credential (§12.5), with or without UV. */
  credRandom(userVerified: boolean): Uint8Array;
  random(n: number): Uint8Array;
}

/** The authenticator half of an extension. Inputs are parsed before the user is asked to touch. */
export interface AuthenticatorExtension<McInput = unknown, GaInput = unknown, GaPrepared = unknown> {
  /** getInfo members the extension adds besides its id in `extensions` (§6.4). */
  info?(settings: AuthenticatorExtensionSettings): Partial<Encodable<typeof AuthenticatorGetInfoResponse>>;
  makeCredential?: {
    /**
     * Type-checks the input; throws CtapFailure (§12: malformed input is the request's error). `rk` is the request's
     * option, for extensions that only apply to discoverable credentials.
     */
    parse(input: CborValue, where: string, ctx: { rk: boolean }): McInput;
    /** Runs after user presence; returns the authenticator extension output, or undefined for none. */
    process(input: McInput, ctx: MakeCredentialExtensionContext): CborInput | undefined;
    /** Runs after `process` with the same context: the response members the extension answers. */
    response?(input: McInput, ctx: MakeCredentialExtensionContext): ExtensionResponseMembers;
  };
  getAssertion?: {
    parse(input: CborValue, where: string, ctx: { up: boolean }): GaInput;
    /** Work done once per request, before user presence (e.g. decrypting salts); undefined drops the extension. */
    prepare(input: GaInput, ctx: GetAssertionExtensionContext): GaPrepared | undefined;
    /** The output for one credential (getAssertion and each getNextAssertion). */
    output(prepared: GaPrepared, ctx: GetAssertionCredentialContext): CborInput | undefined;
    /** The response members for one credential. */
    response?(prepared: GaPrepared, ctx: GetAssertionCredentialContext): ExtensionResponseMembers;
  };
}

/** The platform's PIN/UV auth protocol over a fresh key agreement with the authenticator (clientPIN §6.5.5.4). */
export interface ClientKeyAgreement {
  /** The platform's COSE key to send. */
  keyAgreement: CborInput;
  version: number;
  encrypt(plaintext: Uint8Array): Uint8Array;
  authenticate(message: Uint8Array): Uint8Array;
  decrypt(ciphertext: Uint8Array): Uint8Array;
}

export interface ClientExtensionContext {
  keyAgreement(protocol: 1 | 2): Promise<ClientKeyAgreement>;
}

/**
 * The client half: builds the authenticator input from what the caller asked for and reads the authenticator's
 * output. `name` is the member of Fido2Client's `extensions` request and result objects.
 */
export interface ClientExtension<McIn = never, McOut = never, GaIn = never, GaOut = never, GaState = unknown> {
  readonly name: string;
  makeCredential?: {
    input(value: McIn): CborInput | undefined;
    /** Reads the output in the authenticator data. Throws ExtensionOutputError for an output of the wrong shape. */
    output?(value: CborValue): McOut;
    /** Reads the output from the response members (§12.3 largeBlobKey); undefined when there is none. */
    response?(members: ExtensionResponseMembers): McOut | undefined;
  };
  getAssertion?: {
    input(value: GaIn, ctx: ClientExtensionContext): Promise<{ input: CborInput; state: GaState } | undefined>;
    output?(value: CborValue, state: GaState): GaOut;
    response?(members: ExtensionResponseMembers): GaOut | undefined;
  };
}

/** One extension, both halves (CTAP 2.1 §12). */
export interface Ctap2Extension<
  McIn = never,
  McOut = never,
  GaIn = never,
  GaOut = never,
  GaState = unknown,
  AMcInput = unknown,
  AGaInput = unknown,
  AGaPrepared = unknown,
> {
  /** The extension identifier on the wire and in getInfo extensions. */
  readonly id: string;
  authenticator: AuthenticatorExtension<AMcInput, AGaInput, AGaPrepared>;
  client: ClientExtension<McIn, McOut, GaIn, GaOut, GaState>;
}

/** A reply's extension output that does not have the extension's shape: the client reports it as a protocol error. */
export class ExtensionOutputError extends Error {
  override readonly name = 'ExtensionOutputError';
}

/** A getAssertion extension after `prepare`: kept for the request's getNextAssertion follow-ups. */
export interface PreparedExtension {
  id: string;
  output(ctx: GetAssertionCredentialContext): CborInput | undefined;
  response(ctx: GetAssertionCredentialContext): ExtensionResponseMembers;
}
