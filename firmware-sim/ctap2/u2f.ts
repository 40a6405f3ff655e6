import {
  ApduFormatError,
  decodeCommandApdu,
  encodeResponseApdu,
  REGISTER_RESERVED_BYTE,
  StatusWord,
  U2F_PARAMETER_SIZE,
  U2F_VERSION,
  U2fControl,
  U2fIns,
  USER_PRESENCE_FLAG,
  type StatusWordCode,
} from '../../proto/ctap1.js';
import { CredProtect } from '../../proto/ctap2/extensions/cred-protect.js';
import { attestationIdentity } from './attestation.js';
import { concat } from './bytes.js';
import type { CommandContext } from './command-context.js';
import { sealCredentialId } from './credential-id.js';
import { deriveMasterKeys } from './master-keys.js';

/**
 * How long a touch given for a U2F request stays good for the platform's next try. U2F has no KEEPALIVE: a request
 * that needs presence is answered SW_CONDITIONS_NOT_SATISFIED at once while the band asks for the touch, and the
 * platform repeats it until the touch has come (U2F Raw Message Formats §4.3, §5.1).
 */
export const U2F_PRESENCE_VALID_MS = 10_000;

class U2fStatus extends Error {
  constructor(readonly status: StatusWordCode) {
    super(`U2F status 0x${status.toString(16)}`);
  }
}

/**
 * One CTAP1/U2F request (a command APDU from CTAPHID_MSG) to its response APDU. Credentials made here are ordinary
 * non-discoverable credentials of the CTAP2 authenticator (the application parameter stands in for SHA-256(rpId)),
 * so a platform can assert them with CTAP2 too (CTAP 2.1 §10.2), and both protocols share the signature counter.
 */
export async function handleU2f(c: CommandContext, request: Uint8Array): Promise<Uint8Array> {
  try {
    return encodeResponseApdu(await dispatch(c, request), StatusWord.NO_ERROR);
  } catch (error) {
    if (error instanceof U2fStatus) return encodeResponseApdu(new Uint8Array(0), error.status);
    if (error instanceof ApduFormatError) return encodeResponseApdu(new Uint8Array(0), StatusWord.WRONG_LENGTH);
    throw error;
  }
}

async function dispatch(c: CommandContext, request: Uint8Array): Promise<Uint8Array> {
  const apdu = decodeCommandApdu(request);
  if (apdu.cla !== 0) throw new U2fStatus(StatusWord.CLA_NOT_SUPPORTED);
  switch (apdu.ins) {
    case U2fIns.VERSION:
      if (apdu.data.length !== 0) throw new U2fStatus(StatusWord.WRONG_LENGTH);
      return new TextEncoder().encode(U2F_VERSION);
    case U2fIns.REGISTER:
      return register(c, apdu.data);
    case U2fIns.AUTHENTICATE:
      return authenticate(c, apdu.p1, apdu.data);
    default:
      throw new U2fStatus(StatusWord.INS_NOT_SUPPORTED);
  }
}

/** §4: challenge(32) ‖ application(32) → 0x05 ‖ public key(65) ‖ L ‖ key handle ‖ certificate ‖ signature. */
async function register(c: CommandContext, data: Uint8Array): Promise<Uint8Array> {
  if (data.length !== 2 * U2F_PARAMETER_SIZE) throw new U2fStatus(StatusWord.WRONG_LENGTH);
  const challenge = data.subarray(0, U2F_PARAMETER_SIZE);
  const application = data.subarray(U2F_PARAMETER_SIZE);
  // A wiped band has no user to vouch for, as for makeCredential.
  if (!c.env.userEnrolled()) throw new U2fStatus(StatusWord.CONDITIONS_NOT_SATISFIED);
  await requirePresence(c, 'u2fRegister');

  const key = c.credentials.generateKey((n) => c.env.random(n));
  const { master, put: masterPut } = c.store.masterForWrite();
  const keyHandle = sealCredentialId(
    deriveMasterKeys(master).credentialWrap,
    application,
    { privateKey: key.scalar(), credProtect: CredProtect.USER_VERIFICATION_OPTIONAL, discoverable: false },
    c.env.random(12),
  );
  const { identity, put: identityPut } = attestationIdentity(c);
  const publicKey = key.uncompressed();
  const signature = identity.key.sign(concat(Uint8Array.of(0x00), application, challenge, keyHandle, publicKey));
  // U2F registration signs with the attestation key, not the credential's: the counter does not move.
  c.store.commit({ put: { ...masterPut, ...identityPut } });
  return concat(
    Uint8Array.of(REGISTER_RESERVED_BYTE),
    publicKey,
    Uint8Array.of(keyHandle.length),
    keyHandle,
    identity.certificate,
    signature,
  );
}

/** §5: challenge(32) ‖ application(32) ‖ L ‖ key handle → user presence(1) ‖ counter(4) ‖ signature. */
async function authenticate(c: CommandContext, control: number, data: Uint8Array): Promise<Uint8Array> {
  const min = 2 * U2F_PARAMETER_SIZE + 1;
  if (data.length < min || data.length !== min + data[min - 1]) throw new U2fStatus(StatusWord.WRONG_LENGTH);
  const challenge = data.subarray(0, U2F_PARAMETER_SIZE);
  const application = data.subarray(U2F_PARAMETER_SIZE, 2 * U2F_PARAMETER_SIZE);
  const keyHandle = data.subarray(min);
  const credential = c.credentials.find(application, keyHandle);
  // A credential that demands UV (credProtect 3) cannot be used without it, and U2F has no UV (CTAP 2.1 §12.1).
  if (credential === undefined || credential.credProtect === CredProtect.USER_VERIFICATION_REQUIRED)
    throw new U2fStatus(StatusWord.WRONG_DATA);
  let presence = 0;
  switch (control) {
    case U2fControl.CHECK_ONLY:
      throw new U2fStatus(StatusWord.CONDITIONS_NOT_SATISFIED);
    case U2fControl.ENFORCE_USER_PRESENCE_AND_SIGN:
      await requirePresence(c, 'u2fAuthenticate');
      presence = USER_PRESENCE_FLAG;
      break;
    case U2fControl.DONT_ENFORCE_USER_PRESENCE_AND_SIGN:
      break;
    default:
      throw new U2fStatus(StatusWord.WRONG_DATA);
  }
  const { value: counter, put: counterPut } = c.store.nextSignCount();
  const counterBytes = new Uint8Array(4);
  new DataView(counterBytes.buffer).setUint32(0, counter);
  const signature = credential.key.sign(concat(application, Uint8Array.of(presence), counterBytes, challenge));
  c.store.commit({ put: counterPut });
  return concat(Uint8Array.of(presence), counterBytes, signature);
}

/**
 * The U2F test of user presence: a touch the band collected for an earlier try of this request kind, within
 * U2F_PRESENCE_VALID_MS, is used up; otherwise the band starts asking (CONFIRM) without holding the request, and
 * the platform gets SW_CONDITIONS_NOT_SATISFIED and asks again.
 */
async function requirePresence(c: CommandContext, purpose: 'u2fRegister' | 'u2fAuthenticate'): Promise<void> {
  const u2f = c.volatile.u2f;
  const touched = () =>
    u2f.touchedAt !== undefined && u2f.touchedFor === purpose && c.env.now() - u2f.touchedAt <= U2F_PRESENCE_VALID_MS;
  if (touched()) {
    u2f.touchedAt = undefined;
    return;
  }
  // A touch given for another kind of request, or too long ago, serves nothing.
  u2f.touchedAt = undefined;
  if (!u2f.asking) {
    u2f.asking = true;
    const ask = new AbortController();
    u2f.stopAsking = () => ask.abort();
    // The ask outlives this request; the band's presence wait ends it (a touch, its timeout, leaving the wrist).
    const answer = c.env.userPresence({ purpose }, { signal: ask.signal, keepalive: () => undefined });
    const settle = (present: boolean) => {
      u2f.asking = false;
      u2f.stopAsking = undefined;
      if (present) {
        u2f.touchedAt = c.env.now();
        u2f.touchedFor = purpose;
      }
    };
    answer.then(settle, () => settle(false));
    // Auto-presence (rigs) answers at once: let it land before this request decides.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (touched()) {
      u2f.touchedAt = undefined;
      return;
    }
  }
  throw new U2fStatus(StatusWord.CONDITIONS_NOT_SATISFIED);
}
