import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Permission } from '../../host/fido2/index.js';
import {
  BandWebAuthn,
  DirectoryAdmin,
  MemoryDirectory,
  openBand,
  RelyingPartyError,
  WebAuthnRelyingParty,
  type AttestationRequirement,
  type BandClient,
} from '../../host/index.js';
import { BANDSIM, requireBuiltBandsim, startBandsim, type RunningBand } from '../support/bandsim.js';

const RP_ID = 'login.example.com';
const ORIGIN = `https://${RP_ID}`;
const SERIAL = 'AAAH-00125';

/**
 * The bundled relying party verifies what a bandsim process attests, over a real socket: the packed batch
 * attestation (x5c under the model's root, written by `bandsim --attestation-root-out`) and, once enabled on the
 * band, its enterprise attestation naming the band's device ID.
 */
describe('WebAuthnRelyingParty against a bandsim process (UDP-HID)', () => {
  let band: RunningBand;
  let client: BandClient;
  let dir: string;
  let root: string;
  let deviceId: string;
  /** The enterprise directory, which registered the band by the device ID it reported. */
  const directory = new MemoryDirectory();

  beforeAll(async () => {
    requireBuiltBandsim();
    dir = await mkdtemp(join(tmpdir(), 'rp-attestation-'));
    await promisify(execFile)(process.execPath, [BANDSIM, '--attestation-root-out', join(dir, 'root.pem')], {
      timeout: 30_000,
    });
    root = await readFile(join(dir, 'root.pem'), 'utf8');
    band = await startBandsim({ args: ['--enterprise-rp', RP_ID] });
    client = await openBand(`udp-hid:127.0.0.1:${band.port}`);
    const info = await client.getInfo();
    deviceId = Buffer.from(info.deviceId).toString('hex');
    await directory.update((d) =>
      DirectoryAdmin.registerBand(d, { serialNumber: info.serialNumber, deviceId: info.deviceId, seosEnabled: false }),
    );
  }, 30_000);

  afterAll(async () => {
    client?.close();
    await client?.closed();
    await band?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function register(attestation: AttestationRequirement, user: string) {
    const rp = new WebAuthnRelyingParty({ id: RP_ID, origin: ORIGIN, attestation });
    const options = await rp.startRegistration(user, { bandSerial: SERIAL });
    const response = await new BandWebAuthn(client.fido2).create(options, ORIGIN);
    return rp.finishRegistration(user, response);
  }

  it('accepts the packed batch attestation under the model root and AAGUID, naming no device', async () => {
    const stored = await register({ trustedRoots: [root], aaguids: ['bbaf4d27-b2d0-d736-9e34-164abb7a9d65'] }, 'u1');
    expect(stored).toMatchObject({ userName: 'u1', bandSerial: SERIAL });
    expect(stored.attestedDeviceId).toBeUndefined();
  });

  it('requires enterprise attestation: refused while disabled on the band, then records the device ID', async () => {
    const requirement: AttestationRequirement = {
      trustedRoots: [root],
      enterprise: true,
      // The device ID the enterprise directory registered for the ceremony's band.
      deviceIdOf: async (serial) =>
        (await directory.snapshot()).bands.find((band) => band.serialNumber === serial)?.deviceId,
    };
    const refused = await register(requirement, 'u2').then(
      () => expect.fail('expected ATTESTATION_REFUSED'),
      (error: unknown) => error as RelyingPartyError,
    );
    expect(refused).toBeInstanceOf(RelyingPartyError);
    expect([refused.code, refused.attestationRefusal]).toEqual(['ATTESTATION_REFUSED', 'NO_ENTERPRISE_ATTESTATION']);

    // The band is worn and authenticated: its built-in UV gives the acfg token.
    const token = await client.fido2.clientPin.getUvToken({ permissions: Permission.AUTHENTICATOR_CONFIG });
    await client.fido2.config.enableEnterpriseAttestation(token);
    // login.example.com was burned into this band (--enterprise-rp): vendor-facilitated is enough.
    const stored = await register(requirement, 'u2');
    expect(stored.attestedDeviceId).toBe(deviceId);
  });
});
