import { verify, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ATTESTATION_MODEL,
  enterpriseRpIds,
  EnterpriseProvisioningError,
  MAX_ENTERPRISE_RP_IDS,
  modelAttestationRoot,
  provisionEnterpriseRpIds,
} from '../../firmware-sim/ctap2/index.js';
import { EnterpriseAttestation, Fido2Client, Fido2ProtocolError, Permission } from '../../host/fido2/index.js';
import { attestationCertificateFacts } from '../../proto/ctap2/attestation-certificate.js';
import { Ctap2Command } from '../../proto/ctap2/command.js';
import { MakeCredentialRequest } from '../../proto/ctap2/make-credential.js';
import { encodeMembers } from '../../proto/ctap2/members.js';
import { CtapStatus } from '../../proto/ctap2/status.js';
import { PUBLIC_KEY_CREDENTIAL_TYPE, PublicKeyCredentialParameters } from '../../proto/ctap2/webauthn-entities.js';
import { outcome } from './check.js';
import { AAGUID, ctapRequest, hash, makeRig, RP, user } from './rig.js';

const cdh = hash('enterprise client data');
const DEVICE_ID = Uint8Array.from(Buffer.from('00112233445566778899aabbccddeeff', 'hex'));
const VENDOR = EnterpriseAttestation.VENDOR_FACILITATED;
const PLATFORM = EnterpriseAttestation.PLATFORM_MANAGED;

function capableRig(options: { rpIds?: string[]; attestation?: 'self' | 'batch' } = {}) {
  const rig = makeRig({ deviceId: DEVICE_ID, ...(options.attestation ? { attestation: options.attestation } : {}) });
  if (options.rpIds) provisionEnterpriseRpIds(rig.store, options.rpIds);
  return rig;
}

async function enable(rig: ReturnType<typeof makeRig>, pin = '1234') {
  await rig.client.clientPin.setPin(pin);
  const acfg = await rig.client.clientPin.getPinToken(pin, { permissions: Permission.AUTHENTICATOR_CONFIG });
  await rig.client.config.enableEnterpriseAttestation(acfg);
}

function leafOf(attStmt: Map<unknown, unknown>): Uint8Array {
  const x5c = attStmt.get('x5c') as Uint8Array[] | undefined;
  if (x5c === undefined) throw new Error('no x5c');
  expect(x5c).toHaveLength(1);
  return x5c[0];
}

/** A makeCredential request with an arbitrary enterpriseAttestation value, as a platform could send it. */
function rawMakeCredential(value: number) {
  return ctapRequest(
    Ctap2Command.MAKE_CREDENTIAL,
    encodeMembers(MakeCredentialRequest, {
      clientDataHash: cdh,
      rp: new Map([['id', RP.id]]),
      user: new Map<string, Uint8Array | string>([
        ['id', user(1).id],
        ['name', user(1).name],
      ]),
      pubKeyCredParams: [encodeMembers(PublicKeyCredentialParameters, { type: PUBLIC_KEY_CREDENTIAL_TYPE, alg: -7 })],
      enterpriseAttestation: value,
    }),
  );
}

describe('enterprise attestation (CTAP 2.1 §7.1)', () => {
  it('getInfo ep is present on a band with a device ID, false until enableEnterpriseAttestation, which needs acfg', async () => {
    const rig = capableRig();
    expect((await rig.client.getInfo()).options.ep).toBe(false);
    await rig.client.clientPin.setPin('1234');
    expect(await outcome(rig.client.config.enableEnterpriseAttestation(undefined))).toBe('CTAP2_ERR_PUAT_REQUIRED');
    const cm = await rig.client.clientPin.getPinToken('1234', { permissions: Permission.CREDENTIAL_MANAGEMENT });
    expect(await outcome(rig.client.config.enableEnterpriseAttestation(cm))).toBe('CTAP2_ERR_PIN_AUTH_INVALID');
    expect((await rig.client.getInfo()).options.ep).toBe(false);
    const acfg = await rig.client.clientPin.getPinToken('1234', { permissions: Permission.AUTHENTICATOR_CONFIG });
    expect(await outcome(rig.client.config.enableEnterpriseAttestation(acfg))).toBe('OK');
    expect((await rig.client.getInfo()).options.ep).toBe(true);
    // Enabled stays enabled across a power cycle.
    expect((await rig.reboot().client.getInfo()).options.ep).toBe(true);
  });

  it('refuses the enterpriseAttestation parameter while disabled or unsupported, and values other than 1 and 2', async () => {
    const unsupported = makeRig();
    expect((await unsupported.raw(rawMakeCredential(PLATFORM)))[0]).toBe(CtapStatus.CTAP1_ERR_INVALID_PARAMETER);
    const rig = capableRig();
    expect((await rig.raw(rawMakeCredential(PLATFORM)))[0]).toBe(CtapStatus.CTAP1_ERR_INVALID_PARAMETER);
    await enable(rig);
    expect((await rig.raw(rawMakeCredential(3)))[0]).toBe(CtapStatus.CTAP2_ERR_INVALID_OPTION);
    expect((await rig.raw(rawMakeCredential(0)))[0]).toBe(CtapStatus.CTAP2_ERR_INVALID_OPTION);
    // Refused before the user is asked for anything.
    expect(rig.band.presenceLog).toHaveLength(0);
  });

  it('platform-managed: epAtt true and a certificate under the model root that names the band by its device ID', async () => {
    const rig = capableRig();
    await enable(rig);
    const made = await rig.client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(1),
      enterpriseAttestation: PLATFORM,
    });
    expect(made.epAtt).toBe(true);
    const der = leafOf(made.attStmt);
    const leaf = new X509Certificate(der);
    expect(
      verify(
        'sha256',
        Buffer.concat([made.authenticatorData, cdh]),
        leaf.publicKey,
        made.attStmt.get('sig') as Uint8Array,
      ),
    ).toBe(true);
    const root = new X509Certificate(modelAttestationRoot({ aaguid: AAGUID, model: ATTESTATION_MODEL }).certificate);
    expect(leaf.checkIssued(root) && leaf.verify(root.publicKey)).toBe(true);
    const facts = attestationCertificateFacts(der);
    expect(facts).toMatchObject({ version: 2, organizationalUnits: ['Authenticator Attestation'], ca: false });
    expect(facts.aaguid).toEqual(AAGUID);
    expect(facts.deviceId).toEqual(DEVICE_ID);
    expect(leaf.subject).toContain(`serialNumber=${Buffer.from(DEVICE_ID).toString('hex')}`);

    // The batch certificate names no band, and is another key.
    const ordinary = await rig.client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(2) });
    expect(ordinary.epAtt).toBe(false);
    const batch = leafOf(ordinary.attStmt);
    expect(attestationCertificateFacts(batch).deviceId).toBeUndefined();
    expect(new X509Certificate(batch).publicKey.equals(leaf.publicKey)).toBe(false);
    // The same enterprise certificate every time (factory data).
    const again = await rig.client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(3),
      enterpriseAttestation: PLATFORM,
    });
    expect(Buffer.from(leafOf(again.attStmt)).equals(Buffer.from(der))).toBe(true);
  });

  it('vendor-facilitated: only for RP IDs provisioned into the band; other RP IDs get the ordinary attestation', async () => {
    const rig = capableRig({ rpIds: ['corp.example.com'] });
    await enable(rig);
    const listed = await rig.client.makeCredential({
      clientDataHash: cdh,
      rp: { id: 'corp.example.com' },
      user: user(1),
      enterpriseAttestation: VENDOR,
    });
    expect(listed.epAtt).toBe(true);
    expect(attestationCertificateFacts(leafOf(listed.attStmt)).deviceId).toEqual(DEVICE_ID);
    const other = await rig.client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(1),
      enterpriseAttestation: VENDOR,
    });
    expect(other.epAtt).toBe(false);
    expect(attestationCertificateFacts(leafOf(other.attStmt)).deviceId).toBeUndefined();
  });

  it('overrides self attestation when asked for and granted', async () => {
    const rig = capableRig({ attestation: 'self' });
    await enable(rig);
    const self = await rig.client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) });
    expect(self.attStmt.has('x5c')).toBe(false);
    const made = await rig.client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(2),
      enterpriseAttestation: PLATFORM,
    });
    expect(made.epAtt).toBe(true);
    expect(attestationCertificateFacts(leafOf(made.attStmt)).deviceId).toEqual(DEVICE_ID);
  });

  it('authenticatorReset disables it; the certificate and the provisioned RP list stay', async () => {
    const rig = capableRig({ rpIds: ['corp.example.com'] });
    await enable(rig);
    const before = await rig.client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(1),
      enterpriseAttestation: PLATFORM,
    });
    const fresh = rig.reboot();
    await fresh.client.reset();
    expect((await fresh.client.getInfo()).options.ep).toBe(false);
    expect(
      await outcome(
        fresh.client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1), enterpriseAttestation: PLATFORM }),
      ),
    ).toBe('CTAP1_ERR_INVALID_PARAMETER');
    expect(enterpriseRpIds(rig.store)).toEqual(['corp.example.com']);
    await enable(fresh, '5678');
    const after = await fresh.client.makeCredential({
      clientDataHash: cdh,
      rp: RP,
      user: user(1),
      enterpriseAttestation: PLATFORM,
    });
    expect(Buffer.from(leafOf(after.attStmt)).equals(Buffer.from(leafOf(before.attStmt)))).toBe(true);
  });

  it('keeps the vendor list as factory data: provisioned once, unchangeable, bounded', () => {
    const rig = capableRig();
    provisionEnterpriseRpIds(rig.store, ['a.example.com', 'b.example.com']);
    provisionEnterpriseRpIds(rig.store, ['b.example.com', 'a.example.com']);
    expect(() => provisionEnterpriseRpIds(rig.store, ['c.example.com'])).toThrow(EnterpriseProvisioningError);
    expect(enterpriseRpIds(rig.store)).toEqual(['a.example.com', 'b.example.com']);
    const many = Array.from({ length: MAX_ENTERPRISE_RP_IDS + 1 }, (_, i) => `rp${i}.example.com`);
    expect(() => provisionEnterpriseRpIds(makeRig().store, many)).toThrow(/at most/);
    expect(() => provisionEnterpriseRpIds(makeRig().store, ['https://x.example.com'])).toThrow(/not an RP ID/);
  });

  it('a client that did not ask for enterprise attestation refuses a reply carrying epAtt (Fido2ProtocolError)', async () => {
    const rig = capableRig();
    await enable(rig);
    const reply = await rig.raw(rawMakeCredential(PLATFORM));
    expect(reply[0]).toBe(CtapStatus.CTAP2_OK);
    const unsolicited = new Fido2Client(async () => reply);
    const error = await unsolicited
      .makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Fido2ProtocolError);
    expect((error as Error).message).toMatch(/epAtt is true, but no enterprise attestation was asked for/);
  });
});
