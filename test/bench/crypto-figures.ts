/**
 * Signing through the whole stack against node:crypto and @noble/curves. A band whose world is not seeded signs
 * with node:crypto; a seeded one with RFC 6979 nonces (byte-identical to noble's) so its bytes follow from the seed.
 */
import { createHash, generateKeyPairSync, sign, verify, createPublicKey } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { BandEmulator, ManualClock, SystemRandom, serveBand, testWorld, type World } from '../../firmware-sim/index.js';
import { P256Key } from '../../firmware-sim/ctap2/p256-key.js';
import { BandClient } from '../../host/index.js';
import { loopbackPair } from '../../transport/index.js';
import type { Figure } from './figure.js';

const RP = { id: 'login.example.com', name: 'Example' };
const sha256 = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());

/** An authenticated band with auto-presence on the wrist; `seeded: false` swaps in the operating system's randomness. */
async function fidoBand(seeded: boolean) {
  const base = testWorld({ seed: 'bench/fido' });
  const world: World = seeded ? base : { ...base, random: new SystemRandom() };
  if (!(world.clock instanceof ManualClock)) throw new Error('expected a manual clock');
  const emulator = new BandEmulator({
    world,
    serialNumber: 'BNCH-00001',
    autoPresence: true,
    preset: { kind: 'authenticated', userName: 'bench' },
  });
  const [host, side] = loopbackPair();
  const serving = serveBand(emulator, side);
  const client = await BandClient.connect(host, { timeoutMs: 30_000 });
  return {
    client,
    async close() {
      client.close();
      serving.stop();
      await host.close();
      emulator.close();
    },
  };
}

export async function cryptoFigures(): Promise<{ figures: Figure[]; close(): Promise<void> }> {
  const band = await fidoBand(false);
  const fido2 = band.client.fido2;
  let userId = 0;
  const makeCredential = () =>
    fido2.makeCredential({
      clientDataHash: sha256('bench make'),
      rp: RP,
      user: { id: Uint8Array.of(userId++ & 0xff, 1), name: 'bench' },
      options: { rk: false },
    });
  const made = await makeCredential();
  const cose = made.parsedAuthenticatorData.attestedCredentialData!.publicKeyMap;
  const allowCredentials = [made.credentialId];
  const getAssertion = () =>
    fido2.getAssertion({ clientDataHash: sha256('bench get'), rpId: RP.id, allowCredentials, options: { up: false } });

  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const message = new Uint8Array(37 + 32).fill(7); // authenticatorData + clientDataHash
  const nodeSign = () => sign('sha256', message, { key: privateKey, dsaEncoding: 'der' });
  const nodeKeygenSign = () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return sign('sha256', message, { key: pair.privateKey, dsaEncoding: 'der' });
  };

  const scalar = sha256('bench scalar');
  const seededKey = P256Key.fromScalar(scalar, 'rfc6979');
  const seededSign = () => seededKey.sign(message);
  const nobleSign = () => p256.sign(message, scalar, { lowS: false, format: 'der' });

  const figures: Figure[] = [
    {
      key: 'getassertion_vs_node_sign',
      label: 'getAssertion through Fido2Client (loopback, unseeded band) vs one node:crypto P-256 sign',
      target: 0.25,
      project: getAssertion,
      peer: nodeSign,
      async check() {
        const [result] = await getAssertion();
        const key = createPublicKey({
          key: {
            kty: 'EC',
            crv: 'P-256',
            x: Buffer.from(cose.get(-2) as Uint8Array).toString('base64url'),
            y: Buffer.from(cose.get(-3) as Uint8Array).toString('base64url'),
          },
          format: 'jwk',
        });
        const signed = Buffer.concat([result.authenticatorData, sha256('bench get')]);
        if (!verify('sha256', signed, { key, dsaEncoding: 'der' }, result.signature))
          throw new Error('getAssertion: the signature does not verify under the credential public key');
      },
    },
    {
      key: 'makecredential_vs_node_keygen_sign',
      label: 'makeCredential through Fido2Client (loopback, unseeded band) vs node:crypto keygen + sign',
      target: 0.2,
      project: makeCredential,
      peer: nodeKeygenSign,
      async check() {
        const result = await makeCredential();
        if (result.fmt !== 'packed') throw new Error(`makeCredential: unexpected attestation format ${result.fmt}`);
      },
    },
    {
      key: 'seeded_sign_vs_noble',
      label: "seeded band's deterministic sign (RFC 6979) vs @noble/curves' own sign",
      target: 0.7,
      project: seededSign,
      peer: nobleSign,
      check() {
        if (!Buffer.from(seededSign()).equals(Buffer.from(nobleSign())))
          throw new Error('seeded sign: not byte-identical to noble RFC 6979 with lowS: false');
      },
    },
  ];
  return { figures, close: () => band.close() };
}
