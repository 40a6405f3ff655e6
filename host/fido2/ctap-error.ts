import { ctapStatusName } from '../../proto/ctap2/status.js';
import { MAX_PIN_BYTES, MIN_PIN_LENGTH } from '../../proto/limits.js';

const HINTS: Record<string, string> = {
  CTAP1_ERR_INVALID_COMMAND: 'the authenticator does not support this command',
  CTAP1_ERR_INVALID_PARAMETER: 'a parameter has a value the authenticator refuses',
  CTAP1_ERR_INVALID_LENGTH: 'a parameter or the request has the wrong length',
  CTAP2_ERR_CBOR_UNEXPECTED_TYPE: 'a parameter has the wrong CBOR type',
  CTAP2_ERR_INVALID_CBOR: 'the request is not valid canonical CBOR',
  CTAP2_ERR_MISSING_PARAMETER: 'a required parameter is missing',
  CTAP2_ERR_CREDENTIAL_EXCLUDED: 'a credential from excludeList already exists on this authenticator',
  CTAP2_ERR_UNSUPPORTED_ALGORITHM: 'none of the requested algorithms is supported (try ES256, -7)',
  CTAP2_ERR_OPERATION_DENIED: 'the user or the authenticator refused the operation',
  CTAP2_ERR_KEY_STORE_FULL: 'no room for another discoverable credential; delete some',
  CTAP2_ERR_UNSUPPORTED_OPTION: 'an option is not supported in this request',
  CTAP2_ERR_INVALID_OPTION: 'an option has a value not allowed here',
  CTAP2_ERR_KEEPALIVE_CANCEL: 'the request was cancelled',
  CTAP2_ERR_NO_CREDENTIALS: 'no matching credential on this authenticator',
  CTAP2_ERR_USER_ACTION_TIMEOUT: 'the user did not act in time',
  CTAP2_ERR_NOT_ALLOWED: 'not allowed in the current state (e.g. reset long after power-up, or no pending enumeration)',
  CTAP2_ERR_PIN_INVALID: 'wrong PIN',
  CTAP2_ERR_PIN_BLOCKED: 'PIN blocked after too many wrong attempts; only a reset recovers the authenticator',
  CTAP2_ERR_PIN_AUTH_INVALID: 'pinUvAuthParam did not verify (token expired, consumed, wrong permission or RP)',
  CTAP2_ERR_PIN_AUTH_BLOCKED: 'three wrong PINs in a row; power-cycle the authenticator',
  CTAP2_ERR_PIN_NOT_SET: 'no PIN is set',
  CTAP2_ERR_PUAT_REQUIRED: 'user verification is required: pass a pinUvAuthToken',
  CTAP2_ERR_PIN_POLICY_VIOLATION: `the new PIN does not meet the policy (at least ${MIN_PIN_LENGTH} characters, at most ${MAX_PIN_BYTES} bytes)`,
  CTAP2_ERR_REQUEST_TOO_LARGE: 'the request exceeds the authenticator maxMsgSize',
  CTAP2_ERR_UV_BLOCKED: 'built-in user verification is blocked',
  CTAP2_ERR_INVALID_SUBCOMMAND: 'the authenticator does not support this sub-command',
  CTAP2_ERR_UV_INVALID: 'built-in user verification failed',
  CTAP2_ERR_FP_DATABASE_FULL: 'the authenticator holds all the fingerprints it can; remove one first',
  CTAP2_ERR_UNAUTHORIZED_PERMISSION: 'the authenticator does not grant a requested permission',
  CTAP1_ERR_OTHER: 'the authenticator failed internally',
};

/** An authenticator answered a CTAP2 command with a non-zero status. */
export class CtapError extends Error {
  override readonly name = 'CtapError';
  /** The spec's name of the status, e.g. 'CTAP2_ERR_NO_CREDENTIALS'. */
  readonly code: string;

  constructor(
    readonly status: number,
    readonly operation: string,
  ) {
    const code = ctapStatusName(status);
    const hint = HINTS[code];
    super(`${operation} failed with ${code} (0x${status.toString(16).padStart(2, '0')})${hint ? `: ${hint}` : ''}`);
    this.code = code;
  }
}

/** The authenticator's reply is not a well-formed CTAP2 response (empty, not canonical CBOR, wrong shape). */
export class Fido2ProtocolError extends Error {
  override readonly name = 'Fido2ProtocolError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
