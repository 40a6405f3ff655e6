import { Fido2ProtocolError } from './ctap-error.js';
import type { AssertionResult, MakeCredentialResult } from './fido2-client.js';

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

/**
 * The JSON a browser posts to a relying party after navigator.credentials.create() (WebAuthn L3
 * RegistrationResponseJSON), so a server library such as @simplewebauthn/server can verify a band registration.
 * Needs the result of a makeCredential that was given a challenge and origin (so clientDataJSON exists).
 */
export function registrationResponseJSON(result: MakeCredentialResult, transports: string[] = ['usb']) {
  if (result.clientDataJSON === undefined)
    throw new Fido2ProtocolError(
      'registrationResponseJSON needs clientDataJSON: call makeCredential with challenge and origin',
    );
  const id = b64url(result.credentialId);
  return {
    id,
    rawId: id,
    type: 'public-key' as const,
    clientExtensionResults: {},
    response: {
      clientDataJSON: b64url(result.clientDataJSON),
      attestationObject: b64url(result.attestationObject),
      authenticatorData: b64url(result.authenticatorData),
      transports,
      publicKeyAlgorithm: -7,
    },
  };
}

/** The JSON a browser posts after navigator.credentials.get() (WebAuthn L3 AuthenticationResponseJSON). */
export function authenticationResponseJSON(result: AssertionResult) {
  if (result.clientDataJSON === undefined)
    throw new Fido2ProtocolError(
      'authenticationResponseJSON needs clientDataJSON: call getAssertion with challenge and origin',
    );
  const id = b64url(result.credentialId);
  return {
    id,
    rawId: id,
    type: 'public-key' as const,
    clientExtensionResults: {},
    response: {
      clientDataJSON: b64url(result.clientDataJSON),
      authenticatorData: b64url(result.authenticatorData),
      signature: b64url(result.signature),
      ...(result.userHandle !== undefined ? { userHandle: b64url(result.userHandle) } : {}),
    },
  };
}
