import { members } from '../members.js';

/** hmac-secret (CTAP 2.1 §12.5). */
export const HMAC_SECRET = 'hmac-secret';

/** The getAssertion input: {1: keyAgreement, 2: saltEnc, 3: saltAuth, 4: pinUvAuthProtocol (default 1)}. */
export const HmacSecretGetInput = members({
  keyAgreement: { key: 0x01, type: 'map', required: true },
  saltEnc: { key: 0x02, type: 'bytes', required: true },
  saltAuth: { key: 0x03, type: 'bytes', required: true },
  pinUvAuthProtocol: { key: 0x04, type: 'uint' },
});
