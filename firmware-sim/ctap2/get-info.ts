import type { CborInput } from '../../proto/ctap2/canonical-cbor.js';
import type { CommandContext } from './command-context.js';
import { CREDENTIAL_ID_LENGTH } from './credential-id.js';
import { Cose } from './cose-key.js';
import { MAX_CREDENTIAL_COUNT_IN_LIST, MAX_MESSAGE_SIZE as MAX_MSG_SIZE, MIN_PIN_LENGTH } from '../../proto/index.js';

// maxMsgSize (CTAP 2.1 §6.2) is what fits a CTAPHID message of 128 continuation packets; maxCredentialCountInList
// (getInfo 0x07) is an advisory batch size: longer lists are still processed. Both are proto's limits.
export { MAX_CREDENTIAL_COUNT_IN_LIST, MAX_MSG_SIZE };

/**
 * authenticatorGetInfo (§6.4). Options that depend on state (clientPin, uv) are read afresh on every call:
 * uv is true only while a user is enrolled (the band's built-in UV is its fingerprint + wrist state), and
 * makeCredUvNotRqd lets platforms create non-discoverable credentials without UV.
 */
export function getInfo(c: CommandContext): CborInput {
  const enrolled = c.env.userEnrolled();
  const resident = c.credentials.allResident().length;
  return new Map<number, CborInput>([
    [0x01, ['FIDO_2_0', 'FIDO_2_1']],
    [0x02, ['credProtect', 'hmac-secret']],
    [0x03, c.config.aaguid],
    [
      0x04,
      {
        rk: true,
        up: true,
        uv: enrolled,
        clientPin: c.store.pinHash() !== undefined,
        pinUvAuthToken: true,
        credMgmt: true,
        makeCredUvNotRqd: true,
      },
    ],
    [0x05, MAX_MSG_SIZE],
    [0x06, [2, 1]],
    [0x07, MAX_CREDENTIAL_COUNT_IN_LIST],
    [0x08, CREDENTIAL_ID_LENGTH],
    [0x09, c.config.transports],
    [0x0a, [{ type: 'public-key', alg: Cose.ALG_ES256 }]],
    [0x0d, MIN_PIN_LENGTH],
    [0x0e, c.config.firmwareVersion],
    [0x14, Math.max(0, c.config.maxResidentCredentials - resident)],
  ]);
}
