import { describe, expect, it } from 'vitest';
import { BandEmulator, testWorld } from '../../firmware-sim/index.js';
import {
  BandMessageCodec,
  DebugRequestCodec,
  DebugResponseCodec,
  HostMessageCodec,
  PROTOCOL_VERSION,
} from '../../proto/index.js';
import { Command, HidError } from '../../transport/index.js';
import { DirectRig, USER, enroll, wipeOnBand } from './harness.js';

const decode = (payload: Uint8Array) => BandMessageCodec.decode(payload);

describe('BandDevice dispatch', () => {
  it('answers a payload that is not a HostMessage with MALFORMED_MESSAGE and request_id 0', async () => {
    const rig = new DirectRig();
    const reply = await rig.send({ command: Command.BAND, payload: Uint8Array.of(0xff, 0xff, 0xff, 0xff) });
    expect(reply.command).toBe(Command.BAND);
    const message = decode(reply.payload);
    expect(message.requestId).toBe(0);
    expect(message.body).toMatchObject({
      case: 'error',
      value: { code: 'ERROR_CODE_MALFORMED_MESSAGE', state: 'BAND_STATE_UNENROLLED' },
    });
    expect(message.body?.case === 'error' && message.body.value.message).toMatch(/HostMessage/);
  });

  it('answers a HostMessage without a body with UNKNOWN_MESSAGE and its request_id', async () => {
    const rig = new DirectRig();
    const reply = await rig.send({ command: Command.BAND, payload: HostMessageCodec.encode({ requestId: 77 }) });
    const message = decode(reply.payload);
    expect(message.requestId).toBe(77);
    expect(message.body).toMatchObject({ case: 'error', value: { code: 'ERROR_CODE_UNKNOWN_MESSAGE' } });
  });

  it('a body from a newer protocol (unknown field) is UNKNOWN_MESSAGE, not a crash', async () => {
    const rig = new DirectRig();
    // request_id 5, field 99 (length-delimited, empty): a request this band does not know.
    const reply = await rig.send({ command: Command.BAND, payload: Uint8Array.of(0x08, 0x05, 0x9a, 0x06, 0x00) });
    expect(decode(reply.payload)).toMatchObject({
      requestId: 5,
      body: { case: 'error', value: { code: 'ERROR_CODE_UNKNOWN_MESSAGE' } },
    });
  });

  it('GetInfo: version, serial, device ID, firmware, capabilities', async () => {
    const rig = new DirectRig({ seos: true });
    const info = await rig.call('getInfo', { hostVersion: { major: 1, minor: 0 } });
    expect(info.protocolVersion).toEqual(PROTOCOL_VERSION);
    expect(info.serialNumber).toBe('AAAH-00125');
    expect(info.firmwareVersion).toBe('bandsim 0.1.0');
    expect(new Uint8Array(info.deviceId)).toEqual(rig.band.deviceId);
    expect(info.capabilities).toEqual([
      'CAPABILITY_FIDO2',
      'CAPABILITY_SEOS',
      'CAPABILITY_DEBUG_LINK',
      'CAPABILITY_LIVENESS',
    ]);
    const plain = new DirectRig({ debugLink: false, fido2: false });
    expect((await plain.message({ case: 'getInfo', value: {} })).body).toMatchObject({
      value: { capabilities: ['CAPABILITY_LIVENESS'] },
    });
  });

  it('the device ID is drawn once and kept across reboots', async () => {
    const rig = new DirectRig();
    const id = rig.band.deviceId;
    await rig.reboot();
    expect(rig.band.deviceId).toEqual(id);
    expect(rig.band.store.keys()).toEqual(['device/id']);
  });

  it('PING echoes, WINK answers empty, MSG answers CTAP1/U2F, unknown commands get ERROR INVALID_CMD', async () => {
    const rig = new DirectRig();
    expect(await rig.send({ command: Command.PING, payload: Uint8Array.of(1, 2, 3) })).toEqual({
      command: Command.PING,
      payload: Uint8Array.of(1, 2, 3),
    });
    expect(await rig.send({ command: Command.WINK, payload: new Uint8Array(0) })).toEqual({
      command: Command.WINK,
      payload: new Uint8Array(0),
    });
    // An empty APDU is a CTAP1/U2F request of the wrong length (SW 0x6700), answered on MSG.
    expect(await rig.send({ command: Command.MSG, payload: new Uint8Array(0) })).toEqual({
      command: Command.MSG,
      payload: Uint8Array.of(0x67, 0x00),
    });
    for (const command of [Command.LOCK, 0x55, 0x7f]) {
      expect(await rig.send({ command, payload: new Uint8Array(0) })).toEqual({
        command: Command.ERROR,
        payload: Uint8Array.of(HidError.INVALID_CMD),
      });
    }
  });

  it('refuses the debug link unless it was enabled', async () => {
    const rig = new DirectRig({ debugLink: false });
    const reply = await rig.send({
      command: Command.DEBUG,
      payload: DebugRequestCodec.encode({ requestId: 1, action: { case: 'readScreen', value: {} } }),
    });
    expect(reply).toEqual({ command: Command.ERROR, payload: Uint8Array.of(HidError.INVALID_CMD) });
  });

  it('answers a bad debug request with a DebugError, not a crash', async () => {
    const rig = new DirectRig();
    const bad = async (payload: Uint8Array) =>
      DebugResponseCodec.decode((await rig.send({ command: Command.DEBUG, payload })).payload);
    expect((await bad(Uint8Array.of(0xff, 0xff))).result?.case).toBe('error');
    const noButton = await bad(
      DebugRequestCodec.encode({ requestId: 3, action: { case: 'button', value: { motion: 'BUTTON_MOTION_PRESS' } } }),
    );
    expect(noButton).toMatchObject({
      requestId: 3,
      result: { case: 'error', value: { message: expect.stringMatching(/BUTTON_TOP/) } },
    });
    const longSeed = await bad(
      DebugRequestCodec.encode({ requestId: 4, action: { case: 'reseed', value: { seed: new Uint8Array(65) } } }),
    );
    expect(longSeed.result?.case).toBe('error');
    const emptyFinger = await bad(
      DebugRequestCodec.encode({ requestId: 5, action: { case: 'fingerOn', value: { finger: '' } } }),
    );
    expect(emptyFinger.result?.case).toBe('error');
  });

  it('events go to every listener as BAND units with request_id 0', async () => {
    const rig = new DirectRig();
    const seen: number[] = [];
    const off = rig.device.onEvent((unit) => seen.push(decode(unit.payload).requestId));
    await rig.wrist(true);
    off();
    await rig.wrist(false);
    expect(seen).toEqual([0, 0]);
    expect(rig.eventsOf('wristChanged')).toEqual([{ onWrist: true }, { onWrist: false }]);
  });

  it('charger events and a battery that charges on the band clock', async () => {
    const rig = new DirectRig({ batteryPercent: 50 });
    await rig.charger(true);
    await rig.advance(10 * 60_000);
    expect((await rig.call('getState', {})).batteryPercent).toBe(60);
    await rig.charger(false);
    await rig.advance(60 * 60_000);
    expect((await rig.call('getState', {})).batteryPercent).toBe(56);
    expect(rig.eventsOf('chargerChanged')).toEqual([{ onCharger: true }, { onCharger: false }]);
  });

  it('SEOS: not supported without it; provisioned by enrollment and removed by the wipe', async () => {
    const plain = new DirectRig();
    expect((await plain.refusal('getSeosStatus', {})).code).toBe('ERROR_CODE_NOT_SUPPORTED');
    const rig = new DirectRig({ seos: true });
    expect(await rig.call('getSeosStatus', {})).toEqual({ enabled: true, provisioned: false });
    await enroll(rig);
    expect(await rig.call('getSeosStatus', {})).toEqual({ enabled: true, provisioned: true });
    await wipeOnBand(rig);
    expect(await rig.call('getSeosStatus', {})).toEqual({ enabled: true, provisioned: false });
  });

  it('validates its options', () => {
    const world = testWorld();
    expect(() => new BandEmulator({ world, serialNumber: 'aaah-00125' })).toThrow(/four capital letters/);
    expect(() => new BandEmulator({ world, serialNumber: 'AAAH-0012' })).toThrow(/AAAH-00125/);
    expect(() => new BandEmulator({ world, serialNumber: 'AAAH-00125', firmwareVersion: 'x'.repeat(33) })).toThrow(
      /32 bytes/,
    );
    expect(() => new BandEmulator({ world, serialNumber: 'AAAH-00125', aaguid: new Uint8Array(15) })).toThrow(
      /16-byte/,
    );
  });
});

describe('presets run a real enrollment', () => {
  it('enrolled: worn, waiting for the enrolled finger', async () => {
    const rig = new DirectRig({ preset: { kind: 'enrolled', userName: USER } });
    expect(await rig.call('getState', {})).toMatchObject({
      state: 'BAND_STATE_AUTHENTICATION_REQUIRED',
      userName: USER,
      label: 'TW-USER2',
      onWrist: true,
    });
    await rig.touch(`${USER}/right-index`);
    await rig.advance(3_000);
    await rig.screen('SCREEN_AUTHENTICATED');
  });

  it('authenticated: the same flash a host-driven enrollment writes', async () => {
    const preset = new DirectRig({
      seed: 'p',
      preset: { kind: 'authenticated', userName: USER, finger: 'tw-user2/right-index' },
    });
    const driven = new DirectRig({ seed: 'p' });
    await enroll(driven);
    expect(await preset.state()).toBe('BAND_STATE_AUTHENTICATED');
    expect(preset.world.storage.medium.read('band.journal')).toEqual(driven.world.storage.medium.read('band.journal'));
  });

  it('refuses a band that already holds user data, and a missing user name', async () => {
    const world = testWorld();
    new BandEmulator({ world, serialNumber: 'AAAH-00125', preset: { kind: 'authenticated', userName: USER } });
    expect(() => new BandEmulator({ world, serialNumber: 'AAAH-00125', preset: { kind: 'blank' } })).toThrow(
      /already holds user data for "tw-user2"/,
    );
    expect(
      () => new BandEmulator({ world: testWorld(), serialNumber: 'AAAH-00125', preset: { kind: 'enrolled' } }),
    ).toThrow(/needs a user name/);
  });
});
