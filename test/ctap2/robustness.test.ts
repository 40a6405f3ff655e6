import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CtapStatus } from '../../firmware-sim/ctap2/index.js';
import {
  decodeCanonical,
  encodeCanonical,
  Permission,
  type CborInput,
  type CborValue,
} from '../../host/fido2/index.js';
import { cborKey, cborValue } from './arbitraries.js';
import { ctapRequest, hash, makeRig, RP, user, type Rig } from './rig.js';

const KNOWN = new Set<number>(Object.values(CtapStatus));
const COMMANDS = [0x01, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x41];
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A band with a PIN, credentials and a cm token in use, so that fuzzed requests reach deep paths. */
async function busyRig(seed: string): Promise<Rig> {
  const rig = makeRig({ seed });
  await rig.client.clientPin.setPin('1234');
  const mc = await rig.client.clientPin.getPinToken('1234', { permissions: Permission.MAKE_CREDENTIAL, rpId: RP.id });
  await rig.client.makeCredential({
    clientDataHash: hash('x'),
    rp: RP,
    user: user(1),
    options: { rk: true },
    pinUvAuthToken: mc,
    extensions: { hmacSecret: true },
  });
  await rig.client.makeCredential({
    clientDataHash: hash('x'),
    rp: RP,
    user: user(2),
    options: { uv: true, rk: true },
  });
  await rig.client.clientPin.getPinToken('1234', { permissions: Permission.CREDENTIAL_MANAGEMENT });
  return rig;
}

/** Every reply is a known status; an OK reply's body is canonical CBOR that re-encodes to the same bytes. */
function checkReply(reply: Uint8Array): number {
  expect(reply.length).toBeGreaterThan(0);
  const status = reply[0];
  expect(KNOWN.has(status)).toBe(true);
  if (status === 0 && reply.length > 1) {
    const body = reply.subarray(1);
    expect(hex(encodeCanonical(decodeCanonical(body)))).toBe(hex(body));
  } else if (status !== 0) {
    expect(reply.length).toBe(1);
  }
  return status;
}

describe('the authenticator never throws and always answers with a CTAP status', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await busyRig('fuzz');
  });

  it('random bytes after any command byte', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constantFrom(...COMMANDS), fc.integer({ min: 0, max: 255 })),
        fc.uint8Array({ maxLength: 200 }),
        async (command, body) => {
          const status = checkReply(await rig.raw(Uint8Array.from([command, ...body])));
          if (!COMMANDS.includes(command)) expect(status).toBe(CtapStatus.CTAP1_ERR_INVALID_COMMAND);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('well-formed canonical CBOR of any shape, for every command, never ends in CTAP1_ERR_OTHER', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...COMMANDS), cborValue(3), async (command, params) => {
        const status = checkReply(await rig.raw(ctapRequest(command, params)));
        expect(status).not.toBe(CtapStatus.CTAP1_ERR_OTHER);
      }),
      { numRuns: 1500 },
    );
  });

  it('request maps built from real field numbers and random values never end in CTAP1_ERR_OTHER', async () => {
    const field = fc.tuple(fc.integer({ min: 1, max: 10 }), cborValue(3));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0x01, 0x02, 0x06, 0x0a),
        fc.uniqueArray(field, { maxLength: 8, selector: ([k]) => k }),
        async (command, entries) => {
          const status = checkReply(await rig.raw(ctapRequest(command, new Map(entries))));
          expect(status).not.toBe(CtapStatus.CTAP1_ERR_OTHER);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('non-canonical encodings of valid requests are CTAP2_ERR_INVALID_CBOR', async () => {
    // getAssertion {1: rpId, 2: cdh} with the keys swapped, and with a non-minimal integer key.
    const cdh = hash('nc');
    const swapped = Uint8Array.from([0x02, 0xa2, 0x02, 0x58, 0x20, ...cdh, 0x01, 0x6b, ...Buffer.from(RP.id)]);
    const longKey = Uint8Array.from([0x02, 0xa2, 0x18, 0x01, 0x6b, ...Buffer.from(RP.id), 0x02, 0x58, 0x20, ...cdh]);
    const indefinite = Uint8Array.from([0x02, 0xbf, 0x01, 0x6b, ...Buffer.from(RP.id), 0x02, 0x58, 0x20, ...cdh, 0xff]);
    for (const request of [swapped, longKey, indefinite])
      expect(await rig.raw(request)).toEqual(Uint8Array.of(CtapStatus.CTAP2_ERR_INVALID_CBOR));
  });
});

function validMakeCredential(): Map<number, CborInput> {
  return new Map<number, CborInput>([
    [1, hash('mc')],
    [2, { id: RP.id, name: 'Example' }],
    [3, { id: Uint8Array.of(1, 2), name: 'a', displayName: 'A' }],
    [4, [{ type: 'public-key', alg: -7 }]],
  ]);
}

function validGetAssertion(): Map<number, CborInput> {
  return new Map<number, CborInput>([
    [1, RP.id],
    [2, hash('ga')],
  ]);
}

describe('strict request checking', () => {
  it('answers an empty request with CTAP1_ERR_INVALID_LENGTH and a non-map with CTAP2_ERR_CBOR_UNEXPECTED_TYPE', async () => {
    const { raw } = makeRig();
    expect(await raw(new Uint8Array(0))).toEqual(Uint8Array.of(CtapStatus.CTAP1_ERR_INVALID_LENGTH));
    expect(await raw(ctapRequest(0x01, [1, 2]))).toEqual(Uint8Array.of(CtapStatus.CTAP2_ERR_CBOR_UNEXPECTED_TYPE));
    expect(await raw(Uint8Array.of(0x01))).toEqual(Uint8Array.of(CtapStatus.CTAP2_ERR_MISSING_PARAMETER));
    expect(await raw(Uint8Array.of(0x04, 0xa0))).toEqual(Uint8Array.of(CtapStatus.CTAP1_ERR_INVALID_LENGTH));
    expect(await raw(Uint8Array.of(0x01, 0x02, 0x03))).toEqual(Uint8Array.of(CtapStatus.CTAP2_ERR_INVALID_CBOR));
  });

  it.each([
    ['makeCredential', 0x01, validMakeCredential, [1, 2, 3, 4]],
    ['getAssertion', 0x02, validGetAssertion, [1, 2]],
  ] as const)(
    '%s: each missing required member is CTAP2_ERR_MISSING_PARAMETER',
    async (_, command, valid, required) => {
      const { raw } = makeRig();
      for (const key of required) {
        const params = valid();
        params.delete(key);
        expect(await raw(ctapRequest(command, params))).toEqual(Uint8Array.of(CtapStatus.CTAP2_ERR_MISSING_PARAMETER));
      }
    },
  );

  const wrongTypes: [string, number, () => Map<number, CborInput>, number, CborInput][] = [
    ['makeCredential clientDataHash as text', 0x01, validMakeCredential, 1, 'abc'],
    ['makeCredential rp as array', 0x01, validMakeCredential, 2, [RP.id]],
    ['makeCredential user.id as text', 0x01, validMakeCredential, 3, { id: 'user' }],
    ['makeCredential pubKeyCredParams as map', 0x01, validMakeCredential, 4, { type: 'public-key', alg: -7 }],
    ['makeCredential alg as text', 0x01, validMakeCredential, 4, [{ type: 'public-key', alg: 'ES256' }]],
    ['makeCredential excludeList entry id as text', 0x01, validMakeCredential, 5, [{ type: 'public-key', id: 'x' }]],
    ['makeCredential options.rk as integer', 0x01, validMakeCredential, 7, { rk: 1 }],
    ['makeCredential pinUvAuthProtocol as negative', 0x01, validMakeCredential, 9, -1],
    ['getAssertion rpId as bytes', 0x02, validGetAssertion, 1, Uint8Array.of(1)],
    ['getAssertion allowList as map', 0x02, validGetAssertion, 3, { id: Uint8Array.of(1) }],
    ['getAssertion options as array', 0x02, validGetAssertion, 5, [true]],
  ];
  it.each(wrongTypes)('%s is CTAP2_ERR_CBOR_UNEXPECTED_TYPE', async (_, command, valid, key, value) => {
    const { raw } = makeRig();
    const params = valid();
    params.set(key, value);
    expect(await raw(ctapRequest(command, params))).toEqual(Uint8Array.of(CtapStatus.CTAP2_ERR_CBOR_UNEXPECTED_TYPE));
  });

  it('ignores unknown members, as CTAP requests are forward-compatible', async () => {
    const { raw, client } = makeRig();
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(
          fc.tuple(fc.oneof(fc.integer({ min: 11, max: 100 }), fc.string({ maxLength: 5 })), cborValue(2)),
          { maxLength: 3, selector: ([k]) => String(k) },
        ),
        async (extra) => {
          const params = validMakeCredential();
          for (const [k, v] of extra) (params as Map<number | string, CborInput>).set(k, v);
          const reply = await raw(ctapRequest(0x01, params));
          expect(reply[0]).toBe(CtapStatus.CTAP2_OK);
        },
      ),
      { numRuns: 40 },
    );
    const params = validMakeCredential();
    params.set(6, { futureExtension: [1, 2], 'hmac-secret': true });
    params.set(7, { futureOption: 5 });
    const made = await raw(ctapRequest(0x01, params));
    expect(made[0]).toBe(CtapStatus.CTAP2_OK);
    // The unknown extension gets no output; hmac-secret does.
    const info = await client.getInfo();
    expect(info.extensions).toEqual(['credProtect', 'hmac-secret', 'credBlob', 'minPinLength', 'largeBlobKey']);
    const authData = (decodeCanonical(made.subarray(1)) as Map<number, CborValue>).get(2) as Uint8Array;
    expect(Buffer.from(authData).includes(Buffer.from('futureExtension'))).toBe(false);
    expect(Buffer.from(authData).includes(Buffer.from('hmac-secret'))).toBe(true);
  });
});

describe('every response re-encodes byte-identically', () => {
  it('over a full session', async () => {
    const rig = await busyRig('session');
    const replies: Uint8Array[] = [];
    const transact = rig.raw;
    const record = async (request: Uint8Array) => {
      const reply = await transact(request);
      replies.push(reply);
      return reply;
    };
    await record(Uint8Array.of(0x04));
    await record(
      ctapRequest(
        0x06,
        new Map<number, CborInput>([
          [1, 2],
          [2, 2],
        ]),
      ),
    );
    await record(
      ctapRequest(
        0x06,
        new Map<number, CborInput>([
          [1, 1],
          [2, 1],
        ]),
      ),
    );
    await record(ctapRequest(0x01, validMakeCredential()));
    await record(ctapRequest(0x02, new Map<number, CborInput>([...validGetAssertion(), [5, { uv: true }]])));
    await record(Uint8Array.of(0x08));
    const ok = replies.filter((r) => r[0] === 0 && r.length > 1);
    expect(ok.length).toBe(replies.length);
    for (const reply of ok) {
      const decoded: CborValue = decodeCanonical(reply.subarray(1));
      expect(hex(encodeCanonical(decoded))).toBe(hex(reply.subarray(1)));
    }
  });
});

describe('the key arbitrary covers both key kinds', () => {
  it('produces integer and text keys', () => {
    const samples = fc.sample(cborKey, 200);
    expect(samples.some((k) => typeof k === 'number')).toBe(true);
    expect(samples.some((k) => typeof k === 'string')).toBe(true);
  });
});
