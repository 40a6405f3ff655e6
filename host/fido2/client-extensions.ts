import type { CborInput, CborMap, CborValue } from '../../proto/ctap2/canonical-cbor.js';
import {
  CTAP2_EXTENSIONS,
  ExtensionOutputError,
  type ClientExtensionContext,
  type ExtensionResponseMembers,
  type GetAssertionExtensionInputs,
  type GetAssertionExtensionOutputs,
  type MakeCredentialExtensionInputs,
  type MakeCredentialExtensionOutputs,
} from '../../proto/ctap2/extensions/index.js';
import { Fido2ProtocolError } from './ctap-error.js';

/**
 * Fido2Client's side of the extension modules (proto/ctap2/extensions/): builds the authenticator inputs from the
 * caller's `extensions` object (by each module's client name) and reads the outputs of the extensions it asked for
 * from the authenticator data. An output of the wrong shape is the authenticator's fault: a Fido2ProtocolError.
 */

function requested(inputs: object | undefined): [(typeof CTAP2_EXTENSIONS)[number], unknown][] {
  if (inputs === undefined) return [];
  const byName = inputs as Record<string, unknown>;
  return CTAP2_EXTENSIONS.flatMap((extension) => {
    const value = byName[extension.client.name];
    return value === undefined ? [] : [[extension, value] as [(typeof CTAP2_EXTENSIONS)[number], unknown]];
  });
}

function readOutput<T>(operation: string, id: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ExtensionOutputError)
      throw new Fido2ProtocolError(`${operation}: extension ${id}: ${error.message}`, { cause: error });
    throw error;
  }
}

export function makeCredentialExtensionInputs(inputs: MakeCredentialExtensionInputs | undefined): CborMap | undefined {
  const out = new Map<string, CborValue>();
  for (const [extension, value] of requested(inputs)) {
    const input = extension.client.makeCredential?.input(value);
    if (input !== undefined) out.set(extension.id, input as CborValue);
  }
  return out.size === 0 ? undefined : out;
}

/**
 * The outputs of the extensions the caller asked for: from the authenticator data's extensions map, or from the
 * response members outside it (largeBlobKey).
 */
export function makeCredentialExtensionOutputs(
  inputs: MakeCredentialExtensionInputs | undefined,
  outputs: CborMap | undefined,
  response: ExtensionResponseMembers,
  operation: string,
): MakeCredentialExtensionOutputs {
  const result: Record<string, unknown> = {};
  for (const [extension] of requested(inputs)) {
    const handler = extension.client.makeCredential;
    if (handler === undefined) continue;
    const value = outputs?.get(extension.id);
    let output: unknown;
    if (value !== undefined && handler.output !== undefined)
      output = readOutput(operation, extension.id, () => handler.output?.(value));
    else if (handler.response !== undefined)
      output = readOutput(operation, extension.id, () => handler.response?.(response));
    if (output !== undefined) result[extension.client.name] = output;
  }
  return result;
}

/** getAssertion inputs, and what each extension must remember to read its outputs (hmac-secret's shared secret). */
export interface PendingClientExtensions {
  input: CborMap | undefined;
  read(
    outputs: CborMap | undefined,
    response: ExtensionResponseMembers,
    operation: string,
  ): GetAssertionExtensionOutputs;
}

export async function getAssertionExtensionInputs(
  inputs: GetAssertionExtensionInputs | undefined,
  ctx: ClientExtensionContext,
): Promise<PendingClientExtensions> {
  const input = new Map<string, CborInput>();
  const readers: ((
    outputs: CborMap | undefined,
    response: ExtensionResponseMembers,
    operation: string,
    result: Record<string, unknown>,
  ) => void)[] = [];
  for (const [extension, value] of requested(inputs)) {
    const handler = extension.client.getAssertion;
    if (handler === undefined) continue;
    const built = await handler.input(value, ctx);
    if (built === undefined) continue;
    input.set(extension.id, built.input);
    readers.push((outputs, response, operation, result) => {
      const output = outputs?.get(extension.id);
      let value: unknown;
      if (output !== undefined && handler.output !== undefined)
        value = readOutput(operation, extension.id, () => handler.output?.(output, built.state));
      else if (handler.response !== undefined)
        value = readOutput(operation, extension.id, () => handler.response?.(response));
      if (value !== undefined) result[extension.client.name] = value;
    });
  }
  return {
    input: input.size === 0 ? undefined : (input as CborMap),
    read(outputs, response, operation) {
      const result: Record<string, unknown> = {};
      for (const reader of readers) reader(outputs, response, operation, result);
      return result;
    },
  };
}
