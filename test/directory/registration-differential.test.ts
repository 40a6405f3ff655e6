import { verifyRegistrationResponse } from '@simplewebauthn/server';
import { describe, expect, it } from 'vitest';
import { BAND_AAGUID } from '../../firmware-sim/fido2.js';
import type { AttestationMode } from '../../firmware-sim/ctap2/index.js';
import { registrationResponseJSON } from '../../host/fido2/index.js';
import type { RegistrationResponseJSON } from '../../host/relying-party/index.js';
import {
  RegistrationVerificationError,
  rpIdHash,
  verifyRegistration,
  type RegistrationCheck,
} from '../../host/relying-party/registration-verification.js';
import { AttestationOid } from '../../proto/ctap2/attestation-certificate.js';
import { encodeCanonical } from '../../proto/ctap2/canonical-cbor.js';
import { makeRig } from '../ctap2/rig.js';
import {
  AAGUID,
  ATTESTATION_SUBJECT,
  CA_NAME,
  FLAG,
  ORIGIN,
  RP_ID,
  certificate,
  coseKeyOf,
  forgeRegistration,
  newKeyPair,
  type CertificateSpec,
  type RegistrationSpec,
} from './registration-forge.js';

/**
 * The relying party's own registration verifier (WebAuthn §7.1 for packed and none) against @simplewebauthn/server,
 * the library it replaced for those formats, kept here as the oracle: over valid registrations (the band's own and
 * forged ones) and over registrations with one field changed and signed again, both must accept or both refuse.
 * Where ours refuses what the library accepts, the check is one of the few the library does not make, named in
 * STRICTER, and each case says which.
 */

const CHALLENGE = Buffer.from('differential challenge, 32 bytes').toString('base64url');

/** The checks ours makes beyond the library's (registration-verification.ts says why each is WebAuthn's). */
const STRICTER: readonly RegistrationCheck[] = [
  'cross-origin',
  'credential-key',
  'canonical-cbor',
  'credential-id-length',
  'self-attestation-alg',
  'aaguid-critical',
  'certificate-encoding',
];

type Verdict =
  { ok: true; id: string; publicKey: string; counter: number; fmt: string; aaguid: string } | { ok: false };

async function oracle(response: RegistrationResponseJSON, challenge = CHALLENGE, requireUV = false): Promise<Verdict> {
  try {
    const v = await verifyRegistrationResponse({
      response,
      expectedChallenge: challenge,
      expectedOrigin: ORIGIN,
      expectedRPID: RP_ID,
      requireUserPresence: true,
      requireUserVerification: requireUV,
      supportedAlgorithmIDs: [-7],
    });
    if (!v.verified) return { ok: false };
    const { credential, fmt, aaguid } = v.registrationInfo;
    // The relying party's own check after the library's: the unsigned JSON id is the signed one.
    if (credential.id !== response.id) return { ok: false };
    return {
      ok: true,
      id: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString('hex'),
      counter: credential.counter,
      fmt,
      aaguid: aaguid.replaceAll('-', ''),
    };
  } catch {
    return { ok: false };
  }
}

type Ours = Verdict | { ok: false; check: RegistrationCheck } | { delegated: true };

/** What the relying party concludes: ours, or the library's for what ours leaves to it. */
async function relyingParty(response: RegistrationResponseJSON, challenge = CHALLENGE, requireUV = false) {
  const mine = ours(response, challenge, requireUV);
  return 'delegated' in mine ? oracle(response, challenge, requireUV) : mine;
}

function ours(response: RegistrationResponseJSON, challenge = CHALLENGE, requireUV = false): Ours {
  try {
    const v = verifyRegistration(response, {
      challenge,
      origin: ORIGIN,
      rpIdHash: rpIdHash(RP_ID),
      requireUserVerification: requireUV,
      algorithms: [-7],
      now: new Date(),
    });
    if (v === undefined) return { delegated: true };
    const id = Buffer.from(v.credentialId).toString('base64url');
    if (id !== response.id) return { ok: false };
    return {
      ok: true,
      id,
      publicKey: Buffer.from(v.publicKey).toString('hex'),
      counter: v.counter,
      fmt: v.fmt,
      aaguid: Buffer.from(v.aaguid).toString('hex'),
    };
  } catch (error) {
    if (error instanceof RegistrationVerificationError) return { ok: false, check: error.check };
    throw error;
  }
}

/** The band's authenticator registers as the RP asked (batch or self attestation). */
async function bandRegistration(mode: AttestationMode, seed: string): Promise<RegistrationResponseJSON> {
  const { client } = makeRig({ aaguid: BAND_AAGUID, attestation: mode, seed });
  const made = await client.makeCredential({
    challenge: CHALLENGE,
    origin: ORIGIN,
    rp: { id: RP_ID },
    user: { id: new Uint8Array(16).fill(1), name: 'tw-user2' },
  });
  return registrationResponseJSON(made);
}

// A test CA and one attestation key: certificates vary by case, keys need not.
const ca = newKeyPair();
const attestationKey = newKeyPair();
const issuer = { name: CA_NAME, key: ca.privateKey };
const leaf = (change: Partial<CertificateSpec> = {}) =>
  certificate({ subject: ATTESTATION_SUBJECT, aaguid: AAGUID, key: attestationKey.publicKey, issuer, ...change });
const basic = (change: Partial<RegistrationSpec> = {}) =>
  forgeRegistration({ challenge: CHALLENGE, signer: attestationKey, x5c: [leaf()], ...change });
const self = (change: Partial<RegistrationSpec> = {}) => forgeRegistration({ challenge: CHALLENGE, ...change });
const none = (change: Partial<RegistrationSpec> = {}) =>
  forgeRegistration({ challenge: CHALLENGE, fmt: 'none', ...change });
const subjectWith = (oid: string, value: string | undefined) =>
  ATTESTATION_SUBJECT.flatMap(([o, v]): [string, string][] =>
    o !== oid ? [[o, v]] : value === undefined ? [] : [[o, value]],
  );
const flip = (bytes: Uint8Array, at: number) => {
  const out = Uint8Array.from(bytes);
  out[at] ^= 0x01;
  return out;
};
const DAY = 86_400_000;

/** expected: both accept, both refuse, or ours refuses (for the named stricter check) what the library accepts. */
type Case = [name: string, make: () => RegistrationResponseJSON, expected: 'accept' | 'refuse' | RegistrationCheck];

const cases: Case[] = [
  ['packed basic attestation meeting §8.2.1', () => basic(), 'accept'],
  ['packed self attestation', () => self(), 'accept'],
  ['none attestation', () => none(), 'accept'],
  [
    'basic attestation without the AAGUID extension (it is optional)',
    () => basic({ x5c: [leaf({ aaguid: null })] }),
    'accept',
  ],
  ['UV not set (not required)', () => basic({ flags: FLAG.UP | FLAG.AT }), 'accept'],
  ['backup eligible and backed up', () => self({ flags: FLAG.UP | FLAG.AT | FLAG.BE | FLAG.BS }), 'accept'],
  [
    'an intermediate after the leaf (no roots to chain to)',
    () => basic({ x5c: [leaf(), leaf({ ca: true })] }),
    'accept',
  ],
  // The response JSON.
  ['id is not rawId', () => self({ response: (r) => ({ ...r, rawId: r.rawId.slice(1) }) }), 'refuse'],
  ['type is not public-key', () => self({ response: (r) => ({ ...r, type: 'other' as 'public-key' }) }), 'refuse'],
  [
    'id is another credential than the signed one',
    () => self({ response: (r) => ({ ...r, id: 'AAAA', rawId: 'AAAA' }) }),
    'refuse',
  ],
  // clientDataJSON (§7.1 steps 5-10).
  [
    'clientData type webauthn.get',
    () => basic({ clientData: { type: 'webauthn.get', challenge: CHALLENGE, origin: ORIGIN } }),
    'refuse',
  ],
  [
    'clientData challenge of another ceremony',
    () => basic({ clientData: { type: 'webauthn.create', challenge: 'AAAA', origin: ORIGIN } }),
    'refuse',
  ],
  [
    'clientData origin of another site',
    () => basic({ clientData: { type: 'webauthn.create', challenge: CHALLENGE, origin: 'https://evil.example' } }),
    'refuse',
  ],
  ['clientDataJSON not JSON', () => basic({ clientDataJSON: Buffer.from('{"type":') }), 'refuse'],
  [
    'tokenBinding with an unknown status',
    () =>
      basic({
        clientData: {
          type: 'webauthn.create',
          challenge: CHALLENGE,
          origin: ORIGIN,
          tokenBinding: { status: 'maybe' },
        },
      }),
    'refuse',
  ],
  [
    'tokenBinding present',
    () =>
      basic({
        clientData: {
          type: 'webauthn.create',
          challenge: CHALLENGE,
          origin: ORIGIN,
          tokenBinding: { status: 'supported' },
        },
      }),
    'accept',
  ],
  [
    'crossOrigin true',
    () => basic({ clientData: { type: 'webauthn.create', challenge: CHALLENGE, origin: ORIGIN, crossOrigin: true } }),
    'cross-origin',
  ],
  // Authenticator data (steps 13-16).
  ['rpIdHash of another RP ID', () => basic({ rpId: 'evil.example' }), 'refuse'],
  ['UP not set', () => basic({ flags: FLAG.UV | FLAG.AT }), 'refuse'],
  ['AT not set', () => self({ flags: FLAG.UP | FLAG.UV }), 'refuse'],
  ['BS without BE', () => self({ flags: FLAG.UP | FLAG.AT | FLAG.BS }), 'refuse'],
  ['ED set without extensions', () => basic({ flags: FLAG.UP | FLAG.AT | FLAG.ED }), 'refuse'],
  [
    'extensions present and flagged',
    () => basic({ flags: FLAG.UP | FLAG.AT | FLAG.ED, authDataTail: encodeCanonical(new Map([['credProtect', 1]])) }),
    'accept',
  ],
  ['trailing bytes after the credential key', () => basic({ authDataTail: Uint8Array.of(0) }), 'refuse'],
  [
    'credential key alg RS256',
    () => basic({ coseKey: new Map([...coseKeyOf(newKeyPair().publicKey), [3, -257]]) }),
    'refuse',
  ],
  [
    'credential key without alg',
    () => basic({ coseKey: new Map([...coseKeyOf(newKeyPair().publicKey)].filter(([k]) => k !== 3)) }),
    'refuse',
  ],
  [
    'credential key not on the curve (basic)',
    () => basic({ coseKey: new Map([...coseKeyOf(newKeyPair().publicKey), [-3, new Uint8Array(32).fill(7)]]) }),
    'credential-key',
  ],
  [
    'credential key x + p (right modulo p, not below p: SEC 1 §3.2.2.1)',
    () => {
      // The point on P-256 with the smallest positive x, found by trial (p ≡ 3 mod 4: √a = a^((p+1)/4)); x + p
      // still fits in 32 bytes.
      const p = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
      const b = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
      const pow = (a: bigint, e: bigint) => {
        let r = 1n;
        for (a %= p; e > 0n; e >>= 1n, a = (a * a) % p) if (e & 1n) r = (r * a) % p;
        return r;
      };
      let x = 1n;
      let y = pow((((x * x * x - 3n * x + b) % p) + p) % p, (p + 1n) / 4n);
      while ((y * y - (x * x * x - 3n * x + b)) % p !== 0n) {
        x++;
        y = pow((((x * x * x - 3n * x + b) % p) + p) % p, (p + 1n) / 4n);
      }
      const bytes = (v: bigint) => Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
      return basic({ coseKey: new Map([...coseKeyOf(newKeyPair().publicKey), [-2, bytes(x + p)], [-3, bytes(y)]]) });
    },
    'credential-key',
  ],
  [
    'credential key of the zero point (basic)',
    () =>
      basic({
        coseKey: new Map([...coseKeyOf(newKeyPair().publicKey), [-2, new Uint8Array(32)], [-3, new Uint8Array(32)]]),
      }),
    'credential-key',
  ],
  [
    'credential key without y (basic)',
    () => basic({ coseKey: new Map([...coseKeyOf(newKeyPair().publicKey)].filter(([k]) => k !== -3)) }),
    'credential-key',
  ],
  [
    'credential key of kty OKP (basic)',
    () => basic({ coseKey: new Map([...coseKeyOf(newKeyPair().publicKey), [1, 1]]) }),
    'credential-key',
  ],
  [
    'credential key not on the curve (self)',
    () => {
      const key = newKeyPair();
      return self({
        credentialKey: key,
        coseKey: new Map([...coseKeyOf(key.publicKey), [-3, new Uint8Array(32).fill(7)]]),
      });
    },
    'refuse',
  ],
  [
    'credential key map in non-canonical order',
    () => {
      const key = [...coseKeyOf(newKeyPair().publicKey)];
      const reordered = Buffer.concat([
        Uint8Array.of(0xa5),
        ...key.reverse().map(([k, v]) => Buffer.concat([encodeCanonical(k), encodeCanonical(v)])),
      ]);
      return basic({ coseKeyBytes: reordered });
    },
    'canonical-cbor',
  ],
  ['credential ID of 1024 bytes', () => self({ credentialId: new Uint8Array(1024).fill(3) }), 'credential-id-length'],
  ['counter 0', () => basic({ counter: 0 }), 'accept'],
  // The attestation object (step 12) and statement (steps 18-19, §8.2, §8.7).
  [
    'a byte after the attestation object',
    () => basic({ attestationObjectBytes: (b) => Buffer.concat([b, Uint8Array.of(0)]) }),
    'canonical-cbor',
  ],
  [
    'attestation object keys in non-canonical order',
    () =>
      basic({
        attestationObjectBytes: (b, { authData, attStmt }) => {
          const text = (t: string) => encodeCanonical(t);
          return Buffer.concat([
            Uint8Array.of(0xa3),
            text('authData'),
            encodeCanonical(authData),
            text('fmt'),
            text('packed'),
            text('attStmt'),
            encodeCanonical(attStmt),
          ]);
        },
      }),
    'canonical-cbor',
  ],
  ['an unknown format', () => none({ fmt: 'made-up' }), 'refuse'],
  ['none with a statement', () => none({ attStmt: new Map([['alg', -7]]) }), 'refuse'],
  ['packed without sig', () => basic({ sig: () => new Uint8Array(0) }), 'refuse'],
  ['signature with one bit flipped (basic)', () => basic({ sig: (s) => flip(s, s.length - 3) }), 'refuse'],
  ['signature with one bit flipped (self)', () => self({ sig: (s) => flip(s, s.length - 3) }), 'refuse'],
  ['signed by another key than the certificate names', () => basic({ signer: newKeyPair() }), 'refuse'],
  ['self attestation signed by another key', () => self({ signer: newKeyPair() }), 'refuse'],
  [
    'certificate of another key swapped in',
    () =>
      basic({
        x5c: [certificate({ subject: ATTESTATION_SUBJECT, aaguid: AAGUID, key: newKeyPair().publicKey, issuer })],
      }),
    'refuse',
  ],
  ['x5c empty', () => basic({ x5c: [] }), 'refuse'],
  ['x5c holds no certificate', () => basic({ x5c: [Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01)] }), 'refuse'],
  ['self attestation alg RS256 while the key is ES256', () => self({ alg: -257 }), 'self-attestation-alg'],
  // §8.2.1 certificate requirements.
  ['certificate version 1', () => basic({ x5c: [leaf({ version: 0 })] }), 'refuse'],
  [
    'certificate OU other',
    () => basic({ x5c: [leaf({ subject: subjectWith(AttestationOid.organizationalUnitName, 'Other') })] }),
    'refuse',
  ],
  [
    'certificate without OU',
    () => basic({ x5c: [leaf({ subject: subjectWith(AttestationOid.organizationalUnitName, undefined) })] }),
    'refuse',
  ],
  [
    'certificate C of three letters',
    () => basic({ x5c: [leaf({ subject: subjectWith(AttestationOid.countryName, 'USA') })] }),
    'refuse',
  ],
  [
    'certificate without O',
    () => basic({ x5c: [leaf({ subject: subjectWith(AttestationOid.organizationName, undefined) })] }),
    'refuse',
  ],
  [
    'certificate without CN',
    () => basic({ x5c: [leaf({ subject: subjectWith(AttestationOid.commonName, undefined) })] }),
    'refuse',
  ],
  ['certificate CA true', () => basic({ x5c: [leaf({ ca: true })] }), 'refuse'],
  ['certificate not yet valid', () => basic({ x5c: [leaf({ notBefore: new Date(Date.now() + DAY) })] }), 'refuse'],
  [
    'certificate expired',
    () => basic({ x5c: [leaf({ notBefore: new Date(Date.now() - 3 * DAY), notAfter: new Date(Date.now() - DAY) })] }),
    'refuse',
  ],
  ['certificate AAGUID not the authenticator data one', () => basic({ aaguid: new Uint8Array(16).fill(9) }), 'refuse'],
  [
    'certificate AAGUID extension malformed',
    () => basic({ x5c: [leaf({ aaguidExtnValue: Uint8Array.of(0x02, 0x01, 0x05) })] }),
    'refuse',
  ],
  ['certificate AAGUID extension critical', () => basic({ x5c: [leaf({ aaguidCritical: true })] }), 'aaguid-critical'],
];

describe('registration verification: ours and @simplewebauthn/server agree', () => {
  it.each(cases)('%s', async (_name, make, expected) => {
    const response = make();
    const [theirs, mine] = [await oracle(response), await relyingParty(response)];
    if (expected === 'accept') {
      expect(theirs.ok).toBe(true);
      // Same credential out of both: ID, COSE key bytes, counter, format, AAGUID.
      expect(mine).toEqual(theirs);
    } else if (expected === 'refuse') {
      expect(theirs.ok).toBe(false);
      expect(mine).toMatchObject({ ok: false });
    } else {
      expect(STRICTER).toContain(expected);
      expect(theirs.ok).toBe(true);
      expect(mine).toEqual({ ok: false, check: expected });
    }
  });

  it("the band's batch and self registrations: both accept, with the same credential", async () => {
    for (const mode of ['batch', 'self'] as const) {
      const response = await bandRegistration(mode, `differential ${mode}`);
      const theirs = await oracle(response);
      expect(theirs.ok).toBe(true);
      expect(ours(response)).toEqual(theirs);
      // A challenge of another ceremony, and user verification required of a band that did verify: the same answer.
      expect((await oracle(response, 'AAAA')).ok).toBe(false);
      expect(ours(response, 'AAAA')).toMatchObject({ ok: false, check: 'client-data' });
      const uv = [await oracle(response, CHALLENGE, true), await relyingParty(response, CHALLENGE, true)];
      expect(uv[1].ok).toBe(uv[0].ok);
    }
  });

  it('leaves formats and attestation algorithms it does not verify to the library', () => {
    expect(ours(none({ fmt: 'fido-u2f' }))).toEqual({ delegated: true });
    expect(ours(basic({ alg: -257 }))).toEqual({ delegated: true });
  });

  // Every bit of what the band sends, one at a time: ours never accepts what the library refuses, and refuses what
  // it accepts only for a check on the STRICTER list.
  it.each(['batch', 'self'] as const)(
    "one bit flipped anywhere in the band's %s registration: never accepted where the library refuses",
    async (mode) => {
      const response = await bandRegistration(mode, `flips ${mode}`);
      const fields = ['attestationObject', 'clientDataJSON'] as const;
      let compared = 0;
      for (const field of fields) {
        const bytes = Buffer.from(response.response[field], 'base64url');
        for (let at = 0; at < bytes.length; at++) {
          const flipped: RegistrationResponseJSON = {
            ...response,
            response: { ...response.response, [field]: Buffer.from(flip(bytes, at)).toString('base64url') },
          };
          const [theirs, mine] = [await oracle(flipped), await relyingParty(flipped)];
          const where = `${field} byte ${at}`;
          if (theirs.ok) {
            if (!mine.ok) {
              const check = 'check' in mine ? mine.check : undefined;
              expect({ where, check, stricter: STRICTER.includes(check as RegistrationCheck) }).toEqual({
                where,
                check,
                stricter: true,
              });
            } else expect([where, mine]).toEqual([where, theirs]);
          } else expect([where, mine]).toMatchObject([where, { ok: false }]);
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(300);
    },
    60_000,
  );
});
