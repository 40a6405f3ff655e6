import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  RelyingPartyError,
  WebAuthnRelyingParty,
  type AuthenticationResponseJSON,
  type WebAuthnRelyingPartyOptions,
} from '../../host/relying-party/index.js';
import { manualClock, seededRandom, withTempDir } from './fixtures.js';
import { SoftAuthenticator } from './soft-authenticator.js';

const RP_ID = 'login.example.com';
const ORIGIN = 'https://login.example.com';

function makeRp(extra: Partial<WebAuthnRelyingPartyOptions> = {}) {
  const clock = manualClock();
  const rp = new WebAuthnRelyingParty({
    id: RP_ID,
    origin: ORIGIN,
    name: 'Example',
    randomBytes: seededRandom('rp'),
    clock,
    ...extra,
  });
  return { rp, clock };
}

const oldBand = () => new SoftAuthenticator({ randomBytes: seededRandom('band-AAAH-00125') });
const newBand = () => new SoftAuthenticator({ randomBytes: seededRandom('band-ACAK-00056') });

async function register(rp: WebAuthnRelyingParty, band: SoftAuthenticator, bandSerial: string, user = 'tw-user2') {
  const options = await rp.startRegistration(user, { bandSerial });
  return rp.finishRegistration(user, band.register(options, ORIGIN));
}

async function authenticate(rp: WebAuthnRelyingParty, band: SoftAuthenticator, user = 'tw-user2', bandSerial?: string) {
  const options = await rp.startAuthentication(user, bandSerial ? { bandSerial } : {});
  return rp.finishAuthentication(user, band.authenticate(options, ORIGIN));
}

async function failure(p: Promise<unknown>): Promise<RelyingPartyError> {
  return p.then(
    () => expect.fail('expected a RelyingPartyError'),
    (e: unknown) => {
      expect(e).toBeInstanceOf(RelyingPartyError);
      return e as RelyingPartyError;
    },
  );
}

/** Flips one bit in a base64url field. */
function flip(b64: string, index: number): string {
  const bytes = Buffer.from(b64, 'base64url');
  bytes[((index % bytes.length) + bytes.length) % bytes.length] ^= 0x01;
  return bytes.toString('base64url');
}

describe('WebAuthnRelyingParty', () => {
  it('offers ES256 only, a challenge from the injected random source, and excludes active credentials', async () => {
    const { rp } = makeRp();
    const expected = seededRandom('rp');
    // A new user's handle is drawn first, then the challenge.
    const handle = Buffer.from(expected(16)).toString('base64url');
    const challenge = Buffer.from(expected(32)).toString('base64url');
    const options = await rp.startRegistration('tw-user2', { bandSerial: 'AAAH-00125' });
    expect(options).toMatchObject({
      challenge,
      rp: { id: RP_ID, name: 'Example' },
      user: { id: handle, name: 'tw-user2', displayName: 'tw-user2' },
      pubKeyCredParams: [{ alg: -7, type: 'public-key' }],
      excludeCredentials: [],
      attestation: 'direct',
      authenticatorSelection: { userVerification: 'preferred', residentKey: 'discouraged' },
    });
    await rp.finishRegistration('tw-user2', oldBand().register(options, ORIGIN));
    const again = await rp.startRegistration('tw-user2', { bandSerial: 'ACAK-00056' });
    expect(again.excludeCredentials?.map((c) => c.id)).toEqual((await rp.credentials('tw-user2')).map((c) => c.id));
    expect(again.user.id).toBe(handle);
  });

  it('verifies a packed self-attested registration and then an assertion, advancing the counter', async () => {
    const { rp, clock } = makeRp();
    const band = oldBand();
    const credential = await register(rp, band, 'AAAH-00125');
    expect(credential).toMatchObject({
      userName: 'tw-user2',
      bandSerial: 'AAAH-00125',
      counter: 1,
      transports: ['usb'],
    });
    expect(credential.retired).toBeUndefined();
    clock.advance(5_000);
    const used = await authenticate(rp, band);
    expect(used.id).toBe(credential.id);
    expect(used.counter).toBe(2);
    expect(used.lastUsed).toBe('2024-05-01T09:00:05.000Z');
    expect((await authenticate(rp, band)).counter).toBe(3);
  });

  it('re-creating the key on a new band and retiring the old one: the old key no longer authenticates', async () => {
    const { rp } = makeRp();
    const old = oldBand();
    const replacement = newBand();
    const first = await register(rp, old, 'AAAH-00125');
    const second = await register(rp, replacement, 'ACAK-00056');
    const retired = await rp.retireCredential('tw-user2', first.id);
    expect(retired.retired).toBe('2024-05-01T09:00:00.000Z');
    // Idempotent.
    expect((await rp.retireCredential('tw-user2', first.id)).retired).toBe(retired.retired);

    const options = await rp.startAuthentication('tw-user2');
    expect(options.allowCredentials?.map((c) => c.id)).toEqual([second.id]);
    expect((await rp.finishAuthentication('tw-user2', replacement.authenticate(options, ORIGIN))).id).toBe(second.id);

    // The old band answers a challenge anyway with its retired key.
    const next = await rp.startAuthentication('tw-user2');
    const error = await failure(
      rp.finishAuthentication('tw-user2', old.authenticateWith(first.id, next.challenge, ORIGIN)),
    );
    expect(error.code).toBe('RETIRED_CREDENTIAL');
    expect(error.message).toContain('AAAH-00125');
    expect((await rp.credentials('tw-user2')).map((c) => [c.bandSerial, c.retired !== undefined])).toEqual([
      ['AAAH-00125', true],
      ['ACAK-00056', false],
    ]);
  });

  it('a tampered signature fails and the counter is not advanced', async () => {
    const { rp } = makeRp();
    const band = oldBand();
    const credential = await register(rp, band, 'AAAH-00125');
    const options = await rp.startAuthentication('tw-user2');
    const response = band.authenticate(options, ORIGIN);
    const tampered: AuthenticationResponseJSON = {
      ...response,
      response: { ...response.response, signature: flip(response.response.signature, 40) },
    };
    expect((await failure(rp.finishAuthentication('tw-user2', tampered))).code).toBe('VERIFICATION_FAILED');
    expect((await rp.credentials('tw-user2'))[0].counter).toBe(credential.counter);
  });

  it('tampered registration data or tampered authenticator data fails', async () => {
    const { rp } = makeRp();
    const band = oldBand();
    const edit = async (
      change: (r: ReturnType<SoftAuthenticator['register']>) => ReturnType<SoftAuthenticator['register']>,
    ) => {
      const options = await rp.startRegistration('tw-user2', { bandSerial: 'AAAH-00125' });
      return (await failure(rp.finishRegistration('tw-user2', change(band.register(options, ORIGIN))))).code;
    };
    // Last byte of the attestation object: inside authData's COSE key.
    expect(
      await edit((r) => ({
        ...r,
        response: { ...r.response, attestationObject: flip(r.response.attestationObject, -1) },
      })),
    ).toBe('VERIFICATION_FAILED');
    // Client data still names the right challenge and origin, but is not what was signed.
    expect(
      await edit((r) => {
        const json = Buffer.from(r.response.clientDataJSON, 'base64url').toString().replace('}', ',"extra":1}');
        return { ...r, response: { ...r.response, clientDataJSON: Buffer.from(json).toString('base64url') } };
      }),
    ).toBe('VERIFICATION_FAILED');
    // The unsigned JSON id disagrees with the signed credential ID.
    expect(await edit((r) => ({ ...r, id: flip(r.id, 0), rawId: flip(r.rawId, 0) }))).toBe('VERIFICATION_FAILED');
    expect(await rp.credentials('tw-user2')).toEqual([]);

    await register(rp, band, 'AAAH-00125');
    const auth = await rp.startAuthentication('tw-user2');
    const resp = band.authenticate(auth, ORIGIN);
    // Byte 35 is the low byte of the signature counter: the signature no longer covers it.
    const badAuth = {
      ...resp,
      response: { ...resp.response, authenticatorData: flip(resp.response.authenticatorData, 35) },
    };
    expect((await failure(rp.finishAuthentication('tw-user2', badAuth))).code).toBe('VERIFICATION_FAILED');
  });

  it('a counter that does not go up is COUNTER_REGRESSION (a cloned key), and is not recorded', async () => {
    const { rp } = makeRp();
    const band = oldBand();
    const credential = await register(rp, band, 'AAAH-00125');
    await authenticate(rp, band);
    await authenticate(rp, band); // counter 3
    band.setSignCount(credential.id, 1); // the next assertion carries 2
    const error = await failure(authenticate(rp, band));
    expect(error.code).toBe('COUNTER_REGRESSION');
    expect(error.message).toMatch(/counter 2, but 3 was already seen/);
    band.setSignCount(credential.id, 2); // equal is a regression too
    expect((await failure(authenticate(rp, band))).code).toBe('COUNTER_REGRESSION');
    expect((await rp.credentials('tw-user2'))[0].counter).toBe(3);
    expect((await authenticate(rp, band)).counter).toBe(4);
  });

  it('an authenticator without a counter (always 0) is accepted', async () => {
    const { rp } = makeRp();
    const band = new SoftAuthenticator({ randomBytes: seededRandom('no-counter'), countsSignatures: false });
    await register(rp, band, 'AAAH-00125');
    expect((await authenticate(rp, band)).counter).toBe(0);
    expect((await authenticate(rp, band)).counter).toBe(0);
  });

  it('a response for another origin or RP ID does not verify', async () => {
    const { rp } = makeRp();
    const band = oldBand();
    const options = await rp.startRegistration('tw-user2', { bandSerial: 'AAAH-00125' });
    expect(
      (await failure(rp.finishRegistration('tw-user2', band.register(options, 'https://evil.example')))).code,
    ).toBe('VERIFICATION_FAILED');
    const options2 = await rp.startRegistration('tw-user2', { bandSerial: 'AAAH-00125' });
    const wrongRp = band.register({ ...options2, rp: { ...options2.rp, id: 'evil.example' } }, ORIGIN);
    expect((await failure(rp.finishRegistration('tw-user2', wrongRp))).code).toBe('VERIFICATION_FAILED');
  });

  it('a challenge is good for one attempt and for a limited time', async () => {
    const { rp, clock } = makeRp({ ceremonyTimeoutMs: 60_000 });
    const band = oldBand();
    const options = await rp.startRegistration('tw-user2', { bandSerial: 'AAAH-00125' });
    const response = band.register(options, ORIGIN);
    await rp.finishRegistration('tw-user2', response);
    expect((await failure(rp.finishRegistration('tw-user2', response))).code).toBe('NO_PENDING_CEREMONY');

    const late = await rp.startAuthentication('tw-user2');
    clock.advance(60_001);
    expect((await failure(rp.finishAuthentication('tw-user2', band.authenticate(late, ORIGIN)))).code).toBe(
      'CEREMONY_EXPIRED',
    );

    // A replayed response to a new challenge fails.
    const first = await rp.startAuthentication('tw-user2');
    const answered = band.authenticate(first, ORIGIN);
    await rp.startAuthentication('tw-user2'); // replaces the pending challenge
    expect((await failure(rp.finishAuthentication('tw-user2', answered))).code).toBe('VERIFICATION_FAILED');
  });

  it('a credential of another user is UNKNOWN_CREDENTIAL; re-registering the same credential is refused', async () => {
    const { rp } = makeRp();
    const alice = oldBand();
    const bob = newBand();
    const aliceCred = await register(rp, alice, 'AAAH-00125', 'alice');
    await register(rp, bob, 'ACAK-00056', 'bob');
    const options = await rp.startAuthentication('bob');
    const error = await failure(
      rp.finishAuthentication('bob', alice.authenticateWith(aliceCred.id, options.challenge, ORIGIN)),
    );
    expect(error.code).toBe('UNKNOWN_CREDENTIAL');
    expect((await failure(rp.retireCredential('bob', aliceCred.id))).code).toBe('UNKNOWN_CREDENTIAL');

    // An authenticator attesting a new key under an ID already on file (to the same or another user).
    for (const user of ['alice', 'bob']) {
      const options = await rp.startRegistration(user, { bandSerial: 'ACAK-00056' });
      const reused = bob.register({ ...options, excludeCredentials: [] }, ORIGIN, { reuseCredentialId: aliceCred.id });
      expect((await failure(rp.finishRegistration(user, reused))).code).toBe('DUPLICATE_CREDENTIAL');
    }
    expect((await rp.credentials('alice')).map((c) => c.publicKey)).toEqual([aliceCred.publicKey]);
  });

  it('only offers the credentials on the requested band, and says so when there are none', async () => {
    const { rp } = makeRp();
    await register(rp, oldBand(), 'AAAH-00125');
    expect((await failure(rp.startAuthentication('tw-user2', { bandSerial: 'ACAK-00056' }))).code).toBe(
      'NO_CREDENTIALS',
    );
    expect((await failure(rp.startAuthentication('nobody'))).code).toBe('NO_CREDENTIALS');
    expect((await failure(rp.startRegistration('tw-user2', { bandSerial: 'not-a-serial' }))).code).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('user verification: not required by default, enforced when configured', async () => {
    const lax = makeRp().rp;
    const band = oldBand();
    band.userVerified = false;
    await register(lax, band, 'AAAH-00125');
    await authenticate(lax, band);

    const strict = makeRp({ requireUserVerification: true }).rp;
    const options = await strict.startRegistration('tw-user2', { bandSerial: 'AAAH-00125' });
    expect(options.authenticatorSelection?.userVerification).toBe('required');
    const unverified = newBand();
    unverified.userVerified = false;
    expect((await failure(strict.finishRegistration('tw-user2', unverified.register(options, ORIGIN)))).code).toBe(
      'VERIFICATION_FAILED',
    );
    unverified.userVerified = true;
    await register(strict, unverified, 'AAAH-00125');
    await authenticate(strict, unverified);
    unverified.userVerified = false;
    expect((await failure(authenticate(strict, unverified))).code).toBe('VERIFICATION_FAILED');
  });

  it('persists credentials atomically to a 0600 file that a new instance reads back', async () => {
    await withTempDir(async (dir) => {
      const statePath = join(dir, 'rp.json');
      const band = oldBand();
      const first = makeRp({ statePath }).rp;
      const cred = await register(first, band, 'AAAH-00125');
      await authenticate(first, band);
      expect((await stat(statePath)).mode & 0o777).toBe(0o600);

      const second = makeRp({ statePath, randomBytes: seededRandom('rp-restarted') }).rp;
      expect(await second.credentials('tw-user2')).toEqual(await first.credentials('tw-user2'));
      expect((await authenticate(second, band)).counter).toBe(3);
      await second.retireCredential('tw-user2', cred.id);
      expect((await makeRp({ statePath }).rp.credentials('tw-user2'))[0].retired).toBeDefined();
    });
  });

  it('a new instance reading the file refuses a credential ID already in it, for any user', async () => {
    await withTempDir(async (dir) => {
      const statePath = join(dir, 'rp.json');
      const alice = oldBand();
      const bob = newBand();
      const aliceCred = await register(makeRp({ statePath }).rp, alice, 'AAAH-00125', 'alice');
      const second = makeRp({ statePath, randomBytes: seededRandom('rp-restarted') }).rp;
      for (const user of ['alice', 'bob']) {
        const options = await second.startRegistration(user, { bandSerial: 'ACAK-00056' });
        const reused = bob.register({ ...options, excludeCredentials: [] }, ORIGIN, {
          reuseCredentialId: aliceCred.id,
        });
        expect((await failure(second.finishRegistration(user, reused))).code).toBe('DUPLICATE_CREDENTIAL');
      }
      // Another key registers, and the file still lists alice's once.
      const bobCred = await register(second, bob, 'ACAK-00056', 'bob');
      const third = makeRp({ statePath }).rp;
      expect((await third.credentials('alice')).map((c) => c.id)).toEqual([aliceCred.id]);
      expect((await third.credentials('bob')).map((c) => c.id)).toEqual([bobCred.id]);
    });
  });

  it('a corrupt or foreign state file is CORRUPT and left untouched', async () => {
    await withTempDir(async (dir) => {
      const statePath = join(dir, 'rp.json');
      await register(makeRp({ statePath }).rp, oldBand(), 'AAAH-00125');
      const text = await readFile(statePath, 'utf8');

      await writeFile(statePath, text.slice(0, 50));
      const error = await failure(makeRp({ statePath }).rp.credentials('tw-user2'));
      expect(error.code).toBe('CORRUPT');
      expect(error.message).toContain(statePath);
      expect(await readFile(statePath, 'utf8')).toBe(text.slice(0, 50));

      await writeFile(statePath, text);
      const other = new WebAuthnRelyingParty({
        id: 'other.example.com',
        origin: 'https://other.example.com',
        statePath,
      });
      expect((await failure(other.credentials('tw-user2'))).message).toMatch(
        /belongs to relying party "login.example.com"/,
      );

      // A user handle spelled non-canonically (a stray trailing bit) would reach creation options as it is stored.
      const doc = JSON.parse(text) as { users: Record<string, { handle: string }> };
      const record = doc.users['tw-user2'];
      const last = record.handle.at(-1)!;
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      // An unpadded handle whose length is not a multiple of 4 has spare low bits in its last character.
      expect(record.handle.length % 4).not.toBe(0);
      record.handle = record.handle.slice(0, -1) + alphabet[alphabet.indexOf(last) ^ 1];
      const tampered = JSON.stringify(doc);
      await writeFile(statePath, tampered);
      const handleError = await failure(makeRp({ statePath }).rp.credentials('tw-user2'));
      expect(handleError.code).toBe('CORRUPT');
      expect(await readFile(statePath, 'utf8')).toBe(tampered);
    });
  });

  it('a user named like an Object.prototype key is just another user', async () => {
    const { rp } = makeRp();
    await register(rp, oldBand(), 'AAAH-00125', '__proto__');
    expect(await rp.credentials('__proto__')).toHaveLength(1);
    expect(await rp.credentials('constructor')).toEqual([]);
  });
});
