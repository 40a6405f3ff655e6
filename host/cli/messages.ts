import { parseTransportUri, TransportError } from '../../transport/index.js';
import { BandClientError, BandError } from '../errors.js';
import { CtapError } from '../fido2/index.js';
import { ReEnrollmentError } from '../re-enrollment/index.js';
import { RelyingPartyError } from '../relying-party/index.js';
import { describeFailure } from './exit-codes.js';

/** What a failure message may name: the band's address as the user gave it, and the --timeout in force. */
export interface FailureContext {
  /** The --transport URI (or $BANDCTL_TRANSPORT). */
  transport: string;
  timeoutMs: number;
}

/**
 * bandctl's own sentence for a typed failure, decided by class and code, never by message text: one line, what
 * happened and the one thing to do, in bandctl's terms (commands and flags). The libraries' messages speak to
 * programmers (API names, options like timeoutMs) and nest their causes; a failure this does not know keeps the
 * library's message.
 */
export function failureMessage(error: unknown, context: FailureContext): string {
  const uri = context.transport;
  if (error instanceof ReEnrollmentError && error.code === 'STEP_FAILED' && error.cause !== undefined) {
    // The same command resumes: that is the one thing to do once the cause is dealt with.
    return `re-enrollment stopped at ${error.step}: ${failureMessage(error.cause, context)}; then run the same command to resume`;
  }
  if (error instanceof TransportError) {
    switch (error.code) {
      case 'OPEN_FAILED':
        return cannotOpen(uri);
      case 'PORT_BUSY':
        return `${uri} is in use by another program; close that program and run the command again`;
      case 'DISCONNECTED':
      case 'CLOSED':
      case 'WRITE_FAILED':
        return lost(uri);
      case 'HID_UNAVAILABLE':
        return 'USB HID is not available on this machine (node-hid could not load); use a serial:, tcp: or udp-hid: --transport';
      case 'REPLAY_MISMATCH':
      case 'REPLAY_FORMAT':
      case 'BAD_URI':
        return describeFailure(error);
      default:
        return `the band at ${uri} sent what this host cannot read (${error.code}); check --transport names the band's link, then run 'bandctl conformance' against it`;
    }
  }
  if (error instanceof BandClientError) {
    switch (error.code) {
      // A request unanswered within --timeout (a wait for the person keeps its own message: what it waited for).
      case 'TIMEOUT':
        return error.noReplyWithinMs !== undefined
          ? `the band at ${uri} did not answer within ${error.noReplyWithinMs} ms; check it is powered and connected, or give it longer with --timeout`
          : describeFailure(error);
      // The link closed under the call: the library's message nests the link's own, each with its advice.
      case 'DISCONNECTED':
        if (error.silentForMs !== undefined)
          return `the band stopped answering: nothing came from ${uri}, not even a KEEPALIVE, for ${error.silentForMs} ms; check it is powered and connected, then run the command again (--timeout sets how long it may stay silent)`;
        return error.cause instanceof TransportError ? lost(uri) : describeFailure(error);
      default:
        return describeFailure(error);
    }
  }
  if (error instanceof CtapError) {
    const sentence = CTAP_SENTENCES[error.code];
    return sentence ? `${sentence} (${error.code})` : describeFailure(error);
  }
  if (error instanceof RelyingPartyError && error.code === 'MISSING_DEPENDENCY') {
    // The library's sentence offers implementing RelyingParty; a CLI user can only install the package.
    return "this command needs the package @simplewebauthn/server, which is not installed; run 'npm install @simplewebauthn/server' where bandctl is installed, then run the command again";
  }
  if (error instanceof BandError) return BAND_SENTENCES[error.code]?.(error) ?? describeFailure(error);
  return describeFailure(error);
}

function cannotOpen(uri: string): string {
  let kind: string;
  try {
    kind = parseTransportUri(uri).kind;
  } catch {
    kind = 'other';
  }
  switch (kind) {
    case 'serial':
      return `cannot open ${uri}; check the port with 'bandctl list' and that you may use it (dialout group)`;
    case 'tcp':
    case 'udp-hid':
      return `nothing answers at ${uri}; start the band there (bandsim --${kind} ${uri.slice(kind.length + 1)}) or fix --transport`;
    case 'hid':
      return `cannot open the USB band ${uri}; plug it in and check 'bandctl list' shows it`;
    case 'replay':
      return `cannot read the recording ${uri.slice('replay:'.length)}; check the file name`;
    default:
      return `cannot open ${uri}; check --transport`;
  }
}

function lost(uri: string): string {
  return `the link to the band at ${uri} closed; check the band is still running, then run the command again`;
}

/**
 * CTAP2 statuses a person can cause (CTAP 2.1 §8.2), said as what happened on the band; the status name follows in
 * parentheses for whoever reads the spec. The statuses a missing wearer causes (OPERATION_DENIED, PUAT_REQUIRED,
 * UV_INVALID) keep the message 'bandctl fido2' completes with what to do (withWearerHint).
 */
const CTAP_SENTENCES: Record<string, string> = {
  CTAP2_ERR_CREDENTIAL_EXCLUDED: 'the band already holds a key for this account at this site',
  CTAP2_ERR_USER_ACTION_TIMEOUT: 'nobody tapped the band in time; run the command again and tap the band when it asks',
  CTAP2_ERR_KEEPALIVE_CANCEL: 'the request was cancelled before the band was tapped; run the command again',
  CTAP2_ERR_NO_CREDENTIALS: "the band holds no key for this site; register one with 'bandctl register-key'",
  CTAP2_ERR_KEY_STORE_FULL: "the band has no room for another key; remove one (see 'bandctl fido2 --help')",
  CTAP2_ERR_PIN_INVALID: 'wrong PIN; run the command again with the right --pin',
  CTAP2_ERR_PIN_BLOCKED:
    "the band's PIN is blocked; only 'bandctl fido2 reset' recovers the band, and it erases every key",
  CTAP2_ERR_PIN_AUTH_BLOCKED: 'three wrong PINs in a row; restart the band (power it off and on), then try again',
  CTAP2_ERR_PIN_NOT_SET: "the band has no PIN yet; set one with 'bandctl fido2 pin set NEW'",
  CTAP2_ERR_PIN_REQUIRED: 'the band asks for its PIN for this; run the command again with --pin',
  CTAP2_ERR_UV_BLOCKED: "the band's fingerprint check is blocked; authenticate on the band again, then retry",
};

/** The band's refusals (band.proto ErrorCode) that a person can cause, in bandctl's words. */
const BAND_SENTENCES: Partial<Record<BandError['code'], (error: BandError) => string>> = {
  ERROR_CODE_USER_DATA_PRESENT: () => "the band still holds a user's data; delete user data first with 'bandctl wipe'",
  ERROR_CODE_NOT_ENROLLED: () => "the band holds no user; enroll it with 'bandctl enroll --user NAME'",
  ERROR_CODE_NOT_AUTHENTICATED: () =>
    'the wearer is not authenticated on the band; wear it, touch the sensor, then run the command again',
  ERROR_CODE_LOCKED_OUT: () =>
    "the band is locked after too many failed fingerprint matches; wipe it with 'bandctl wipe' and enroll again",
  ERROR_CODE_SETUP_CODE_MISMATCH: () => 'the setup code does not match the one the band shows; type it again',
  ERROR_CODE_NOT_SUPPORTED: () => 'the band does not support that',
  ERROR_CODE_STORAGE: () => "the band's flash is damaged; wipe it with 'bandctl wipe' to start it afresh",
  ERROR_CODE_WRONG_STATE: (error) =>
    `the band cannot do that now (${error.state.replace('BAND_STATE_', '').toLowerCase().replace(/_/g, ' ')}); see what it shows with 'bandctl state'`,
};
