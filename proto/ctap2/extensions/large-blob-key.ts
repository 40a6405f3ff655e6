import type { CborValue } from '../canonical-cbor.js';
import { fail } from '../ctap-failure.js';
import { LARGE_BLOB_KEY_BYTES } from '../large-blobs.js';
import { cborTypeName } from '../members.js';
import { CtapStatus } from '../status.js';
import { ExtensionOutputError, type Ctap2Extension, type ExtensionResponseMembers } from './extension.js';

/**
 * largeBlobKey (CTAP 2.1 §12.3): makeCredential with input `true` and the rk option gives the new discoverable
 * credential a random 32-byte key, kept in its record; makeCredential (member 0x05) and getAssertion with input
 * `true` (member 0x07) return it outside the authenticator data. The platform encrypts the credential's entry of the
 * large-blob array (authenticatorLargeBlobs, §6.10) under it. `false` is not a valid input, and a non-discoverable
 * credential has no record to keep a key in: both are CTAP2_ERR_INVALID_OPTION, before the user is asked to touch.
 */
export const LARGE_BLOB_KEY = 'largeBlobKey';

function parseTrue(input: CborValue, where: string): true {
  if (typeof input !== 'boolean')
    fail(
      CtapStatus.CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
      `${where} "${LARGE_BLOB_KEY}" must be a boolean; got a ${cborTypeName(input)}`,
    );
  if (!input) fail(CtapStatus.CTAP2_ERR_INVALID_OPTION, `${where} "${LARGE_BLOB_KEY}" may only be true`);
  return true;
}

/** The largeBlobKey a credential's record keeps, if it was made with one. */
export function storedLargeBlobKey(stored: ReadonlyMap<string, CborValue>): Uint8Array | undefined {
  const key = stored.get(LARGE_BLOB_KEY);
  return key instanceof Uint8Array && key.length === LARGE_BLOB_KEY_BYTES ? key : undefined;
}

function storedKey(stored: ReadonlyMap<string, CborValue>): ExtensionResponseMembers {
  const key = storedLargeBlobKey(stored);
  return key !== undefined ? { largeBlobKey: key } : {};
}

function readKey(members: ExtensionResponseMembers): Uint8Array | undefined {
  const key = members.largeBlobKey;
  if (key === undefined) return undefined;
  if (key.length !== LARGE_BLOB_KEY_BYTES)
    throw new ExtensionOutputError(`largeBlobKey must be ${LARGE_BLOB_KEY_BYTES} bytes; got ${key.length}`);
  return key;
}

export const largeBlobKey: Ctap2Extension<boolean, Uint8Array, boolean, Uint8Array, null, true, true, true> = {
  id: LARGE_BLOB_KEY,
  authenticator: {
    makeCredential: {
      parse(input, where, { rk }) {
        const wanted = parseTrue(input, where);
        if (!rk)
          fail(
            CtapStatus.CTAP2_ERR_INVALID_OPTION,
            `${where} "${LARGE_BLOB_KEY}" needs a discoverable credential: set the rk option`,
          );
        return wanted;
      },
      process(_wanted, ctx) {
        ctx.credential.stored.set(LARGE_BLOB_KEY, ctx.random(LARGE_BLOB_KEY_BYTES));
        return undefined;
      },
      response: (_wanted, ctx) => storedKey(ctx.credential.stored),
    },
    getAssertion: {
      parse: (input, where) => parseTrue(input, where),
      prepare: () => true,
      output: () => undefined,
      response: (_wanted, ctx) => storedKey(ctx.credential.stored),
    },
  },
  client: {
    name: LARGE_BLOB_KEY,
    makeCredential: {
      input: (wanted) => (wanted ? true : undefined),
      response: readKey,
    },
    getAssertion: {
      input: (wanted) => Promise.resolve(wanted ? { input: true, state: null } : undefined),
      response: readKey,
    },
  },
};
