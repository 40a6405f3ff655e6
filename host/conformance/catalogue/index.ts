import type { Requirement } from '../types.js';
import { ATTESTATION } from './attestation.js';
import { AUTH } from './auth.js';
import { ENROLL } from './enroll.js';
import { FIDO2 } from './fido2.js';
import { FRAME } from './frame.js';
import { HID } from './hid.js';
import { PROTOCOL } from './proto.js';
import { STATE } from './state.js';
import { WIPE } from './wipe.js';

/**
 * Every requirement, in the order the suite runs them: the wire first (a band that cannot echo a PING will
 * not get far), then the band protocol, the band's behaviour through the debug link, and FIDO2.
 * docs/conformance.md lists the same ids (test/conformance/catalogue.test.ts holds the two together).
 */
export const CATALOGUE: readonly Requirement[] = Object.freeze([
  ...FRAME,
  ...HID,
  ...PROTOCOL,
  ...STATE,
  ...ENROLL,
  ...AUTH,
  ...WIPE,
  ...FIDO2,
  ...ATTESTATION,
]);

export { ATTESTATION, AUTH, ENROLL, FIDO2, FRAME, HID, PROTOCOL, STATE, WIPE };
