import type {
  AuthenticationExtensionsClientInputs,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialDescriptorJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';

/**
 * The options JSON a WebAuthn client turns into CTAP2 commands, built here rather than by @simplewebauthn/server so
 * a relying party that only registers the band's attestation formats never loads that library (about 30 MB of
 * resident memory in every host process). The shape and values are the library's for the same inputs
 * (`test/directory/ceremony-options.test.ts` keeps it as the oracle).
 */

/** A credential the client must not create again on the same authenticator, or may use to authenticate. */
export interface CredentialRef {
  /** base64url, unpadded (the relying party's state holds only such IDs). */
  id: string;
  transports?: string[];
}

export interface RegistrationOptionsInput {
  rpName: string;
  rpID: string;
  userName: string;
  /** The user handle: its bytes, or the base64url text a relying party keeps (used as it is, not re-encoded). */
  userID: Uint8Array | string;
  userDisplayName: string;
  challenge: Uint8Array;
  timeout: number;
  attestation: 'direct' | 'enterprise';
  excludeCredentials: CredentialRef[];
  authenticatorAttachment: 'cross-platform';
  userVerification: 'required' | 'preferred';
  algorithms: readonly number[];
}

/**
 * The parts of the creation options that are the same in every ceremony of a relying party (who it is, the
 * algorithms, the authenticator selection) and in every ceremony at all (the extensions, the hints): a relying party
 * builds them once (`registrationConstants`) and every options object it hands out shares them, frozen, so a pending
 * ceremony's options cost only their per-ceremony fields (a thousand bands registering at once hold a thousand).
 */
export interface RegistrationConstants {
  readonly rp: Readonly<PublicKeyCredentialCreationOptionsJSON['rp']>;
  readonly pubKeyCredParams: readonly Readonly<PublicKeyCredentialCreationOptionsJSON['pubKeyCredParams'][number]>[];
  readonly authenticatorSelection: Readonly<
    NonNullable<PublicKeyCredentialCreationOptionsJSON['authenticatorSelection']>
  >;
}

/** credProps (§10.1.3): the client reports whether the credential came out discoverable. */
const EXTENSIONS: Readonly<AuthenticationExtensionsClientInputs> = Object.freeze({ credProps: true });
const NO_HINTS: readonly never[] = Object.freeze([]);

type ConstantsInput = Pick<
  RegistrationOptionsInput,
  'rpName' | 'rpID' | 'algorithms' | 'authenticatorAttachment' | 'userVerification'
>;

/** The frozen parts `registrationOptions` shares between the options objects of one relying party. */
export function registrationConstants(input: ConstantsInput): RegistrationConstants {
  return Object.freeze({
    rp: Object.freeze({ name: input.rpName, id: input.rpID }),
    pubKeyCredParams: Object.freeze(input.algorithms.map((alg) => Object.freeze({ alg, type: 'public-key' as const }))),
    // §5.4.4: the band keeps no discoverable credential for this RP; requireResidentKey is true iff residentKey is
    // "required" (kept for L1 clients).
    authenticatorSelection: Object.freeze({
      authenticatorAttachment: input.authenticatorAttachment,
      residentKey: 'discouraged' as const,
      requireResidentKey: false,
      userVerification: input.userVerification,
    }),
  });
}

/**
 * PublicKeyCredentialCreationOptions (WebAuthn L2 §5.4), JSON-encoded as WebAuthn L3 §5.1.8 says. `constants`, the
 * relying party's own (`registrationConstants`), must have been built from the same input; omitted, they are built
 * for this call. Either way `rp`, `pubKeyCredParams`, `authenticatorSelection`, `extensions` and `hints` are frozen.
 */
export function registrationOptions(
  input: RegistrationOptionsInput,
  constants: RegistrationConstants = registrationConstants(input),
): PublicKeyCredentialCreationOptionsJSON {
  // The JSON types are mutable; what they are given here is frozen and never written (read-only options).
  const shared = constants as PublicKeyCredentialCreationOptionsJSON;
  return {
    challenge: base64url(input.challenge),
    rp: shared.rp,
    user: {
      id: typeof input.userID === 'string' ? input.userID : base64url(input.userID),
      name: input.userName,
      displayName: input.userDisplayName,
    },
    pubKeyCredParams: shared.pubKeyCredParams,
    timeout: input.timeout,
    // "direct" asks a browser not to strip the band's attestation, "enterprise" asks the band for its enterprise
    // attestation (§5.4.7).
    attestation: input.attestation,
    excludeCredentials: input.excludeCredentials.map(credentialDescriptor),
    authenticatorSelection: shared.authenticatorSelection,
    extensions: EXTENSIONS,
    hints: NO_HINTS as never[],
  };
}

export interface AuthenticationOptionsInput {
  rpID: string;
  challenge: Uint8Array;
  timeout: number;
  allowCredentials: CredentialRef[];
  userVerification: 'required' | 'preferred';
}

/** PublicKeyCredentialRequestOptions (WebAuthn L2 §5.5), JSON-encoded. */
export function authenticationOptions(input: AuthenticationOptionsInput): PublicKeyCredentialRequestOptionsJSON {
  return {
    rpId: input.rpID,
    challenge: base64url(input.challenge),
    allowCredentials: input.allowCredentials.map(credentialDescriptor),
    timeout: input.timeout,
    userVerification: input.userVerification,
    extensions: undefined,
  };
}

/** PublicKeyCredentialDescriptor (§5.8.3). */
function credentialDescriptor(credential: CredentialRef): PublicKeyCredentialDescriptorJSON {
  // The transports are the ones the client reported at registration, passed back as they came.
  return {
    ...credential,
    id: credential.id.replace(/=/g, ''),
    type: 'public-key',
  };
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64url');
}
