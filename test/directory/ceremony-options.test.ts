import { generateAuthenticationOptions, generateRegistrationOptions } from '@simplewebauthn/server';
import { describe, expect, it } from 'vitest';
import { authenticationOptions, registrationOptions } from '../../host/relying-party/ceremony-options.js';
import { SUPPORTED_ALGORITHM_IDS, WebAuthnRelyingParty } from '../../host/relying-party/index.js';
import { manualClock, seededRandom } from './fixtures.js';
import { SoftAuthenticator } from './soft-authenticator.js';

/**
 * The relying party builds its ceremony options itself (so registering a band never loads @simplewebauthn/server);
 * the library stays the oracle: for the same inputs, the same JSON, key for key (order included, as a client
 * serialising it would see it).
 */
const random = seededRandom('ceremony-options');
const RP_ID = 'login.example.com';
const ORIGIN = 'https://login.example.com';

const same = (ours: unknown, theirs: unknown) => {
  expect(ours).toStrictEqual(theirs);
  expect(JSON.stringify(ours)).toBe(JSON.stringify(theirs));
};

describe('ceremony options match @simplewebauthn/server', () => {
  const excluded = [
    [],
    [{ id: Buffer.from(random(64)).toString('base64url'), transports: ['usb', 'nfc'] }],
    [
      { id: Buffer.from(random(16)).toString('base64url'), transports: [] },
      { id: Buffer.from(random(1023)).toString('base64url'), transports: ['hybrid'] },
    ],
  ];

  it('registration: challenge, user, algorithms, timeout, attestation, exclusions, selection, extensions', async () => {
    let cases = 0;
    for (const excludeCredentials of excluded)
      for (const attestation of ['direct', 'enterprise'] as const)
        for (const userVerification of ['preferred', 'required'] as const) {
          const challenge = random(32);
          const userID = random(16);
          const input = { rpName: 'Example ü', rpID: RP_ID, userName: 'tw-user2', userDisplayName: 'T. W. User' };
          const ours = registrationOptions({
            ...input,
            userID,
            challenge,
            timeout: 90_000 + cases,
            attestation,
            excludeCredentials,
            authenticatorAttachment: 'cross-platform',
            userVerification,
            algorithms: SUPPORTED_ALGORITHM_IDS,
          });
          const theirs = await generateRegistrationOptions({
            ...input,
            userID: Uint8Array.from(userID),
            challenge: Uint8Array.from(challenge),
            timeout: 90_000 + cases,
            attestationType: attestation,
            excludeCredentials: excludeCredentials.map((c) => ({ ...c })),
            authenticatorSelection: {
              authenticatorAttachment: 'cross-platform',
              residentKey: 'discouraged',
              requireResidentKey: false,
              userVerification,
            },
            supportedAlgorithmIDs: SUPPORTED_ALGORITHM_IDS,
          });
          same(ours, theirs);
          cases++;
        }
    expect(cases).toBe(12);
  });

  it('authentication: RP ID, challenge, allowed credentials with transports, timeout, user verification', async () => {
    for (const allowCredentials of excluded.slice(1))
      for (const userVerification of ['preferred', 'required'] as const) {
        const challenge = random(32);
        const ours = authenticationOptions({
          rpID: RP_ID,
          challenge,
          timeout: 120_000,
          allowCredentials,
          userVerification,
        });
        const theirs = await generateAuthenticationOptions({
          rpID: RP_ID,
          challenge: Uint8Array.from(challenge),
          timeout: 120_000,
          allowCredentials: allowCredentials.map((c) => ({ ...c })),
          userVerification,
        });
        same(ours, theirs);
      }
  });

  it('WebAuthnRelyingParty offers what the library would for its own user handle, challenge and credentials', async () => {
    const rp = new WebAuthnRelyingParty({
      id: RP_ID,
      origin: ORIGIN,
      name: 'Example',
      randomBytes: seededRandom('rp'),
      clock: manualClock(),
    });
    const band = new SoftAuthenticator({ randomBytes: seededRandom('band-AAAH-00125') });
    const first = await rp.startRegistration('tw-user2', { bandSerial: 'AAAH-00125', displayName: 'T. W.' });
    // A second registration excludes the first credential, with the transports the client reported.
    const response = band.register(first, ORIGIN);
    response.response.transports = ['usb', 'nfc'];
    const registered = await rp.finishRegistration('tw-user2', response);
    expect(registered.transports).toEqual(['usb', 'nfc']);
    const second = await rp.startRegistration('tw-user2', { bandSerial: 'AAAH-00125' });
    const theirs = await generateRegistrationOptions({
      rpName: 'Example',
      rpID: RP_ID,
      userName: 'tw-user2',
      userID: Uint8Array.from(Buffer.from(second.user.id, 'base64url')),
      userDisplayName: 'tw-user2',
      challenge: Uint8Array.from(Buffer.from(second.challenge, 'base64url')),
      timeout: 120_000,
      attestationType: 'direct',
      excludeCredentials: [{ id: registered.id, transports: ['usb', 'nfc'] }],
      authenticatorSelection: {
        authenticatorAttachment: 'cross-platform',
        residentKey: 'discouraged',
        requireResidentKey: false,
        userVerification: 'preferred',
      },
      supportedAlgorithmIDs: SUPPORTED_ALGORITHM_IDS,
    });
    same(second, theirs);
    expect(second.user.id).toBe(first.user.id);
    expect(second.challenge).not.toBe(first.challenge);
  });
});
