import type { BandState, ErrorCode, RequestName } from '../proto/index.js';
import { BandRefusal } from './band-refusal.js';
import { ENROLLING_STATES } from './transitions.js';

/**
 * Every rule by which the band refuses a host request for what it is, not for its arguments: the
 * capability it needs, the states it is valid in (with the code each other state answers), and the body
 * (start_enrollment needs the band worn). The message of each refusal names the request as band.proto
 * does, the state, and what to do. docs/band.md tabulates the same rules ("Which request is valid where")
 * and test/band/walk.test.ts checks every request in every state against them. Argument checks (a too-long
 * setup code, an invalid label) stay with the handler that reads the argument.
 */
export interface Acceptance {
  /** States in which the band acts on the request. */
  in: readonly BandState[];
  /** The refusal code in the other states, where it is not ERROR_CODE_WRONG_STATE. */
  refuse?: Partial<Record<BandState, ErrorCode>>;
  /** What the host should do about each refusal code this request can get in the wrong state. */
  hints?: Partial<Record<ErrorCode, string>>;
  /** A capability the band must be built with; without it every state answers NOT_SUPPORTED with this text. */
  needs?: { capability: 'fido2' | 'seos'; otherwise: string };
  /** The band must be on the wrist (checked after the state). */
  worn?: boolean;
}

const HOLDS_USER: BandState[] = [
  'BAND_STATE_AUTHENTICATION_REQUIRED',
  'BAND_STATE_AUTHENTICATING',
  'BAND_STATE_AUTHENTICATED',
];
const ALL: BandState[] = [
  'BAND_STATE_UNENROLLED',
  ...ENROLLING_STATES,
  ...HOLDS_USER,
  'BAND_STATE_LOCKED_OUT',
  'BAND_STATE_DELETE_PROMPT',
];

const codes = (states: readonly BandState[], code: ErrorCode) => Object.fromEntries(states.map((s) => [s, code]));

const ENROLLED_ONLY: Partial<Record<BandState, ErrorCode>> = {
  ...codes(['BAND_STATE_UNENROLLED', ...ENROLLING_STATES], 'ERROR_CODE_NOT_ENROLLED'),
  ...codes(
    ['BAND_STATE_AUTHENTICATION_REQUIRED', 'BAND_STATE_AUTHENTICATING', 'BAND_STATE_LOCKED_OUT'],
    'ERROR_CODE_NOT_AUTHENTICATED',
  ),
};
const AUTHENTICATED_HINTS: Partial<Record<ErrorCode, string>> = {
  ERROR_CODE_NOT_ENROLLED: 'enroll the band first',
  ERROR_CODE_NOT_AUTHENTICATED: 'put the band on and authenticate with the enrolled finger',
  ERROR_CODE_WRONG_STATE: 'cancel the delete prompt first',
};

/** Which requests the band acts on in which state; any other state refuses with the code given (default WRONG_STATE). */
export const ACCEPTS: Readonly<Record<RequestName, Acceptance>> = {
  getInfo: { in: ALL },
  getState: { in: ALL },
  getSeosStatus: {
    in: ALL,
    needs: { capability: 'seos', otherwise: 'this band was built without SEOS support; use a SEOS-enabled band' },
  },
  deleteUserData: {
    in: ALL.filter((s) => !ENROLLING_STATES.includes(s)),
    hints: { ERROR_CODE_WRONG_STATE: 'cancel the enrollment first' },
  },
  cancelDeleteUserData: {
    in: ['BAND_STATE_DELETE_PROMPT'],
    hints: { ERROR_CODE_WRONG_STATE: 'no delete prompt is showing' },
  },
  startEnrollment: {
    in: ['BAND_STATE_UNENROLLED'],
    refuse: { ...codes(HOLDS_USER, 'ERROR_CODE_USER_DATA_PRESENT'), BAND_STATE_LOCKED_OUT: 'ERROR_CODE_LOCKED_OUT' },
    hints: {
      ERROR_CODE_USER_DATA_PRESENT:
        'delete user data on the band first (off the wrist, on the charger, hold the bottom button 10 s)',
      ERROR_CODE_LOCKED_OUT: 'the band is locked out; delete user data on the band to clear it',
      ERROR_CODE_WRONG_STATE: 'cancel what the band is doing first',
    },
    worn: true,
  },
  verifySetupCode: {
    in: ['BAND_STATE_AWAITING_SETUP_CODE'],
    hints: { ERROR_CODE_WRONG_STATE: 'call start_enrollment first' },
  },
  startCapture: { in: ['BAND_STATE_ADD_USER'], hints: { ERROR_CODE_WRONG_STATE: 'verify the setup code first' } },
  completeEnrollment: {
    in: ['BAND_STATE_CAPTURED'],
    hints: { ERROR_CODE_WRONG_STATE: 'finish the fingerprint capture (SUCCESS on the band) first' },
  },
  cancelEnrollment: { in: ENROLLING_STATES, hints: { ERROR_CODE_WRONG_STATE: 'no enrollment is in progress' } },
  setLabel: { in: ['BAND_STATE_AUTHENTICATED'], refuse: ENROLLED_ONLY, hints: AUTHENTICATED_HINTS },
  setSettings: { in: ['BAND_STATE_AUTHENTICATED'], refuse: ENROLLED_ONLY, hints: AUTHENTICATED_HINTS },
  listFidoCredentials: {
    in: ['BAND_STATE_AUTHENTICATED'],
    refuse: codes(
      ALL.filter((s) => s !== 'BAND_STATE_AUTHENTICATED'),
      'ERROR_CODE_NOT_AUTHENTICATED',
    ),
    hints: { ERROR_CODE_NOT_AUTHENTICATED: 'authenticate on the band first (credentials are private to the wearer)' },
    needs: { capability: 'fido2', otherwise: 'this band has no FIDO2 authenticator; nothing to list' },
  },
};

/** The refusal code for `request` in `state` by the state table alone, or undefined when the band acts on it. */
export function refusalFor(request: RequestName, state: BandState): ErrorCode | undefined {
  const rule = ACCEPTS[request];
  if (rule.in.includes(state)) return undefined;
  return rule.refuse?.[state] ?? 'ERROR_CODE_WRONG_STATE';
}

/** What the rules look at: the band's state, its body and what it was built with. */
export interface Situation {
  state: BandState;
  onWrist: boolean;
  fido2: boolean;
  seos: boolean;
}

/** The refusal the band answers `request` with in `situation`, or undefined when it acts on it. */
export function refusalOf(request: RequestName, situation: Situation): BandRefusal | undefined {
  const rule = ACCEPTS[request];
  const name = snakeCase(request);
  const { state } = situation;
  if (rule.needs && !situation[rule.needs.capability])
    return new BandRefusal('ERROR_CODE_NOT_SUPPORTED', `${name}: ${rule.needs.otherwise}`, state);
  const code = refusalFor(request, state);
  if (code) {
    const hint = rule.hints?.[code] ?? 'see docs/band.md for the states it is valid in';
    return new BandRefusal(code, `${name} is refused in ${state}: ${hint}`, state);
  }
  if (rule.worn && !situation.onWrist)
    return new BandRefusal(
      'ERROR_CODE_WRONG_STATE',
      `${name} needs the band on the wrist; ${state} off the wrist. Put the band on`,
      state,
    );
  return undefined;
}

/** band.proto's field names, which is what a host developer reads. */
function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
