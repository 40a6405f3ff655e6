import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { describe, expect, it } from 'vitest';
import { authenticationResponseJSON, Permission, registrationResponseJSON } from '../../host/fido2/index.js';
import { makeRig, ORIGIN, RP, user } from './rig.js';

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

describe('@simplewebauthn/server accepts the band', () => {
  it.each([
    ['a non-discoverable credential without UV', false],
    ['a discoverable credential with PIN-verified UV', true],
  ])('registers and authenticates %s, with the counter increasing', async (_, discoverable) => {
    const { client } = makeRig({ seed: `interop-${discoverable}` });
    let mcToken;
    let gaToken;
    if (discoverable) {
      await client.clientPin.setPin('4321');
      mcToken = await client.clientPin.getPinToken('4321', { permissions: Permission.MAKE_CREDENTIAL, rpId: RP.id });
    }
    const regChallenge = new Uint8Array(32).fill(7);
    const made = await client.makeCredential({
      challenge: regChallenge,
      origin: ORIGIN,
      rp: RP,
      user: user(1),
      ...(discoverable ? { options: { rk: true }, pinUvAuthToken: mcToken } : {}),
    });
    const registration = await verifyRegistrationResponse({
      response: registrationResponseJSON(made),
      expectedChallenge: b64url(regChallenge),
      expectedOrigin: ORIGIN,
      expectedRPID: RP.id,
      requireUserVerification: discoverable,
    });
    expect(registration.verified).toBe(true);
    const info = registration.registrationInfo;
    if (info === undefined) throw new Error('no registrationInfo');
    expect(info.fmt).toBe('packed');
    expect(info.credential.id).toBe(b64url(made.credentialId));

    let counter = info.credential.counter;
    for (let round = 0; round < 2; round++) {
      const challenge = new Uint8Array(32).fill(round + 1);
      if (discoverable)
        gaToken = await client.clientPin.getPinToken('4321', { permissions: Permission.GET_ASSERTION, rpId: RP.id });
      const [assertion] = await client.getAssertion({
        challenge,
        origin: ORIGIN,
        rpId: RP.id,
        ...(discoverable ? { pinUvAuthToken: gaToken } : { allowCredentials: [made.credentialId] }),
      });
      if (discoverable) expect(assertion.userHandle).toEqual(user(1).id);
      const authentication = await verifyAuthenticationResponse({
        response: authenticationResponseJSON(assertion),
        expectedChallenge: b64url(challenge),
        expectedOrigin: ORIGIN,
        expectedRPID: RP.id,
        credential: { id: info.credential.id, publicKey: info.credential.publicKey, counter },
        requireUserVerification: discoverable,
      });
      expect(authentication.verified).toBe(true);
      expect(authentication.authenticationInfo.newCounter).toBeGreaterThan(counter);
      counter = authentication.authenticationInfo.newCounter;
    }
  });
});
