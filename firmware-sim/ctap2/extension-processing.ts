import type { CborInput, CborMap, CborValue } from '../../proto/ctap2/canonical-cbor.js';
import { fail } from '../../proto/ctap2/ctap-failure.js';
import {
  CTAP2_EXTENSIONS,
  type AuthenticatorExtensionSettings,
  type CredentialExtensionState,
  CredProtect,
  type ExtensionResponseMembers,
  type GetAssertionCredentialContext,
  type MakeCredentialExtensionContext,
  type PreparedExtension,
  type SharedSecretChannel,
} from '../../proto/ctap2/extensions/index.js';
import { MAX_CRED_BLOB_LENGTH } from '../../proto/limits.js';
import { CtapStatus } from '../../proto/ctap2/status.js';
import type { CommandContext } from './command-context.js';
import { parsePlatformKeyAgreement } from './cose-key.js';
import { pinUvAuthProtocol } from './pin-uv-protocol.js';

/**
 * Runs the extension modules of proto/ctap2/extensions/ inside makeCredential and getAssertion: parses the inputs a
 * request names (unknown extension ids are ignored, CTAP 2.1 §12), processes them and collects the outputs for the
 * authenticator data. What an extension does is its module's business; this file only gives it the band's state.
 */

export function extensionSettings(c: CommandContext): AuthenticatorExtensionSettings {
  return {
    maxCredBlobLength: MAX_CRED_BLOB_LENGTH,
    minPinLength: c.store.minPinLength(),
    minPinLengthRpIds: c.store.minPinLengthRpIds(),
  };
}

/** getInfo: every extension id, and the members some of them add. */
export function extensionInfo(c: CommandContext): { ids: string[]; members: Record<string, CborInput> } {
  const settings = extensionSettings(c);
  const members: Record<string, CborInput> = {};
  for (const extension of CTAP2_EXTENSIONS) Object.assign(members, extension.authenticator.info?.(settings));
  return { ids: CTAP2_EXTENSIONS.map((extension) => extension.id), members };
}

export interface MakeCredentialExtensions {
  /**
   * Runs after user presence: what the new credential keeps, the authenticator extension outputs, and the response
   * members extensions answer outside the authenticator data.
   */
  process(ctx: Omit<MakeCredentialExtensionContext, 'credential'>): {
    credential: CredentialExtensionState;
    outputs: Map<string, CborInput>;
    response: ExtensionResponseMembers;
  };
}

/** Parses makeCredential's extension inputs (before user presence, so a bad input costs no touch). */
export function makeCredentialExtensions(
  extensions: CborMap | undefined,
  where: string,
  request: { rk: boolean },
): MakeCredentialExtensions {
  const parsed: {
    id: string;
    run: (ctx: MakeCredentialExtensionContext) => CborInput | undefined;
    response: (ctx: MakeCredentialExtensionContext) => ExtensionResponseMembers;
  }[] = [];
  for (const extension of CTAP2_EXTENSIONS) {
    const handler = extension.authenticator.makeCredential;
    const value = extensions?.get(extension.id);
    if (handler === undefined || value === undefined) continue;
    const input = handler.parse(value, `${where} extensions`, request);
    parsed.push({
      id: extension.id,
      run: (ctx) => handler.process(input, ctx),
      response: (ctx) => handler.response?.(input, ctx) ?? {},
    });
  }
  return {
    process(ctx) {
      const credential: CredentialExtensionState = {
        credProtect: CredProtect.USER_VERIFICATION_OPTIONAL,
        stored: new Map(),
      };
      const outputs = new Map<string, CborInput>();
      const response: ExtensionResponseMembers = {};
      for (const { id, run, response: members } of parsed) {
        const output = run({ ...ctx, credential });
        if (output !== undefined) outputs.set(id, output);
        Object.assign(response, members({ ...ctx, credential }));
      }
      return { credential, outputs, response };
    },
  };
}

/** decapsulate() (§6.5.6) as a channel for extensions: ECDH with the band's key agreement key, then the KDF. */
function sharedSecretChannel(
  c: CommandContext,
  version: number,
  keyAgreement: CborValue,
  where: string,
): SharedSecretChannel {
  const protocol = pinUvAuthProtocol(version);
  if (protocol === undefined)
    fail(CtapStatus.CTAP1_ERR_INVALID_PARAMETER, `${where}: pinUvAuthProtocol ${version} is not supported; use 2 or 1`);
  const peer = parsePlatformKeyAgreement(keyAgreement, `${where} keyAgreement`);
  const z = c.volatile.keyAgreementKey(protocol.version).sharedSecret(peer.x, peer.y);
  if (z === undefined) fail(CtapStatus.CTAP1_ERR_INVALID_PARAMETER, `${where}: keyAgreement is not a point on P-256`);
  const secret = protocol.kdf(z);
  return {
    version: protocol.version,
    verify: (message, signature) => protocol.verify(secret, message, signature),
    decrypt: (ciphertext) => protocol.decrypt(secret, ciphertext),
    encrypt: (plaintext) => protocol.encrypt(secret, plaintext, (n) => c.env.random(n)),
  };
}

export interface GetAssertionExtensions {
  /** Work done once per request after user verification and before presence; the result outlives the command. */
  prepare(c: CommandContext, ctx: { up: boolean; userVerified: boolean }): PreparedExtension[];
}

/** Parses getAssertion's extension inputs. */
export function getAssertionExtensions(
  extensions: CborMap | undefined,
  where: string,
  request: { up: boolean },
): GetAssertionExtensions {
  const parsed: { id: string; prepare: GetAssertionExtensions['prepare'] }[] = [];
  for (const extension of CTAP2_EXTENSIONS) {
    const handler = extension.authenticator.getAssertion;
    const value = extensions?.get(extension.id);
    if (handler === undefined || value === undefined) continue;
    const input = handler.parse(value, `${where} extensions`, request);
    parsed.push({
      id: extension.id,
      prepare: (c, ctx) => {
        const prepared = handler.prepare(input, {
          ...ctx,
          sharedSecret: (version, keyAgreement, label) => sharedSecretChannel(c, version, keyAgreement, label),
        });
        return prepared === undefined
          ? []
          : [
              {
                id: extension.id,
                output: (credentialCtx) => handler.output(prepared, credentialCtx),
                response: (credentialCtx) => handler.response?.(prepared, credentialCtx) ?? {},
              },
            ];
      },
    });
  }
  return { prepare: (c, ctx) => parsed.flatMap(({ prepare }) => prepare(c, ctx)) };
}

/** The outputs of one assertion: in the authenticator data, and as response members. */
export function getAssertionOutputs(
  prepared: readonly PreparedExtension[],
  ctx: GetAssertionCredentialContext,
): { outputs: Map<string, CborInput>; response: ExtensionResponseMembers } {
  const outputs = new Map<string, CborInput>();
  const response: ExtensionResponseMembers = {};
  for (const extension of prepared) {
    const output = extension.output(ctx);
    if (output !== undefined) outputs.set(extension.id, output);
    Object.assign(response, extension.response(ctx));
  }
  return { outputs, response };
}
