import { verify, X509Certificate } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { ATTESTATION_MODEL, modelAttestationRoot } from '../../firmware-sim/ctap2/index.js';
import { encodeCanonical } from '../../host/fido2/index.js';
import { signatureValid } from './check.js';
import { MemoryFlashStore } from './memory-store.js';
import { AAGUID, FakeBand, hash, makeRig, RP, user } from './rig.js';

const cdh = hash('client data');
const FIDO_AAGUID_OID = '1.3.6.1.4.1.45724.1.1.4';

/** The AAGUID in a certificate's id-fido-gen-ce-aaguid extension (WebAuthn §8.2.1), or undefined. */
function aaguidExtension(der: Uint8Array): Uint8Array | undefined {
  const cert = AsnConvert.parse(der, Certificate);
  const ext = cert.tbsCertificate.extensions?.find((e) => e.extnID === FIDO_AAGUID_OID);
  if (ext === undefined) return undefined;
  return new Uint8Array(AsnConvert.parse(ext.extnValue.buffer, OctetString).buffer);
}

describe('packed attestation', () => {
  it('by default is batch attestation: x5c = [batch certificate under the model root], signed by the batch key', async () => {
    const { client } = makeRig();
    const made = await client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) });
    expect(made.fmt).toBe('packed');
    expect([...made.attStmt.keys()].sort()).toEqual(['alg', 'sig', 'x5c']);
    const x5c = made.attStmt.get('x5c') as Uint8Array[];
    expect(x5c).toHaveLength(1);
    const leaf = new X509Certificate(x5c[0]);
    const sig = made.attStmt.get('sig') as Uint8Array;
    expect(verify('sha256', Buffer.concat([made.authenticatorData, cdh]), leaf.publicKey, sig)).toBe(true);
    // Not the credential's own key: that would be self attestation.
    expect(signatureValid(made.publicKey, made.authenticatorData, cdh, sig)).toBe(false);

    // WebAuthn §8.2.1: v3, C/O/OU/CN subject, CA false, the AAGUID extension equal to authData's AAGUID.
    expect(leaf.subject.split('\n')).toEqual([
      'C=US',
      'O=band-stack',
      'OU=Authenticator Attestation',
      `CN=${ATTESTATION_MODEL} batch attestation`,
    ]);
    expect(leaf.ca).toBe(false);
    expect(AsnConvert.parse(x5c[0], Certificate).tbsCertificate.version).toBe(2);
    expect(aaguidExtension(x5c[0])).toEqual(AAGUID);
    expect(made.parsedAuthenticatorData.attestedCredentialData?.aaguid).toEqual(AAGUID);

    // The chain: the model root (self-signed, CA true) issued the batch certificate.
    const root = new X509Certificate(modelAttestationRoot({ aaguid: AAGUID, model: ATTESTATION_MODEL }).certificate);
    expect(root.ca).toBe(true);
    expect(root.verify(root.publicKey)).toBe(true);
    expect(leaf.checkIssued(root)).toBe(true);
    expect(leaf.verify(root.publicKey)).toBe(true);
    // Another model's root did not.
    const other = new X509Certificate(modelAttestationRoot({ aaguid: new Uint8Array(16), model: 'other' }).certificate);
    expect(leaf.verify(other.publicKey)).toBe(false);
  });

  it("uses one batch certificate for CTAP2 and U2F registration, kept across reboots and authenticatorReset's wipe of fido2/", async () => {
    const rig = makeRig();
    const first = await rig.client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) });
    const cert = (first.attStmt.get('x5c') as Uint8Array[])[0];
    expect(rig.store.get('device/attestation')).toBeDefined();
    const rebooted = rig.reboot();
    const again = await rebooted.client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(2) });
    expect(Buffer.from((again.attStmt.get('x5c') as Uint8Array[])[0])).toEqual(Buffer.from(cert));
    // The U2F registration carries the same DER certificate (U2F Raw Message Formats §4.3).
    const reply = await rebooted.authenticator.handleU2f(
      Uint8Array.of(0, 1, 0, 0, 64, ...hash('challenge'), ...hash(RP.id)),
      { signal: new AbortController().signal, keepalive: () => {} },
    );
    expect(Buffer.from(reply).includes(Buffer.from(cert))).toBe(true);
  });

  it('is byte-identical for two bands with the same seed (RFC 6979 signatures), and differs between seeds', async () => {
    const object = async (seed: string) => {
      const made = await makeRig({ seed }).client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) });
      return Buffer.from(made.attestationObject);
    };
    expect(await object('s1')).toEqual(await object('s1'));
    const [a, b] = [await object('s1'), await object('s2')];
    expect(a.equals(b)).toBe(false);
  });

  it('gives an unseeded band (node:crypto signing) its own batch certificate under the model root, in DER', async () => {
    class UnseededBand extends FakeBand {
      signing = () => 'system' as const;
    }
    const certificateOf = async (random: string) => {
      const band = new UnseededBand(new MemoryFlashStore(), random);
      const made = await makeRig({ band }).client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) });
      const x5c = made.attStmt.get('x5c') as Uint8Array[];
      const leaf = new X509Certificate(x5c[0]);
      expect(
        verify(
          'sha256',
          Buffer.concat([made.authenticatorData, cdh]),
          leaf.publicKey,
          made.attStmt.get('sig') as Uint8Array,
        ),
      ).toBe(true);
      return x5c[0];
    };
    const root = new X509Certificate(modelAttestationRoot({ aaguid: AAGUID, model: ATTESTATION_MODEL }).certificate);
    const [a, b] = [await certificateOf('band a'), await certificateOf('band b')];
    for (const der of [a, b]) {
      const leaf = new X509Certificate(der);
      expect(leaf.verify(root.publicKey)).toBe(true);
      expect(leaf.checkIssued(root)).toBe(true);
      // DER as an X.509 library writes it: parsing and serializing again gives the same bytes.
      const parsed = AsnConvert.parse(der, Certificate);
      expect(Buffer.from(AsnConvert.serialize(parsed))).toEqual(Buffer.from(der));
      // The serial is 0x01 then the first 8 bytes of the key's x (the key is 0x04 ‖ x ‖ y).
      const point = new Uint8Array(parsed.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey);
      expect(leaf.serialNumber).toBe(
        Buffer.from([0x01, ...point.subarray(1, 9)])
          .toString('hex')
          .toUpperCase(),
      );
      expect(aaguidExtension(der)).toEqual(AAGUID);
    }
    // Two bands, two identities under one root.
    expect(new X509Certificate(a).publicKey.equals(new X509Certificate(b).publicKey)).toBe(false);
  });

  it("with attestation 'self' signs with the credential key and sends no x5c", async () => {
    const { client, store } = makeRig({ attestation: 'self' });
    const made = await client.makeCredential({ clientDataHash: cdh, rp: RP, user: user(1) });
    expect([...made.attStmt.keys()].sort()).toEqual(['alg', 'sig']);
    expect(signatureValid(made.publicKey, made.authenticatorData, cdh, made.attStmt.get('sig') as Uint8Array)).toBe(
      true,
    );
    // Self attestation needs no attestation identity: none is made.
    expect(store.get('device/attestation')).toBeUndefined();
    expect(encodeCanonical(made.attStmt).length).toBeLessThan(100);
  });

  it('refuses an attestation mode it does not know, naming the choices', () => {
    expect(() => makeRig({ attestation: 'full' as never })).toThrow(
      /Ctap2Config.attestation must be 'self' or 'batch'/,
    );
  });
});
