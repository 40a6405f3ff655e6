import { createHmac } from 'node:crypto';
import type { CborValue } from '../../proto/ctap2/canonical-cbor.js';
import { PinUvAuthProtocolId } from '../../proto/ctap2/client-pin.js';
import { HmacSecretGetInput } from '../../proto/ctap2/extensions/hmac-secret.js';
import type { CommandContext } from './command-context.js';
import { parsePlatformKeyAgreement } from './cose-key.js';
import { CtapStatus, fail } from './ctap-failure.js';
import { pinUvAuthProtocol, type PinUvAuthProtocol } from './pin-uv-protocol.js';
import { parseMembers } from './request-fields.js';

/**
 * hmac-secret (CTAP 2.1 §12.5), getAssertion side. The platform sends {1: keyAgreement, 2: saltEnc, 3: saltAuth,
 * 4: pinUvAuthProtocol (default 1)}; the shared secret comes from the same key agreement key as clientPIN's
 * getKeyAgreement. The salts are checked and decrypted before the user is asked to touch, so a bad request fails
 * without a pointless prompt; the outputs are computed per credential afterwards.
 */
export interface HmacSecretRequest {
  protocol: PinUvAuthProtocol;
  sharedSecret: Uint8Array;
  salts: Uint8Array;
}

const WHERE = 'getAssertion extension "hmac-secret"';

export function prepareHmacSecret(c: CommandContext, input: CborValue): HmacSecretRequest {
  const {
    keyAgreement: keyAgreementValue,
    saltEnc,
    saltAuth,
    pinUvAuthProtocol: requestedVersion,
  } = parseMembers(HmacSecretGetInput, input, WHERE);
  const version = requestedVersion ?? PinUvAuthProtocolId.ONE;
  const protocol = pinUvAuthProtocol(version);
  if (protocol === undefined)
    fail(CtapStatus.CTAP1_ERR_INVALID_PARAMETER, `${WHERE}: pinUvAuthProtocol ${version} is not supported; use 2 or 1`);
  const peer = parsePlatformKeyAgreement(keyAgreementValue, `${WHERE} keyAgreement`);
  const z = c.volatile.keyAgreementKey(protocol.version).sharedSecret(peer.x, peer.y);
  if (z === undefined) fail(CtapStatus.CTAP1_ERR_INVALID_PARAMETER, `${WHERE}: keyAgreement is not a point on P-256`);
  const sharedSecret = protocol.kdf(z);
  if (!protocol.verify(sharedSecret, saltEnc, saltAuth)) {
    fail(
      CtapStatus.CTAP2_ERR_PIN_AUTH_INVALID,
      `${WHERE}: saltAuth does not verify; was saltEnc made with the current getKeyAgreement key?`,
    );
  }
  const salts = protocol.decrypt(sharedSecret, saltEnc);
  if (salts === undefined || (salts.length !== 32 && salts.length !== 64)) {
    fail(
      CtapStatus.CTAP1_ERR_INVALID_LENGTH,
      `${WHERE}: decrypted salts must be 32 or 64 bytes; got ${salts?.length ?? 'an undecryptable length'}`,
    );
  }
  return { protocol, sharedSecret, salts };
}

/** encrypt(sharedSecret, HMAC(CredRandom, salt1) [|| HMAC(CredRandom, salt2)]). */
export function hmacSecretOutput(
  request: HmacSecretRequest,
  credRandom: Uint8Array,
  random: (n: number) => Uint8Array,
): Uint8Array {
  const outputs: Uint8Array[] = [];
  for (let offset = 0; offset < request.salts.length; offset += 32) {
    outputs.push(
      createHmac('sha256', credRandom)
        .update(request.salts.subarray(offset, offset + 32))
        .digest(),
    );
  }
  const plain = new Uint8Array(Buffer.concat(outputs));
  return request.protocol.encrypt(request.sharedSecret, plain, random);
}
