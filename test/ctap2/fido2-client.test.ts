import { describe, expect, it } from 'vitest';
import { buildClientData, CtapError, Fido2Client, Fido2ProtocolError, type Transact } from '../../host/fido2/index.js';
import { Command } from '../../transport/index.js';
import { containsPrivateKeyOf } from './check.js';
import { createECDH } from 'node:crypto';
import { CborError, encodeCanonical } from '../../host/fido2/index.js';

function clientReplying(reply: Uint8Array, seen: { command?: number; payload?: Uint8Array } = {}): Fido2Client {
  const transact: Transact = async (command, payload) => {
    seen.command = command;
    seen.payload = payload;
    return reply;
  };
  return new Fido2Client(transact);
}

describe('Fido2Client', () => {
  it('sends authenticatorCBOR on the CBOR command', async () => {
    const seen: { command?: number; payload?: Uint8Array } = {};
    await expect(clientReplying(Uint8Array.of(0x2e), seen).getInfo()).rejects.toBeInstanceOf(CtapError);
    expect(seen.command).toBe(Command.CBOR);
    expect(seen.payload).toEqual(Uint8Array.of(0x04));
  });

  it('turns a status into a CtapError with the spec name', async () => {
    const error = await clientReplying(Uint8Array.of(0x2e))
      .getAssertion({ rpId: 'a.example', clientDataHash: new Uint8Array(32) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CtapError);
    expect((error as CtapError).status).toBe(0x2e);
    expect((error as CtapError).code).toBe('CTAP2_ERR_NO_CREDENTIALS');
    expect((error as CtapError).message).toContain('CTAP2_ERR_NO_CREDENTIALS');
  });

  it('refuses replies that are empty, not canonical, or not maps', async () => {
    await expect(clientReplying(new Uint8Array(0)).getInfo()).rejects.toBeInstanceOf(Fido2ProtocolError);
    // {2: 1, 1: 1}: keys out of order.
    await expect(clientReplying(Uint8Array.of(0x00, 0xa2, 0x02, 0x01, 0x01, 0x01)).getInfo()).rejects.toBeInstanceOf(
      Fido2ProtocolError,
    );
    await expect(clientReplying(Uint8Array.of(0x00, 0x01)).getInfo()).rejects.toBeInstanceOf(Fido2ProtocolError);
    // A map lacking versions.
    await expect(clientReplying(Uint8Array.of(0x00, 0xa0)).getInfo()).rejects.toBeInstanceOf(Fido2ProtocolError);
  });

  it('refuses a request member it cannot encode faithfully before sending anything', async () => {
    // A WebAuthn page's user.id is an ArrayBuffer; before, it went out as an empty CBOR map.
    const seen: { command?: number; payload?: Uint8Array } = {};
    const error = await clientReplying(Uint8Array.of(0x00), seen)
      .makeCredential({
        clientDataHash: new Uint8Array(32),
        rp: { id: 'a.example' },
        user: { id: new ArrayBuffer(8) as unknown as Uint8Array, name: 'alice' },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CborError);
    expect((error as CborError).reason).toBe('unsupported');
    expect((error as CborError).message).toMatch(/ArrayBuffer; wrap the bytes in a Uint8Array/);
    expect(seen.payload).toBeUndefined();
  });

  it('builds clientDataJSON as a browser does and hashes it', () => {
    const { clientDataJSON, clientDataHash } = buildClientData({
      type: 'webauthn.get',
      challenge: Uint8Array.of(0xfb, 0xff),
      origin: 'https://a.example',
    });
    expect(new TextDecoder().decode(clientDataJSON)).toBe(
      '{"type":"webauthn.get","challenge":"-_8","origin":"https://a.example","crossOrigin":false}',
    );
    expect(clientDataHash).toHaveLength(32);
  });
});

describe('the private-key detector used by the persistence tests', () => {
  it('finds a planted scalar', () => {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const pub = ecdh.getPublicKey();
    const cose = encodeCanonical(
      new Map<number, Uint8Array | number>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, pub.subarray(1, 33)],
        [-3, pub.subarray(33)],
      ]),
    );
    // getPrivateKey drops leading zero bytes (1 key in 256); the band stores the scalar as 32 bytes.
    const scalar = Buffer.alloc(32);
    const d = ecdh.getPrivateKey();
    d.copy(scalar, 32 - d.length);
    const haystack = new Uint8Array([7, 7, 7, ...scalar, 9]);
    expect(containsPrivateKeyOf(haystack, cose)).toBe(true);
    expect(containsPrivateKeyOf(new Uint8Array(64).fill(3), cose)).toBe(false);
  });
});
