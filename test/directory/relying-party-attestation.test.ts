import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BAND_AAGUID } from '../../firmware-sim/fido2.js';
import {
  ATTESTATION_MODEL,
  modelAttestationRoot,
  provisionEnterpriseRpIds,
  type AttestationMode,
} from '../../firmware-sim/ctap2/index.js';
import { BandWebAuthn } from '../../host/band-webauthn.js';
import { Permission, registrationResponseJSON } from '../../host/fido2/index.js';
import {
  RelyingPartyError,
  WebAuthnRelyingParty,
  type AttestationRequirement,
} from '../../host/relying-party/index.js';
import { BANDSIM, requireBuiltBandsim } from '../support/bandsim.js';
import { makeRig } from '../ctap2/rig.js';
import { manualClock, seededRandom, withTempDir } from './fixtures.js';

const RP_ID = 'login.example.com';
const ORIGIN = 'https://login.example.com';
const BAND_MODEL_AAGUID = Buffer.from(BAND_AAGUID)
  .toString('hex')
  .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
const OTHER_ROOT = modelAttestationRoot({ aaguid: new Uint8Array(16).fill(7), model: 'another model' }).certificate;

/** The band model's root as a host gets it: the PEM file `bandsim --attestation-root-out FILE` writes. */
async function bandModelRoot(): Promise<string> {
  requireBuiltBandsim();
  return withTempDir(async (dir) => {
    const file = join(dir, 'band-root.pem');
    await promisify(execFile)(process.execPath, [BANDSIM, '--attestation-root-out', file], { timeout: 30_000 });
    return readFile(file, 'utf8');
  });
}

function makeRp(attestation?: AttestationRequirement) {
  return new WebAuthnRelyingParty({
    id: RP_ID,
    origin: ORIGIN,
    randomBytes: seededRandom('rp'),
    clock: manualClock(),
    ...(attestation !== undefined ? { attestation } : {}),
  });
}

/** The band's CTAP2 authenticator (the band model's AAGUID) makes the credential the RP asked for. */
async function register(rp: WebAuthnRelyingParty, mode: AttestationMode = 'batch') {
  const options = await rp.startRegistration('tw-user2', { bandSerial: 'AAAH-00125' });
  const { client } = makeRig({ aaguid: BAND_AAGUID, attestation: mode });
  const made = await client.makeCredential({
    challenge: options.challenge,
    origin: ORIGIN,
    rp: { id: RP_ID },
    user: { id: Buffer.from(options.user.id, 'base64url'), name: 'tw-user2' },
  });
  return rp.finishRegistration('tw-user2', registrationResponseJSON(made));
}

async function refusal(p: Promise<unknown>): Promise<RelyingPartyError> {
  return p.then(
    () => expect.fail('expected the registration to be refused'),
    (e: unknown) => {
      expect(e).toBeInstanceOf(RelyingPartyError);
      return e as RelyingPartyError;
    },
  );
}

describe('WebAuthnRelyingParty attestation requirement', () => {
  it("accepts the band's batch attestation under the band model's root and AAGUID (root from bandsim --attestation-root-out)", async () => {
    const root = await bandModelRoot();
    expect(root).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    // The file is the model's root, the one the band's batch certificate chains to.
    expect(Buffer.from(root.replace(/-----[^-]+-----|\s/g, ''), 'base64')).toEqual(
      Buffer.from(modelAttestationRoot({ aaguid: BAND_AAGUID, model: ATTESTATION_MODEL }).certificate),
    );
    for (const requirement of [
      { trustedRoots: [root], aaguids: [BAND_MODEL_AAGUID] },
      { trustedRoots: [root] },
      { aaguids: [BAND_MODEL_AAGUID.toUpperCase().replaceAll('-', '')] },
    ]) {
      const rp = makeRp(requirement);
      const stored = await register(rp);
      expect((await rp.credentials('tw-user2')).map((c) => c.id)).toEqual([stored.id]);
    }
  });

  it('refuses another root (UNTRUSTED_CHAIN) or another AAGUID (AAGUID_NOT_ALLOWED), naming why, and keeps nothing', async () => {
    const root = await bandModelRoot();
    const cases: [AttestationRequirement, string, RegExp][] = [
      [
        { trustedRoots: [OTHER_ROOT], aaguids: [BAND_MODEL_AAGUID] },
        'UNTRUSTED_CHAIN',
        /does not chain to a trusted root/,
      ],
      [
        { trustedRoots: [root], aaguids: ['00000000-0000-0000-0000-000000000001'] },
        'AAGUID_NOT_ALLOWED',
        new RegExp(`model ${BAND_MODEL_AAGUID} \\(AAGUID\\) is not on the list`),
      ],
    ];
    for (const [requirement, reason, message] of cases) {
      const rp = makeRp(requirement);
      const error = await refusal(register(rp));
      expect([error.code, error.attestationRefusal]).toEqual(['ATTESTATION_REFUSED', reason]);
      expect(error.message).toMatch(message);
      expect(await rp.credentials('tw-user2')).toEqual([]);
    }
  });

  it('refuses self attestation when attestation is required (NO_ATTESTATION); accepts it when not', async () => {
    const root = await bandModelRoot();
    const strict = makeRp({ trustedRoots: [root] });
    const error = await refusal(register(strict, 'self'));
    expect([error.code, error.attestationRefusal]).toEqual(['ATTESTATION_REFUSED', 'NO_ATTESTATION']);
    expect(error.message).toMatch(/format packed\) has no certificate/);
    // Without a requirement both kinds verify, as before.
    await register(makeRp(), 'self');
    await register(makeRp(), 'batch');
  });

  it('refuses a requirement it cannot apply with INVALID_ARGUMENT, at construction', async () => {
    // The band's batch certificate: an attestation certificate, not a CA, so no root.
    const made = await makeRig({ aaguid: BAND_AAGUID }).client.makeCredential({
      clientDataHash: new Uint8Array(32),
      rp: { id: RP_ID },
      user: { id: new Uint8Array(8) },
    });
    const leaf = (made.attStmt.get('x5c') as Uint8Array[])[0];
    const invalid = (requirement: AttestationRequirement) => {
      try {
        makeRp(requirement);
      } catch (error) {
        expect(error).toBeInstanceOf(RelyingPartyError);
        return [(error as RelyingPartyError).code, (error as Error).message];
      }
      return ['accepted', ''];
    };
    expect(invalid({})).toEqual(['INVALID_ARGUMENT', expect.stringMatching(/needs a non-empty aaguids list/)]);
    expect(invalid({ aaguids: ['bbaf4d27'] })).toEqual([
      'INVALID_ARGUMENT',
      expect.stringMatching(/expected 32 hex digits/),
    ]);
    expect(invalid({ trustedRoots: ['not a certificate'] })).toEqual([
      'INVALID_ARGUMENT',
      expect.stringMatching(/trustedRoots\[0\] is not an X.509 certificate/),
    ]);
    expect(invalid({ trustedRoots: [leaf] })).toEqual([
      'INVALID_ARGUMENT',
      expect.stringMatching(/is not a CA certificate; pass the model's root CA/),
    ]);
  });

  describe('enterprise attestation', () => {
    const DEVICE_ID = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
    let bands = 0;

    /** A band with a device ID (enterprise attestation capable), enabled unless told otherwise. */
    async function enterpriseBand(options: { enabled?: boolean; vendorRpIds?: string[] } = {}) {
      // Each band its own seed: the same seed would make the same master key, and one band's credential would be
      // the other's excluded one.
      const rig = makeRig({ aaguid: BAND_AAGUID, deviceId: Buffer.from(DEVICE_ID, 'hex'), seed: `band ${++bands}` });
      if (options.vendorRpIds) provisionEnterpriseRpIds(rig.store, options.vendorRpIds);
      if (options.enabled ?? true) {
        await rig.client.clientPin.setPin('1234');
        const acfg = await rig.client.clientPin.getPinToken('1234', { permissions: Permission.AUTHENTICATOR_CONFIG });
        await rig.client.config.enableEnterpriseAttestation(acfg);
      }
      return rig;
    }

    /** The platform (BandWebAuthn) between the RP and the band, as a browser with an enterprise policy would be. */
    async function registerThroughPlatform(
      rp: WebAuthnRelyingParty,
      band: Awaited<ReturnType<typeof enterpriseBand>>,
      platformRpIds: string[],
    ) {
      const options = await rp.startRegistration('tw-user2', { bandSerial: 'AAAH-00125' });
      expect(options.attestation).toBe('enterprise');
      const platform = new BandWebAuthn(band.client, { enterpriseRpIds: platformRpIds });
      return rp.finishRegistration('tw-user2', await platform.create(options, ORIGIN));
    }

    it('records the device ID the certificate names, platform-managed or vendor-facilitated', async () => {
      const root = await bandModelRoot();
      const rp = makeRp({ trustedRoots: [root], enterprise: true, deviceIdOf: () => DEVICE_ID });
      const platformManaged = await registerThroughPlatform(rp, await enterpriseBand(), [RP_ID]);
      expect(platformManaged.attestedDeviceId).toBe(DEVICE_ID);
      const vendor = await registerThroughPlatform(rp, await enterpriseBand({ vendorRpIds: [RP_ID] }), []);
      expect(vendor.attestedDeviceId).toBe(DEVICE_ID);
      expect((await rp.credentials('tw-user2')).map((c) => c.attestedDeviceId)).toEqual([DEVICE_ID, DEVICE_ID]);
    });

    it("keeps the attested device ID in the relying party's file across restarts", async () => {
      const root = await bandModelRoot();
      await withTempDir(async (dir) => {
        const statePath = join(dir, 'rp.json');
        const requirement: AttestationRequirement = { trustedRoots: [root], enterprise: true };
        const rp = new WebAuthnRelyingParty({ id: RP_ID, origin: ORIGIN, statePath, attestation: requirement });
        await registerThroughPlatform(rp, await enterpriseBand(), [RP_ID]);
        const restarted = new WebAuthnRelyingParty({ id: RP_ID, origin: ORIGIN, statePath });
        expect((await restarted.credentials('tw-user2')).map((c) => c.attestedDeviceId)).toEqual([DEVICE_ID]);
        // A file whose device ID is not 32 lower-case hex digits is refused as corrupt, not trusted.
        const text = (await readFile(statePath, 'utf8')).replace(DEVICE_ID, DEVICE_ID.toUpperCase());
        await writeFile(statePath, text);
        const corrupt = await new WebAuthnRelyingParty({ id: RP_ID, origin: ORIGIN, statePath })
          .credentials('tw-user2')
          .catch((e: unknown) => e);
        expect(corrupt).toBeInstanceOf(RelyingPartyError);
        expect((corrupt as RelyingPartyError).code).toBe('CORRUPT');
      });
    });

    it('refuses a band that gives no enterprise attestation, or names another device, and keeps nothing', async () => {
      const root = await bandModelRoot();
      const cases: [() => Promise<unknown>, string][] = [
        // Disabled on the band: the platform does not ask, the band sends its batch certificate.
        [
          async () =>
            registerThroughPlatform(
              makeRp({ trustedRoots: [root], enterprise: true }),
              await enterpriseBand({ enabled: false }),
              [RP_ID],
            ),
          'NO_ENTERPRISE_ATTESTATION',
        ],
        // Vendor-facilitated for an RP ID the vendor did not provision: ordinary attestation.
        [
          async () =>
            registerThroughPlatform(makeRp({ trustedRoots: [root], enterprise: true }), await enterpriseBand(), []),
          'NO_ENTERPRISE_ATTESTATION',
        ],
        // The directory knows band AAAH-00125 as another device.
        [
          async () =>
            registerThroughPlatform(
              makeRp({ trustedRoots: [root], enterprise: true, deviceIdOf: () => '00'.repeat(16) }),
              await enterpriseBand(),
              [RP_ID],
            ),
          'DEVICE_MISMATCH',
        ],
        // A certificate under a root nobody trusts names nothing.
        [
          async () =>
            registerThroughPlatform(makeRp({ trustedRoots: [OTHER_ROOT], enterprise: true }), await enterpriseBand(), [
              RP_ID,
            ]),
          'UNTRUSTED_CHAIN',
        ],
      ];
      for (const [attempt, reason] of cases) {
        const error = await refusal(attempt());
        expect([error.code, error.attestationRefusal]).toEqual(['ATTESTATION_REFUSED', reason]);
      }
      expect(() => makeRp({ enterprise: true, aaguids: [BAND_MODEL_AAGUID] })).toThrow(/needs trustedRoots/);
      expect(() => makeRp({ trustedRoots: [root], deviceIdOf: () => DEVICE_ID })).toThrow(/needs enterprise: true/);
    });
  });
});
