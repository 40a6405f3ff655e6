import type { CborValue } from '../canonical-cbor.js';
import { fail } from '../ctap-failure.js';
import { cborTypeName } from '../members.js';
import { CtapStatus } from '../status.js';
import { ExtensionOutputError, type Ctap2Extension } from './extension.js';

/**
 * credBlob (CTAP 2.1 §12.2): a small opaque blob the RP stores with a credential at makeCredential and reads back
 * with getAssertion. This band keeps it only for discoverable credentials (in their record; §12.2 makes
 * non-discoverable support optional) and answers `credBlob: false` for the others or for a blob longer than getInfo's
 * maxCredBlobLength.
 */
export const CRED_BLOB = 'credBlob';

function typed<T>(value: CborValue, ok: (v: CborValue) => v is CborValue & T, expected: string, where: string): T {
  if (!ok(value))
    fail(CtapStatus.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, `${where} must be a ${expected}; got a ${cborTypeName(value)}`);
  return value;
}
const isBytes = (v: CborValue): v is Uint8Array => v instanceof Uint8Array;
const isBool = (v: CborValue): v is boolean => typeof v === 'boolean';

export const credBlob: Ctap2Extension<Uint8Array, boolean, boolean, Uint8Array, null, Uint8Array, boolean, true> = {
  id: CRED_BLOB,
  authenticator: {
    info: (settings) => ({ maxCredBlobLength: settings.maxCredBlobLength }),
    makeCredential: {
      parse: (input, where) => typed(input, isBytes, 'byte string', `${where} "${CRED_BLOB}"`),
      process(blob, ctx) {
        if (!ctx.discoverable || blob.length > ctx.settings.maxCredBlobLength) return false;
        ctx.credential.stored.set(CRED_BLOB, blob);
        return true;
      },
    },
    getAssertion: {
      parse: (input, where) => typed(input, isBool, 'boolean', `${where} "${CRED_BLOB}"`),
      prepare: (wanted) => (wanted ? true : undefined),
      // §12.2: a credential without a blob answers an empty byte string.
      output: (_wanted, ctx) => ctx.credential.stored.get(CRED_BLOB) ?? new Uint8Array(0),
    },
  },
  client: {
    name: CRED_BLOB,
    makeCredential: {
      input: (blob) => blob,
      output(value) {
        if (typeof value !== 'boolean') throw new ExtensionOutputError('credBlob output must be a boolean');
        return value;
      },
    },
    getAssertion: {
      input: (wanted) => Promise.resolve(wanted ? { input: true, state: null } : undefined),
      output(value) {
        if (!(value instanceof Uint8Array)) throw new ExtensionOutputError('credBlob output must be a byte string');
        return value;
      },
    },
  },
};
