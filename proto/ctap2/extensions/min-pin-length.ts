import { fail } from '../ctap-failure.js';
import { cborTypeName } from '../members.js';
import { CtapStatus } from '../status.js';
import { ExtensionOutputError, type Ctap2Extension } from './extension.js';

/**
 * minPinLength (CTAP 2.1 §12.4): makeCredential input `true`; the output is the authenticator's current minimum PIN
 * length, but only for an RP ID on the list authenticatorConfig setMinPINLength (§6.11.4, minPinLengthRPIDs) sets.
 * The list is empty until then, so no RP learns the length by default.
 */
export const MIN_PIN_LENGTH_EXTENSION = 'minPinLength';

export const minPinLength: Ctap2Extension<boolean, number, never, never, never, boolean> = {
  id: MIN_PIN_LENGTH_EXTENSION,
  authenticator: {
    makeCredential: {
      parse(input, where) {
        if (typeof input !== 'boolean')
          fail(
            CtapStatus.CTAP2_ERR_CBOR_UNEXPECTED_TYPE,
            `${where} "${MIN_PIN_LENGTH_EXTENSION}" must be a boolean; got a ${cborTypeName(input)}`,
          );
        return input;
      },
      process: (wanted, ctx) =>
        wanted && ctx.settings.minPinLengthRpIds.includes(ctx.rpId) ? ctx.settings.minPinLength : undefined,
    },
  },
  client: {
    name: MIN_PIN_LENGTH_EXTENSION,
    makeCredential: {
      input: (wanted) => (wanted ? true : undefined),
      output(value) {
        if (typeof value !== 'number' || value < 0)
          throw new ExtensionOutputError('minPinLength output must be an unsigned integer');
        return value;
      },
    },
  },
};
