import { createHash, createPublicKey, verify, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decodeCommandApdu,
  decodeResponseApdu,
  encodeCommandApdu,
  StatusWord,
  U2fControl,
  U2fIns,
} from '../../proto/ctap1.js';
import { U2F_PRESENCE_VALID_MS } from '../../firmware-sim/ctap2/u2f.js';
import { makeRig, type Rig } from './rig.js';

const sha256 = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());
const APP = sha256('login.example.com');
const CHALLENGE = sha256('challenge');

async function u2f(rig: Rig, ins: number, p1: number, data: Uint8Array) {
  const reply = await rig.authenticator.handleU2f(encodeCommandApdu({ cla: 0, ins, p1, p2: 0, data }), {
    signal: new AbortController().signal,
    keepalive: () => {},
  });
  return decodeResponseApdu(reply);
}

function register(rig: Rig) {
  return u2f(rig, U2fIns.REGISTER, 0, new Uint8Array([...CHALLENGE, ...APP]));
}

function authenticate(rig: Rig, keyHandle: Uint8Array, control: number = U2fControl.ENFORCE_USER_PRESENCE_AND_SIGN) {
  return u2f(rig, U2fIns.AUTHENTICATE, control, new Uint8Array([...CHALLENGE, ...APP, keyHandle.length, ...keyHandle]));
}

/** Splits a U2F registration response (U2F Raw Message Formats §4.3). */
function parseRegistration(data: Uint8Array) {
  const publicKey = data.subarray(1, 66);
  const keyHandle = data.subarray(67, 67 + data[66]);
  const rest = data.subarray(67 + data[66]);
  // The certificate is one DER SEQUENCE with a two-byte long-form length.
  const certLength = 4 + ((rest[2] << 8) | rest[3]);
  return { publicKey, keyHandle, certificate: rest.subarray(0, certLength), signature: rest.subarray(certLength) };
}

const spki = (point: Uint8Array) =>
  createPublicKey({
    key: Buffer.concat([Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'), point]),
    format: 'der',
    type: 'spki',
  });

describe('CTAP1/U2F over CTAPHID_MSG', () => {
  it('decodes short and extended command APDUs and refuses a length that does not add up', () => {
    expect(decodeCommandApdu(Uint8Array.of(0, 3, 0, 0)).data).toHaveLength(0);
    expect(decodeCommandApdu(Uint8Array.of(0, 3, 0, 0, 0, 0, 0, 0, 0)).ins).toBe(3);
    expect(decodeCommandApdu(Uint8Array.of(0, 1, 0, 0, 2, 9, 8, 0)).data).toEqual(Uint8Array.of(9, 8));
    expect(decodeCommandApdu(Uint8Array.of(0, 1, 0, 0, 0, 0, 2, 9, 8)).data).toEqual(Uint8Array.of(9, 8));
    expect(() => decodeCommandApdu(Uint8Array.of(0, 1, 0, 0, 5, 1))).toThrow(/Lc says 5/);
    expect(() => decodeCommandApdu(Uint8Array.of(0, 1))).toThrow(/4 header bytes/);
  });

  it('answers VERSION with U2F_V2, and a bad class, instruction or length with its status word', async () => {
    const rig = makeRig();
    const version = await u2f(rig, U2fIns.VERSION, 0, new Uint8Array(0));
    expect([Buffer.from(version.data).toString(), version.status]).toEqual(['U2F_V2', StatusWord.NO_ERROR]);
    const badClass = await rig.authenticator.handleU2f(Uint8Array.of(0x80, 3, 0, 0), {
      signal: new AbortController().signal,
      keepalive: () => {},
    });
    expect(decodeResponseApdu(badClass).status).toBe(StatusWord.CLA_NOT_SUPPORTED);
    expect((await u2f(rig, 0x55, 0, new Uint8Array(0))).status).toBe(StatusWord.INS_NOT_SUPPORTED);
    expect((await u2f(rig, U2fIns.REGISTER, 0, new Uint8Array(63))).status).toBe(StatusWord.WRONG_LENGTH);
    const garbage = await rig.authenticator.handleU2f(Uint8Array.of(0, 1, 0, 0, 9), {
      signal: new AbortController().signal,
      keepalive: () => {},
    });
    expect(decodeResponseApdu(garbage).status).toBe(StatusWord.WRONG_LENGTH);
  });

  it('registers: the attestation certificate signs the registration, the key handle authenticates, the counter rises', async () => {
    const rig = makeRig();
    const registered = await register(rig);
    expect(registered.status).toBe(StatusWord.NO_ERROR);
    expect(registered.data[0]).toBe(0x05);
    const { publicKey, keyHandle, certificate, signature } = parseRegistration(registered.data);
    const cert = new X509Certificate(certificate);
    expect(cert.subject).toContain('OU=Authenticator Attestation');
    expect(cert.ca).toBe(false);
    const signed = Buffer.concat([Buffer.of(0), APP, CHALLENGE, keyHandle, publicKey]);
    expect(verify('sha256', signed, cert.publicKey, signature)).toBe(true);

    const first = await authenticate(rig, keyHandle);
    expect(first.status).toBe(StatusWord.NO_ERROR);
    const counter = new DataView(first.data.buffer, first.data.byteOffset + 1, 4).getUint32(0);
    expect(first.data[0]).toBe(1);
    const signedAssertion = Buffer.concat([APP, first.data.subarray(0, 5), CHALLENGE]);
    expect(verify('sha256', signedAssertion, spki(publicKey), first.data.subarray(5))).toBe(true);

    const unattended = await authenticate(rig, keyHandle, U2fControl.DONT_ENFORCE_USER_PRESENCE_AND_SIGN);
    expect(unattended.data[0]).toBe(0);
    expect(new DataView(unattended.data.buffer, unattended.data.byteOffset + 1, 4).getUint32(0)).toBe(counter + 1);
  });

  it('keeps one attestation identity across registrations, reboots and a reset', async () => {
    const rig = makeRig();
    const one = parseRegistration((await register(rig)).data).certificate;
    const rebooted = rig.reboot();
    const two = parseRegistration((await register(rebooted)).data).certificate;
    expect(Buffer.from(two)).toEqual(Buffer.from(one));
  });

  it('check-only tells its own key handle (CONDITIONS_NOT_SATISFIED) from a foreign one or another app (WRONG_DATA)', async () => {
    const rig = makeRig();
    const { keyHandle } = parseRegistration((await register(rig)).data);
    expect((await authenticate(rig, keyHandle, U2fControl.CHECK_ONLY)).status).toBe(
      StatusWord.CONDITIONS_NOT_SATISFIED,
    );
    expect((await authenticate(rig, new Uint8Array(63), U2fControl.CHECK_ONLY)).status).toBe(StatusWord.WRONG_DATA);
    const other = await u2f(
      rig,
      U2fIns.AUTHENTICATE,
      U2fControl.ENFORCE_USER_PRESENCE_AND_SIGN,
      new Uint8Array([...CHALLENGE, ...sha256('other.example'), keyHandle.length, ...keyHandle]),
    );
    expect(other.status).toBe(StatusWord.WRONG_DATA);
  });

  it('without a touch answers CONDITIONS_NOT_SATISFIED and asks once; the touch serves the next try within its window', async () => {
    const rig = makeRig();
    const { keyHandle } = parseRegistration((await register(rig)).data);
    let touch!: (present: boolean) => void;
    rig.band.userPresence = (request) => {
      rig.band.presenceLog.push(request);
      return new Promise((resolve) => (touch = resolve));
    };
    rig.band.presenceLog.length = 0;
    expect((await authenticate(rig, keyHandle)).status).toBe(StatusWord.CONDITIONS_NOT_SATISFIED);
    expect((await authenticate(rig, keyHandle)).status).toBe(StatusWord.CONDITIONS_NOT_SATISFIED);
    expect(rig.band.presenceLog).toEqual([{ purpose: 'u2fAuthenticate' }]);
    touch(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect((await authenticate(rig, keyHandle)).status).toBe(StatusWord.NO_ERROR);
    // Used up: the next request needs a new touch.
    expect((await authenticate(rig, keyHandle)).status).toBe(StatusWord.CONDITIONS_NOT_SATISFIED);
    touch(true);
    await new Promise((resolve) => setImmediate(resolve));
    rig.band.clock += U2F_PRESENCE_VALID_MS + 1;
    expect((await authenticate(rig, keyHandle)).status).toBe(StatusWord.CONDITIONS_NOT_SATISFIED);
  });

  it('a wiped band registers nothing', async () => {
    const rig = makeRig();
    rig.band.enrolled = false;
    expect((await register(rig)).status).toBe(StatusWord.CONDITIONS_NOT_SATISFIED);
  });
});
