import { createHash } from 'node:crypto';

export interface ClientDataInput {
  type: 'webauthn.create' | 'webauthn.get';
  /** The relying party's challenge: raw bytes, or already base64url-encoded as RPs hand it out. */
  challenge: Uint8Array | string;
  /** e.g. 'https://example.com' */
  origin: string;
  crossOrigin?: boolean;
}

export interface ClientData {
  clientDataJSON: Uint8Array;
  clientDataHash: Uint8Array;
}

/**
 * Builds CollectedClientData (WebAuthn §5.8.1) the way a browser does, member order type, challenge, origin,
 * crossOrigin, and its SHA-256 for the authenticator. A relying party verifies the JSON; the authenticator signs
 * the hash.
 */
export function buildClientData(input: ClientDataInput): ClientData {
  const challenge =
    typeof input.challenge === 'string' ? input.challenge : Buffer.from(input.challenge).toString('base64url');
  const json = JSON.stringify({
    type: input.type,
    challenge,
    origin: input.origin,
    crossOrigin: input.crossOrigin ?? false,
  });
  const clientDataJSON = new TextEncoder().encode(json);
  return { clientDataJSON, clientDataHash: new Uint8Array(createHash('sha256').update(clientDataJSON).digest()) };
}
