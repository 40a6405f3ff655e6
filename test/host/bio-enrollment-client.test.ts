import { describe, expect, it } from 'vitest';
import {
  BioEnrollmentError,
  CtapError,
  CtapStatus,
  Permission,
  type EnrollSample,
  type PinUvAuthToken,
} from '../../host/fido2/index.js';
import { KeepaliveStatus } from '../../transport/index.js';
import { DirectRig, enroll, FINGER } from '../band/harness.js';

const PIN = '2468';

async function wornBlankBand(): Promise<{ rig: DirectRig; token: PinUvAuthToken }> {
  const rig = new DirectRig({ seed: 'bio-client' });
  await rig.wrist(true);
  await rig.fido2.clientPin.setPin(PIN);
  const token = await rig.fido2.clientPin.getPinToken(PIN, { permissions: Permission.BIO_ENROLLMENT });
  return { rig, token };
}

/** The person: each time the band asks for a sample (KEEPALIVE UPNEEDED), the next touch of `touches` lands. */
function person(rig: DirectRig, touches: { poorQuality?: boolean; finger?: string }[]) {
  let next = 0;
  return (status: number) => {
    if (status !== KeepaliveStatus.UPNEEDED) return;
    const touch = touches[Math.min(next++, touches.length - 1)];
    // After the band's own call returns: a person reacts to the prompt, not inside it.
    void Promise.resolve().then(() => rig.touch(touch.finger ?? FINGER, { poorQuality: touch.poorQuality }));
  };
}

describe('Fido2Client.bio (authenticatorBioEnrollment from the host)', () => {
  it('sensorInfo, then enroll reports every sample and resolves with the template the band lists', async () => {
    const { rig, token } = await wornBlankBand();
    expect(await rig.fido2.bio.sensorInfo()).toEqual({
      modality: 1,
      fingerprintKind: 1,
      maxCaptureSamplesRequiredForEnroll: 6,
      maxTemplateFriendlyName: 12,
    });
    expect(await rig.fido2.bio.enumerate(token)).toEqual([]);
    const samples: EnrollSample[] = [];
    const templateId = await rig.fido2.bio.enroll(token, {
      onSample: (s) => samples.push(s),
      onKeepalive: person(rig, [{ poorQuality: true }, {}]),
    });
    expect(samples.map((s) => [s.statusName, s.good, s.remaining])).toEqual([
      ['CTAP2_ENROLL_FEEDBACK_FP_POOR_QUALITY', false, 6],
      ['CTAP2_ENROLL_FEEDBACK_FP_GOOD', true, 5],
      ['CTAP2_ENROLL_FEEDBACK_FP_GOOD', true, 4],
      ['CTAP2_ENROLL_FEEDBACK_FP_GOOD', true, 3],
      ['CTAP2_ENROLL_FEEDBACK_FP_GOOD', true, 2],
      ['CTAP2_ENROLL_FEEDBACK_FP_GOOD', true, 1],
      ['CTAP2_ENROLL_FEEDBACK_FP_GOOD', true, 0],
    ]);
    for (const s of samples) expect(s.templateId).toEqual(templateId);
    const [listed] = await rig.fido2.bio.enumerate(token);
    expect(listed.templateId).toEqual(templateId);
    await rig.fido2.bio.rename(token, templateId, 'thumb');
    expect(await rig.fido2.bio.enumerate(token)).toEqual([{ templateId, friendlyName: 'THUMB' }]);

    // A second enrollment: the band's one template is taken.
    const full = await rig.fido2.bio.enroll(token).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(CtapError);
    expect((full as CtapError).status).toBe(CtapStatus.CTAP2_ERR_FP_DATABASE_FULL);

    await rig.fido2.bio.remove(token, templateId);
    expect(await rig.fido2.bio.enumerate(token)).toEqual([]);
  });

  it('a sensor that never takes a good sample ends in BioEnrollmentError, with the enrollment cancelled', async () => {
    const { rig, token } = await wornBlankBand();
    const failure = await rig.fido2.bio
      .enroll(token, { maxSamples: 3, onKeepalive: person(rig, [{ poorQuality: true }]) })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BioEnrollmentError);
    expect((failure as BioEnrollmentError).code).toBe('TOO_MANY_SAMPLES');
    expect(rig.band.state).toBe('BAND_STATE_UNENROLLED');
    expect(rig.band.enrolled).toBe(false);
    // Nothing is left in progress: cancel has nothing to cancel.
    const nothing = await rig.fido2.bio.cancel().catch((e: unknown) => e);
    expect((nothing as CtapError).status).toBe(CtapStatus.CTAP2_ERR_INVALID_OPTION);
  });

  it('an abort ends the wait with CTAP2_ERR_KEEPALIVE_CANCEL and nothing stored', async () => {
    const { rig, token } = await wornBlankBand();
    const controller = new AbortController();
    const failure = await rig.fido2.bio
      .enroll(token, {
        signal: controller.signal,
        onKeepalive: (status) => status === KeepaliveStatus.UPNEEDED && queueMicrotask(() => controller.abort()),
      })
      .catch((e: unknown) => e);
    expect((failure as CtapError).status).toBe(CtapStatus.CTAP2_ERR_KEEPALIVE_CANCEL);
    expect(rig.band.getState()).toMatchObject({ enrolled: false, state: 'BAND_STATE_UNENROLLED' });
  });

  it("removing a directory user's fingerprint is refused: it goes with delete user data", async () => {
    const rig = new DirectRig({ seed: 'bio-client' });
    await enroll(rig);
    await rig.fido2.clientPin.setPin(PIN);
    const token = await rig.fido2.clientPin.getPinToken(PIN, { permissions: Permission.BIO_ENROLLMENT });
    const [template] = await rig.fido2.bio.enumerate(token);
    const refused = await rig.fido2.bio.remove(token, template.templateId).catch((e: unknown) => e);
    expect((refused as CtapError).status).toBe(CtapStatus.CTAP2_ERR_OPERATION_DENIED);
    expect(rig.band.enrolled).toBe(true);
  });
});
