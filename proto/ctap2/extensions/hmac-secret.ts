import { createHmac } from 'node:crypto';
import type { CborValue } from '../canonical-cbor.js';
import { PinUvAuthProtocolId } from '../client-pin.js';
import { fail, parseRequestMembers } from '../ctap-failure.js';
import { cborTypeName, encodeMembers, members } from '../members.js';
import { CtapStatus } from '../status.js';
import {
  ExtensionOutputError,
  type ClientKeyAgreement,
  type Ctap2Extension,
  type SharedSecretChannel,
} from './extension.js';

/**
 * hmac-secret (CTAP 2.1 §12.5): a per-credential secret (CredRandom) the platform can turn into up to two 32-byte
 * HMAC outputs of its salts. makeCredential input and output: `true`. getAssertion input: the salts encrypted under
 * a clientPIN key agreement; output: the HMACs encrypted the same way.
 */
export const HMAC_SECRET = 'hmac-secret';

/** The getAssertion input: {1: keyAgreement, 2: saltEnc, 3: saltAuth, 4: pinUvAuthProtocol (default 1)}. */
export const HmacSecretGetInput = members({
  keyAgreement: { key: 0x01, type: 'map', required: true },
  saltEnc: { key: 0x02, type: 'bytes', required: true },
  saltAuth: { key: 0x03, type: 'bytes', required: true },
  pinUvAuthProtocol: { key: 0x04, type: 'uint' },
});

const SALT_LENGTH = 32;

export interface HmacSecretSalts {
  salt1: Uint8Array;
  salt2?: Uint8Array;
  /** PIN/UV auth protocol for the key agreement; 2 unless told otherwise. */
  protocol?: 1 | 2;
}

export interface HmacSecretOutputs {
  output1: Uint8Array;
  output2?: Uint8Array;
}

interface Prepared {
  channel: SharedSecretChannel;
  salts: Uint8Array;
}

function flag(input: CborValue, where: string): boolean {
  if (typeof input !== 'boolean')
    fail(CtapStatus.CTAP2_ERR_CBOR_UNEXPECTED_TYPE, `${where} must be a boolean; got a ${cborTypeName(input)}`);
  return input;
}

export const hmacSecret: Ctap2Extension<
  boolean,
  boolean,
  HmacSecretSalts,
  HmacSecretOutputs,
  ClientKeyAgreement,
  boolean,
  CborValue,
  Prepared
> = {
  id: HMAC_SECRET,
  authenticator: {
    makeCredential: {
      parse: (input, where) => flag(input, `${where} "${HMAC_SECRET}"`),
      // CredRandom is derived for every credential (see credentials.ts), so there is nothing to store.
      process: (input) => (input ? true : undefined),
    },
    getAssertion: {
      parse(input, where, { up }) {
        // The outputs are bound to a touch: a silent (up=false) request cannot have them.
        if (!up)
          fail(
            CtapStatus.CTAP2_ERR_UNSUPPORTED_OPTION,
            'hmac-secret needs user presence; do not send up=false with it',
          );
        return input;
      },
      prepare(input, ctx) {
        const where = `getAssertion extension "${HMAC_SECRET}"`;
        const { keyAgreement, saltEnc, saltAuth, pinUvAuthProtocol } = parseRequestMembers(
          HmacSecretGetInput,
          input,
          where,
        );
        const channel = ctx.sharedSecret(pinUvAuthProtocol ?? PinUvAuthProtocolId.ONE, keyAgreement, where);
        if (!channel.verify(saltEnc, saltAuth)) {
          fail(
            CtapStatus.CTAP2_ERR_PIN_AUTH_INVALID,
            `${where}: saltAuth does not verify; was saltEnc made with the current getKeyAgreement key?`,
          );
        }
        const salts = channel.decrypt(saltEnc);
        if (salts === undefined || (salts.length !== SALT_LENGTH && salts.length !== 2 * SALT_LENGTH)) {
          fail(
            CtapStatus.CTAP1_ERR_INVALID_LENGTH,
            `${where}: decrypted salts must be 32 or 64 bytes; got ${salts?.length ?? 'an undecryptable length'}`,
          );
        }
        return { channel, salts };
      },
      /** encrypt(sharedSecret, HMAC(CredRandom, salt1) [|| HMAC(CredRandom, salt2)]). */
      output({ channel, salts }, ctx) {
        const credRandom = ctx.credRandom(ctx.userVerified);
        const outputs: Uint8Array[] = [];
        for (let offset = 0; offset < salts.length; offset += SALT_LENGTH) {
          outputs.push(
            createHmac('sha256', credRandom)
              .update(salts.subarray(offset, offset + SALT_LENGTH))
              .digest(),
          );
        }
        return channel.encrypt(new Uint8Array(Buffer.concat(outputs)));
      },
    },
  },
  client: {
    name: 'hmacSecret',
    makeCredential: {
      input: (value) => (value ? true : undefined),
      output(value) {
        if (typeof value !== 'boolean') throw new ExtensionOutputError('hmac-secret output must be a boolean');
        return value;
      },
    },
    getAssertion: {
      async input({ salt1, salt2, protocol }, ctx) {
        if (salt1.length !== SALT_LENGTH || (salt2 !== undefined && salt2.length !== SALT_LENGTH))
          throw new RangeError('hmac-secret salts are 32 bytes each');
        const agreement = await ctx.keyAgreement(protocol ?? PinUvAuthProtocolId.TWO);
        const saltEnc = agreement.encrypt(salt2 === undefined ? salt1 : new Uint8Array([...salt1, ...salt2]));
        return {
          input: encodeMembers(HmacSecretGetInput, {
            keyAgreement: agreement.keyAgreement,
            saltEnc,
            saltAuth: agreement.authenticate(saltEnc),
            pinUvAuthProtocol: agreement.version,
          }),
          state: agreement,
        };
      },
      output(value, agreement) {
        if (!(value instanceof Uint8Array)) throw new ExtensionOutputError('hmac-secret output must be a byte string');
        const outputs = agreement.decrypt(value);
        if (outputs.length !== SALT_LENGTH && outputs.length !== 2 * SALT_LENGTH)
          throw new ExtensionOutputError(`hmac-secret output decrypts to ${outputs.length} bytes`);
        return {
          output1: outputs.slice(0, SALT_LENGTH),
          ...(outputs.length === 2 * SALT_LENGTH ? { output2: outputs.slice(SALT_LENGTH) } : {}),
        };
      },
    },
  },
};
