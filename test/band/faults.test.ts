import { describe, expect, it } from 'vitest';
import { Band, MemoryMedium, testWorld } from '../../firmware-sim/index.js';
import { answerHost } from '../../firmware-sim/host-protocol.js';
import { BandMessageCodec, HostMessageCodec } from '../../proto/index.js';
import { DirectRig, FINGER, USER, enroll } from './harness.js';

/** A medium that fails like a worn-out disk once told to. */
class FailingMedium extends MemoryMedium {
  failing = false;
  override append(file: string, bytes: Uint8Array): void {
    if (this.failing) throw new Error('EIO: input/output error');
    super.append(file, bytes);
  }
}

describe('faults never take the band down', () => {
  it('a failing medium mid-request is ERROR_CODE_STORAGE, and the band keeps answering', async () => {
    const medium = new FailingMedium();
    const rig = new DirectRig({ medium });
    await rig.wrist(true);
    await rig.call('startEnrollment', {});
    await rig.call('verifySetupCode', { setupCode: (await rig.readScreen()).setupCode });
    await rig.call('startCapture', {});
    for (let i = 0; i < 6; i++) await rig.touch(FINGER);
    medium.failing = true;
    const refused = await rig.refusal('completeEnrollment', { userName: USER, hapticFeedback: true });
    expect(refused.code).toBe('ERROR_CODE_STORAGE');
    expect(refused.message).toMatch(/EIO/);
    expect((await rig.refusal('getState', {})).code).toBe('ERROR_CODE_STORAGE');
    medium.failing = false;
    await rig.reboot();
    expect(await rig.state()).toBe('BAND_STATE_UNENROLLED');
  });

  it('a failing medium inside a timer (a failure count) leaves the band answering STORAGE', async () => {
    const medium = new FailingMedium();
    const rig = new DirectRig({ medium });
    await enroll(rig);
    await rig.wrist(false);
    await rig.wrist(true);
    await rig.touch('mallory/thumb');
    medium.failing = true;
    await rig.advance(1_000);
    expect((await rig.refusal('getState', {})).code).toBe('ERROR_CODE_STORAGE');
    expect(await rig.readScreen()).toMatchObject({ screen: 'SCREEN_BLANK', state: 'BAND_STATE_UNSPECIFIED' });
  });

  it('an exception inside a request handler is ERROR_CODE_INTERNAL with the request id', () => {
    const world = testWorld();
    const band = new Band(
      world,
      { serialNumber: 'AAAH-00125', firmwareVersion: 't', seos: false, autoPresence: false },
      {
        fidoCredentialCount: () => {
          throw new Error('boom');
        },
      },
    );
    const reply = answerHost(
      band,
      { serialNumber: 'AAAH-00125', firmwareVersion: 't', capabilities: [], fido2: true, seos: false },
      HostMessageCodec.encode({ requestId: 9, body: { case: 'getState', value: {} } }),
    );
    expect(reply).not.toBe('unpowered');
    const message = BandMessageCodec.decode(reply as Uint8Array);
    expect(message).toMatchObject({
      requestId: 9,
      body: { case: 'error', value: { code: 'ERROR_CODE_INTERNAL', state: 'BAND_STATE_UNENROLLED' } },
    });
    expect(message.body?.case === 'error' && message.body.value.message).toMatch(/handling getState: boom/);
  });

  it('an exception in a sensor reaction resets the band like a watchdog, and it comes back from flash', async () => {
    const rig = new DirectRig();
    await enroll(rig);
    await rig.wrist(false);
    await rig.wrist(true);
    rig.band.matcher.touch = () => {
      throw new Error('firmware bug');
    };
    await rig.touch(FINGER);
    expect(rig.band.watchdogResets).toBe(1);
    expect(rig.band.lastFault?.message).toBe('firmware bug');
    expect(await rig.call('getState', {})).toMatchObject({
      enrolled: true,
      state: 'BAND_STATE_AUTHENTICATION_REQUIRED',
    });
  });

  it('an event listener that throws changes nothing', async () => {
    const rig = new DirectRig();
    rig.device.onEvent(() => {
      throw new Error('listener bug');
    });
    await enroll(rig);
    expect(rig.band.watchdogResets).toBe(0);
    await rig.screen('SCREEN_AUTHENTICATED');
  });
});
