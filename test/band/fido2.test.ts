import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../firmware-sim/ctap2/index.js';
import { BAND_AAGUID } from '../../firmware-sim/index.js';
import { listedCredentials } from '../../firmware-sim/fido2.js';
import { MAX_DISCOVERABLE_CREDENTIALS } from '../../proto/index.js';
import { BandMessageCodec, type FidoCredential } from '../../proto/index.js';
import { Command, HidError, KeepaliveStatus } from '../../transport/index.js';
import { DirectRig, FINGER, authenticate, enroll, wipeOnBand } from './harness.js';

const RP = 'intranet.example';
const OK = 0x00;
const OPERATION_DENIED = 0x27;
const KEEPALIVE_CANCEL = 0x2d;
const NO_CREDENTIALS = 0x2e;

const hash = (s: string) => new Uint8Array(createHash('sha256').update(s).digest());

function makeCredentialRequest(userId: string, rk = true): Uint8Array {
  const params = new Map<number, unknown>([
    [1, hash(`client data for ${userId}`)],
    [
      2,
      new Map([
        ['id', RP],
        ['name', 'Intranet'],
      ]),
    ],
    [
      3,
      new Map<string, unknown>([
        ['id', new TextEncoder().encode(userId)],
        ['name', userId],
        ['displayName', userId],
      ]),
    ],
    [
      4,
      [
        new Map<string, unknown>([
          ['alg', -7],
          ['type', 'public-key'],
        ]),
      ],
    ],
    // The band verifies its wearer itself (worn and authenticated): built-in UV, no PIN.
    [
      7,
      new Map([
        ['rk', rk],
        ['uv', true],
      ]),
    ],
  ]);
  return Uint8Array.of(0x01, ...encodeCanonical(params as never));
}

function getAssertionRequest(credentialId: Uint8Array): Uint8Array {
  const params = new Map<number, unknown>([
    [1, RP],
    [2, hash('assertion')],
    [
      3,
      [
        new Map<string, unknown>([
          ['id', credentialId],
          ['type', 'public-key'],
        ]),
      ],
    ],
  ]);
  return Uint8Array.of(0x02, ...encodeCanonical(params as never));
}

async function cbor(rig: DirectRig, request: Uint8Array, controller = new AbortController()) {
  const reply = await rig.send({ command: Command.CBOR, payload: request }, rig.context(controller));
  return reply;
}

/** The credential ID from a makeCredential reply's attested credential data. */
function credentialIdOf(reply: Uint8Array): Uint8Array {
  expect(reply[0]).toBe(OK);
  const map = decodeCanonical(reply.subarray(1)) as CborMap;
  const authData = map.get(2) as Uint8Array;
  expect(authData.subarray(37, 53)).toEqual(BAND_AAGUID);
  const length = (authData[53] << 8) | authData[54];
  return authData.slice(55, 55 + length);
}

/** A request that needs the top button: waits for CONFIRM, presses, returns the reply. */
async function confirmed(rig: DirectRig, request: Uint8Array) {
  const pending = cbor(rig, request);
  await rig.showing('SCREEN_CONFIRM');
  await rig.button('BUTTON_TOP', 'BUTTON_MOTION_PRESS');
  const reply = await pending;
  expect(reply.command).toBe(Command.CBOR);
  return reply.payload;
}

async function authenticated(options: ConstructorParameters<typeof DirectRig>[0] = {}) {
  const rig = new DirectRig({ seed: 'fido', ...options });
  await enroll(rig);
  return rig;
}

describe('FIDO2 through the CBOR command', () => {
  it('getInfo answers with the band AAGUID', async () => {
    const rig = new DirectRig();
    const reply = await cbor(rig, Uint8Array.of(0x04));
    expect(reply.payload[0]).toBe(OK);
    const info = decodeCanonical(reply.payload.subarray(1)) as CborMap;
    expect(info.get(3)).toEqual(BAND_AAGUID);
  });

  it('user presence: CONFIRM, KEEPALIVE(UPNEEDED) on the band clock, the top button', async () => {
    const rig = await authenticated();
    const pending = cbor(rig, makeCredentialRequest('alice'));
    await rig.showing('SCREEN_CONFIRM');
    expect(await rig.state()).toBe('BAND_STATE_AUTHENTICATED');
    const before = rig.keepalives.length;
    await rig.advance(1_000);
    expect(rig.keepalives.slice(before)).toEqual(new Array(10).fill(KeepaliveStatus.UPNEEDED));
    await rig.button('BUTTON_TOP', 'BUTTON_MOTION_PRESS');
    const reply = await pending;
    expect(credentialIdOf(reply.payload).length).toBeGreaterThan(16);
    await rig.screen('SCREEN_AUTHENTICATED');
  });

  it('the CONFIRM screen says what the tap confirms: the purpose and the relying party', async () => {
    const rig = await authenticated();
    const pending = cbor(rig, makeCredentialRequest('alice'));
    await rig.showing('SCREEN_CONFIRM');
    expect(await rig.readScreen()).toMatchObject({
      screen: 'SCREEN_CONFIRM',
      confirmPurpose: 'makeCredential',
      confirmRpId: RP,
    });
    await rig.button('BUTTON_TOP', 'BUTTON_MOTION_PRESS');
    await pending;
    expect(await rig.readScreen()).toMatchObject({
      screen: 'SCREEN_AUTHENTICATED',
      confirmPurpose: '',
      confirmRpId: '',
    });
  });

  it('no press within 30 s of band time is a denial', async () => {
    const rig = await authenticated();
    const pending = cbor(rig, makeCredentialRequest('alice'));
    await rig.showing('SCREEN_CONFIRM');
    await rig.advance(29_999);
    await rig.screen('SCREEN_CONFIRM');
    await rig.advance(1);
    expect((await pending).payload).toEqual(Uint8Array.of(OPERATION_DENIED));
    await rig.screen('SCREEN_AUTHENTICATED');
  });

  it('CTAPHID CANCEL (the abort signal) ends the wait with KEEPALIVE_CANCEL', async () => {
    const rig = await authenticated();
    const controller = new AbortController();
    const pending = cbor(rig, makeCredentialRequest('alice'), controller);
    await rig.showing('SCREEN_CONFIRM');
    controller.abort();
    expect((await pending).payload).toEqual(Uint8Array.of(KEEPALIVE_CANCEL));
    await rig.screen('SCREEN_AUTHENTICATED');
  });

  it('taking the band off the wrist while it waits is a denial', async () => {
    const rig = await authenticated();
    const pending = cbor(rig, makeCredentialRequest('alice'));
    await rig.showing('SCREEN_CONFIRM');
    await rig.wrist(false);
    expect((await pending).payload).toEqual(Uint8Array.of(OPERATION_DENIED));
  });

  it('a band that is not worn and authenticated never shows CONFIRM and denies', async () => {
    const rig = await authenticated();
    await rig.wrist(false);
    const screens = rig.eventsOf('screenChanged').length;
    expect((await cbor(rig, makeCredentialRequest('alice'))).payload).toEqual(Uint8Array.of(OPERATION_DENIED));
    expect(rig.eventsOf('screenChanged').length).toBe(screens);
  });

  it('auto-presence answers without the button', async () => {
    const rig = await authenticated({ autoPresence: true });
    const reply = await cbor(rig, makeCredentialRequest('alice'));
    expect(credentialIdOf(reply.payload).length).toBeGreaterThan(16);
    expect(rig.eventsOf('screenChanged').some((e) => e.screen === 'SCREEN_CONFIRM')).toBe(false);
  });

  it('a reboot while a request waits kills the request: ERROR OTHER, not a reply', async () => {
    const rig = await authenticated();
    const pending = cbor(rig, makeCredentialRequest('alice'));
    await rig.showing('SCREEN_CONFIRM');
    await rig.reboot();
    expect(await pending).toEqual({ command: Command.ERROR, payload: Uint8Array.of(HidError.OTHER) });
  });

  it('a power cut inside a CTAP2 commit leaves the band dead, and the credential either whole or absent', async () => {
    const rig = await authenticated({ autoPresence: true });
    await rig.cutPower(1);
    expect(await cbor(rig, makeCredentialRequest('alice'))).toEqual({
      command: Command.ERROR,
      payload: Uint8Array.of(HidError.OTHER),
    });
    expect((await rig.readScreen()).powered).toBe(false);
    await rig.reboot();
    expect((await rig.call('getState', {})).fidoCredentialCount).toBe(0);
  });

  it('list_fido_credentials shows resident credentials to the authenticated wearer only', async () => {
    const rig = await authenticated({ autoPresence: true });
    const first = credentialIdOf((await cbor(rig, makeCredentialRequest('alice'))).payload);
    await cbor(rig, makeCredentialRequest('bob'));
    await cbor(rig, makeCredentialRequest('carol', false));
    const listed = await rig.call('listFidoCredentials', {});
    expect(listed.credentials.map((c) => [c.rpId, c.userName])).toEqual([
      [RP, 'bob'],
      [RP, 'alice'],
    ]);
    expect(new Uint8Array(listed.credentials[1].credentialId)).toEqual(first);
    expect((await rig.call('getState', {})).fidoCredentialCount).toBe(2);
    await rig.wrist(false);
    expect((await rig.refusal('listFidoCredentials', {})).code).toBe('ERROR_CODE_NOT_AUTHENTICATED');
    const noFido = new DirectRig({ fido2: false });
    await enroll(noFido);
    expect((await noFido.refusal('listFidoCredentials', {})).code).toBe('ERROR_CODE_NOT_SUPPORTED');
    expect(await noFido.send({ command: Command.CBOR, payload: Uint8Array.of(0x04) })).toEqual({
      command: Command.ERROR,
      payload: Uint8Array.of(HidError.INVALID_CMD),
    });
  });

  it("list_fido_credentials lists more than 32: every resident credential up to the band's 50", async () => {
    const rig = await authenticated({ autoPresence: true });
    for (let i = 0; i < 40; i++) credentialIdOf((await cbor(rig, makeCredentialRequest(`user-${i}`))).payload);
    const listed = await rig.call('listFidoCredentials', {});
    expect(listed.credentials).toHaveLength(40);
    expect(listed.credentials[0].userName).toBe('user-39');
  });

  it("band.proto documents the band's own resident-credential limit as the list maximum", () => {
    const proto = readFileSync(new URL('../../proto/band.proto', import.meta.url), 'utf8');
    const block = /message ListFidoCredentialsResponse \{[^}]*\}/.exec(proto)![0];
    expect(Number(/max (\d+) entries/.exec(block)![1])).toBe(MAX_DISCOVERABLE_CREDENTIALS);
    expect(MAX_DISCOVERABLE_CREDENTIALS).toBe(50);
  });

  it('the listed credentials keep every string whole and always fit one BAND unit', () => {
    const credential = (i: number, rpBytes: number, nameBytes = 64): FidoCredential => ({
      rpId: `${'r'.repeat(rpBytes - 12)}.example.com`,
      credentialId: new Uint8Array(63).fill(i),
      userName: `ü${'n'.repeat(nameBytes - 4)}${String(i).padStart(2, '0')}`,
    });
    const fits = (list: FidoCredential[]) =>
      BandMessageCodec.encode({
        requestId: 0xffffffff,
        body: { case: 'listFidoCredentials', value: { credentials: list } },
      }).length <= 7609;

    const short = Array.from({ length: 50 }, (_, i) => credential(i, 24, 32));
    const all = listedCredentials(short);
    expect(all).toEqual(short);
    expect(fits(all)).toBe(true);

    // Long rp IDs (CTAP sets no maximum): whole entries, the newest that fit, never a shortened string.
    const long = Array.from({ length: 50 }, (_, i) => credential(i, 300));
    const listed = listedCredentials(long);
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.length).toBeLessThan(50);
    expect(listed).toEqual(long.slice(0, listed.length));
    expect(fits(listed)).toBe(true);
    expect(fits(long.slice(0, listed.length + 1))).toBe(false);
  });

  it('delete user data makes every earlier credential unusable, even after re-enrolling the same person', async () => {
    const rig = await authenticated();
    const resident = credentialIdOf(await confirmed(rig, makeCredentialRequest('alice')));
    const serverSide = credentialIdOf(await confirmed(rig, makeCredentialRequest('alice-2fa', false)));
    for (const id of [resident, serverSide]) expect((await confirmed(rig, getAssertionRequest(id)))[0]).toBe(OK);

    await wipeOnBand(rig);
    expect((await rig.call('getState', {})).fidoCredentialCount).toBe(0);
    expect((await cbor(rig, getAssertionRequest(resident))).payload[0]).not.toBe(OK);

    await rig.charger(false);
    await enroll(rig);
    for (const id of [resident, serverSide]) {
      expect((await cbor(rig, getAssertionRequest(id))).payload).toEqual(Uint8Array.of(NO_CREDENTIALS));
    }
    expect((await rig.call('listFidoCredentials', {})).credentials).toEqual([]);
    // The band still makes new credentials for the re-enrolled wearer.
    const fresh = credentialIdOf(await confirmed(rig, makeCredentialRequest('alice')));
    expect(fresh).not.toEqual(resident);
    expect((await confirmed(rig, getAssertionRequest(fresh)))[0]).toBe(OK);
  });

  it('built-in user verification follows the band: worn and authenticated', async () => {
    const rig = await authenticated();
    expect(rig.band.userVerified).toBe(true);
    await rig.wrist(false);
    expect(rig.band.userVerified).toBe(false);
    await rig.wrist(true);
    await authenticate(rig, FINGER);
    expect(rig.band.userVerified).toBe(true);
  });
});
