import { describe, expect, it } from 'vitest';
import type { DeviceContext } from '../../firmware-sim/band-device.js';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../firmware-sim/ctap2/index.js';
import { Fido2Client, Permission, type PinUvAuthToken, type Transact } from '../../host/fido2/index.js';
import {
  BioEnrollmentRequest,
  BioEnrollmentResponse,
  BioEnrollmentSubCommand as Sub,
  BioModality,
  EnrollSampleStatus,
  FingerprintKind,
  TemplateInfo,
} from '../../proto/ctap2/bio-enrollment.js';
import { Ctap2Command } from '../../proto/ctap2/command.js';
import { AuthenticatorGetInfoResponse, OptionId, UvModality } from '../../proto/ctap2/get-info.js';
import { decodeMembers, encodeMembers } from '../../proto/ctap2/members.js';
import { CtapStatus, ctapStatusName } from '../../proto/ctap2/status.js';
import { Command } from '../../transport/index.js';
import { authenticate, DirectRig, enroll, eventsOf, FINGER, wipeOnBand } from './harness.js';

const PIN = '2468';

function clientOf(rig: DirectRig): Fido2Client {
  const transact: Transact = async (command, payload) => {
    const reply = await rig.send({ command, payload }, rig.context());
    return reply.payload;
  };
  return new Fido2Client(transact);
}

/** One authenticatorBioEnrollment request, authenticated as §6.7 says: modality || subCommand || subCommandParams. */
async function bio(
  rig: DirectRig,
  subCommand: number,
  options: {
    token?: PinUvAuthToken;
    subParams?: Map<number, unknown>;
    command?: number;
    ctx?: DeviceContext;
  } = {},
): Promise<{ status: string; reply?: CborMap }> {
  const modality = BioModality.FINGERPRINT;
  const encoded = options.subParams === undefined ? new Uint8Array(0) : encodeCanonical(options.subParams as never);
  const message = Uint8Array.of(modality, subCommand, ...encoded);
  const params = encodeMembers(BioEnrollmentRequest, {
    modality,
    subCommand,
    subCommandParams: options.subParams as never,
    pinUvAuthProtocol: options.token?.protocol.version,
    pinUvAuthParam: options.token?.authenticate(message),
  });
  const request = Uint8Array.of(options.command ?? Ctap2Command.BIO_ENROLLMENT, ...encodeCanonical(params));
  const reply = await rig.send({ command: Command.CBOR, payload: request }, options.ctx ?? rig.context());
  const status = ctapStatusName(reply.payload[0]);
  if (reply.payload.length === 1) return { status };
  return { status, reply: decodeCanonical(reply.payload.subarray(1)) as CborMap };
}

async function beToken(rig: DirectRig): Promise<PinUvAuthToken> {
  return clientOf(rig).clientPin.getPinToken(PIN, { permissions: Permission.BIO_ENROLLMENT });
}

async function enrolledWithPin(): Promise<DirectRig> {
  const rig = new DirectRig({ seed: 'bio' });
  await enroll(rig, { label: 'LEFT' });
  await clientOf(rig).clientPin.setPin(PIN);
  return rig;
}

function templateInfos(reply: CborMap | undefined) {
  const response = decodeMembers(BioEnrollmentResponse, reply!, 'enumerateEnrollments');
  return (response.templateInfos ?? []).map((info) => decodeMembers(TemplateInfo, info as never, 'templateInfo'));
}

describe('authenticatorBioEnrollment on the band', () => {
  it('reports the sensor without a token, on 0x09 and on the prototype 0x40', async () => {
    const rig = new DirectRig({ seed: 'bio' });
    for (const command of [Ctap2Command.BIO_ENROLLMENT, Ctap2Command.BIO_ENROLLMENT_PREVIEW]) {
      const { status, reply } = await bio(rig, Sub.GET_FINGERPRINT_SENSOR_INFO, { command });
      expect(status).toBe('CTAP2_OK');
      const info = decodeMembers(BioEnrollmentResponse, reply!, 'sensor info');
      expect(info.modality).toBe(BioModality.FINGERPRINT);
      expect(info.fingerprintKind).toBe(FingerprintKind.TOUCH);
      // The band's own enrollment takes 6 good touches (docs/band.md).
      expect(info.maxCaptureSamplesRequiredForEnroll).toBe(6);
      expect(info.maxTemplateFriendlyName).toBe(12);
    }
  });

  it('getInfo says bioEnroll false on a wiped band, true once the wearer is enrolled, and uvModality fingerprint', async () => {
    const rig = new DirectRig({ seed: 'bio' });
    const client = clientOf(rig);
    const before = await client.getInfo();
    expect(before.options[OptionId.bioEnroll]).toBe(false);
    expect(before.options[OptionId.uvBioEnroll]).toBe(true);
    await enroll(rig);
    const reply = await rig.send(
      { command: Command.CBOR, payload: Uint8Array.of(Ctap2Command.GET_INFO) },
      rig.context(),
    );
    const raw = decodeMembers(AuthenticatorGetInfoResponse, decodeCanonical(reply.payload.subarray(1)), 'getInfo');
    expect(raw.uvModality).toBe(UvModality.FINGERPRINT_INTERNAL);
    expect((await client.getInfo()).options[OptionId.bioEnroll]).toBe(true);
  });

  it('lists the one template under a be token, renames it as the band label, and refuses without be', async () => {
    const rig = await enrolledWithPin();
    expect((await bio(rig, Sub.ENUMERATE_ENROLLMENTS)).status).toBe('CTAP2_ERR_PUAT_REQUIRED');
    const cm = await clientOf(rig).clientPin.getPinToken(PIN, { permissions: Permission.CREDENTIAL_MANAGEMENT });
    expect((await bio(rig, Sub.ENUMERATE_ENROLLMENTS, { token: cm })).status).toBe('CTAP2_ERR_PIN_AUTH_INVALID');

    const token = await beToken(rig);
    const listed = await bio(rig, Sub.ENUMERATE_ENROLLMENTS, { token });
    expect(listed.status).toBe('CTAP2_OK');
    const [info, ...rest] = templateInfos(listed.reply);
    expect(rest).toEqual([]);
    expect(info.templateId).toHaveLength(16);
    expect(info.templateFriendlyName).toBe('LEFT');

    const rename = (templateId: Uint8Array, name: string) =>
      bio(rig, Sub.SET_FRIENDLY_NAME, {
        token,
        subParams: new Map<number, unknown>([
          [1, templateId],
          [2, name],
        ]),
      });
    expect((await rename(info.templateId, 'Right index')).status).toBe('CTAP2_OK');
    // The friendly name is the band's label: what the band shows and GetState reports.
    expect(rig.band.getState().label).toBe('RIGHT INDEX');
    expect(templateInfos((await bio(rig, Sub.ENUMERATE_ENROLLMENTS, { token })).reply)[0]).toEqual({
      templateId: info.templateId,
      templateFriendlyName: 'RIGHT INDEX',
    });
    expect((await rename(info.templateId, 'much too long a name')).status).toBe('CTAP1_ERR_INVALID_LENGTH');
    expect((await rename(info.templateId, 'ÄÖ')).status).toBe('CTAP1_ERR_INVALID_PARAMETER');
    expect((await rename(new Uint8Array(16), 'X')).status).toBe('CTAP2_ERR_INVALID_OPTION');
    expect(rig.band.getState().label).toBe('RIGHT INDEX');

    // The template ID survives a reboot (it follows from the stored template).
    await rig.reboot();
    const again = await beToken(rig);
    expect(templateInfos((await bio(rig, Sub.ENUMERATE_ENROLLMENTS, { token: again })).reply)[0].templateId).toEqual(
      info.templateId,
    );
  });

  it("keeps a directory user's one template: enrollBegin is refused as full, removeEnrollment points to delete user data", async () => {
    const rig = await enrolledWithPin();
    const token = await beToken(rig);
    const [info] = templateInfos((await bio(rig, Sub.ENUMERATE_ENROLLMENTS, { token })).reply);
    expect((await bio(rig, Sub.ENROLL_BEGIN, { token })).status).toBe('CTAP2_ERR_FP_DATABASE_FULL');
    expect(
      (await bio(rig, Sub.REMOVE_ENROLLMENT, { token, subParams: new Map<number, unknown>([[1, info.templateId]]) }))
        .status,
    ).toBe('CTAP2_ERR_OPERATION_DENIED');
    expect(rig.band.enrolled).toBe(true);
    expect((await bio(rig, Sub.ENROLL_CAPTURE_NEXT_SAMPLE, { token })).status).toBe('CTAP2_ERR_MISSING_PARAMETER');
    expect(
      (await bio(rig, Sub.ENROLL_CAPTURE_NEXT_SAMPLE, { token, subParams: new Map([[1, info.templateId]]) })).status,
    ).toBe('CTAP2_ERR_INVALID_OPTION');
    expect((await bio(rig, Sub.CANCEL_CURRENT_ENROLLMENT, { token })).status).toBe('CTAP2_ERR_INVALID_OPTION');

    // Delete user data on the band removes the template: nothing to list, and the PIN went with the FIDO2 state.
    await wipeOnBand(rig);
    await clientOf(rig).clientPin.setPin(PIN);
    const fresh = await beToken(rig);
    expect((await bio(rig, Sub.ENUMERATE_ENROLLMENTS, { token: fresh })).status).toBe('CTAP2_ERR_INVALID_OPTION');
    // Off the wrist (on the charger) the wearer cannot be enrolled: the capture on the worn wrist is the presence.
    expect((await bio(rig, Sub.ENROLL_BEGIN, { token: fresh })).status).toBe('CTAP2_ERR_OPERATION_DENIED');
    expect(rig.band.state).toBe('BAND_STATE_UNENROLLED');
  });

  it('answers bad requests with the spec statuses', async () => {
    const rig = await enrolledWithPin();
    const send = async (params: Map<number, unknown>) => {
      const request = Uint8Array.of(Ctap2Command.BIO_ENROLLMENT, ...encodeCanonical(params as never));
      return (await rig.send({ command: Command.CBOR, payload: request }, rig.context())).payload[0];
    };
    expect(await send(new Map([[6, true]]))).toBe(CtapStatus.CTAP2_OK);
    expect(await send(new Map([[1, BioModality.FINGERPRINT]]))).toBe(CtapStatus.CTAP2_ERR_MISSING_PARAMETER);
    expect(await send(new Map([[2, Sub.GET_FINGERPRINT_SENSOR_INFO]]))).toBe(CtapStatus.CTAP2_ERR_MISSING_PARAMETER);
    expect(
      await send(
        new Map([
          [1, 9],
          [2, Sub.GET_FINGERPRINT_SENSOR_INFO],
        ]),
      ),
    ).toBe(CtapStatus.CTAP2_ERR_UNSUPPORTED_OPTION);
    expect(
      await send(
        new Map([
          [1, BioModality.FINGERPRINT],
          [2, 0x7f],
        ]),
      ),
    ).toBe(CtapStatus.CTAP2_ERR_INVALID_SUBCOMMAND);
    expect(
      await send(
        new Map<number, unknown>([
          [1, BioModality.FINGERPRINT],
          [2, Sub.ENUMERATE_ENROLLMENTS],
          [5, new Uint8Array(32)],
        ]),
      ),
    ).toBe(CtapStatus.CTAP2_ERR_MISSING_PARAMETER);
  });
});

const OTHER_FINGER = 'tw-user9/left-thumb';

/** A request context that tells when the band first asks for the user (KEEPALIVE UPNEEDED) and can be cancelled. */
function waitingContext(rig: DirectRig) {
  const controller = new AbortController();
  let asked!: () => void;
  const upNeeded = new Promise<void>((resolve) => (asked = resolve));
  const keepalives: number[] = [];
  const ctx: DeviceContext = {
    signal: controller.signal,
    keepalive: (status) => {
      keepalives.push(status);
      rig.keepalives.push(status);
      if (status === 2) asked();
    },
  };
  return { ctx, upNeeded, keepalives, cancel: () => controller.abort() };
}

/** One sample: the request is sent, the band asks for a finger, the finger touches (as `how` says). */
async function sampled(
  rig: DirectRig,
  subCommand: number,
  token: PinUvAuthToken,
  subParams: Map<number, unknown>,
  touch: () => Promise<void>,
) {
  const waiting = waitingContext(rig);
  const pending = bio(rig, subCommand, { token, subParams, ctx: waiting.ctx });
  await waiting.upNeeded;
  await touch();
  const { status, reply } = await pending;
  expect(status).toBe('CTAP2_OK');
  const response = decodeMembers(BioEnrollmentResponse, reply!, 'sample');
  return { ...response, keepalives: waiting.keepalives };
}

/** An unenrolled band, worn, with a PIN and a be token: what a platform starts enrolling from. */
async function blankWornWithPin(options: { autoPresence?: boolean } = {}) {
  const rig = new DirectRig({ seed: 'bio-ctap', ...options });
  await rig.wrist(true);
  await clientOf(rig).clientPin.setPin(PIN);
  return { rig, token: await beToken(rig) };
}

/** Enrolls FINGER over CTAP with six good touches; returns the template ID. */
async function enrollOverCtap(rig: DirectRig, token: PinUvAuthToken): Promise<Uint8Array> {
  const first = await sampled(rig, Sub.ENROLL_BEGIN, token, new Map(), () => rig.touch(FINGER));
  const templateId = first.templateId!;
  for (let remaining = first.remainingSamples!; remaining > 0;) {
    const next = await sampled(rig, Sub.ENROLL_CAPTURE_NEXT_SAMPLE, token, new Map([[1, templateId]]), () =>
      rig.touch(FINGER),
    );
    remaining = next.remainingSamples!;
  }
  return templateId;
}

describe('enrolling the wearer over CTAP (authenticatorBioEnrollment enrollBegin / enrollCaptureNextSample)', () => {
  it('captures samples with the band pipeline: poor quality and another finger are reported, six good ones store a local user', async () => {
    const { rig, token } = await blankWornWithPin({ autoPresence: true });
    const client = clientOf(rig);
    const before = await client.getInfo();
    expect(before.options[OptionId.bioEnroll]).toBe(false);
    expect(before.options[OptionId.uv]).toBe(false);

    const begin = await sampled(rig, Sub.ENROLL_BEGIN, token, new Map([[3, 10_000]]), () =>
      rig.touch(FINGER, { poorQuality: true }),
    );
    expect(begin.lastEnrollSampleStatus).toBe(EnrollSampleStatus.CTAP2_ENROLL_FEEDBACK_FP_POOR_QUALITY);
    expect(begin.remainingSamples).toBe(6);
    expect(begin.templateId).toHaveLength(16);
    expect(begin.keepalives.every((s) => s === 2)).toBe(true);
    expect(rig.band.state).toBe('BAND_STATE_CAPTURING');
    const templateId = begin.templateId!;
    const next = (touch: () => Promise<void>) =>
      sampled(rig, Sub.ENROLL_CAPTURE_NEXT_SAMPLE, token, new Map([[1, templateId]]), touch);

    expect(await next(() => rig.touch(FINGER))).toMatchObject({ lastEnrollSampleStatus: 0, remainingSamples: 5 });
    // A finger other than the first good one cannot join the template.
    expect(await next(() => rig.touch(OTHER_FINGER))).toMatchObject({
      lastEnrollSampleStatus: EnrollSampleStatus.CTAP2_ENROLL_FEEDBACK_FP_MERGE_FAILURE,
      remainingSamples: 5,
    });
    // A touch while no request asks for a sample is not a sample.
    await rig.touch(FINGER);
    for (const remaining of [4, 3, 2, 1]) {
      expect(await next(() => rig.touch(FINGER))).toMatchObject({
        lastEnrollSampleStatus: 0,
        remainingSamples: remaining,
      });
      expect(rig.band.enrolled).toBe(false);
    }
    const last = await next(() => rig.touch(FINGER));
    expect(last).toMatchObject({ lastEnrollSampleStatus: 0, remainingSamples: 0 });

    // The band now holds a local user; it shows SUCCESS, vibrates twice, and asks the wearer to authenticate.
    const state = rig.band.getState();
    expect(state).toMatchObject({ enrolled: true, localUser: true, state: 'BAND_STATE_AUTHENTICATION_REQUIRED' });
    const hex = Buffer.from(templateId.subarray(0, 4)).toString('hex');
    expect(state.userName).toBe(`local-${hex}`);
    expect(state.label).toBe(`LOCAL-${hex.slice(0, 6).toUpperCase()}`);
    expect(rig.band.screen).toBe('SCREEN_SUCCESS');
    expect(eventsOf(rig.events, 'vibrated').at(-1)).toEqual({ count: 2 });
    const progress = eventsOf(rig.events, 'captureProgress');
    expect(progress.map((p) => p.rejected)).toEqual([true, false, true, false, false, false, false, false]);

    const after = await client.getInfo();
    expect(after.options[OptionId.bioEnroll]).toBe(true);
    expect(after.options[OptionId.uv]).toBe(true);
    const [info] = templateInfos((await bio(rig, Sub.ENUMERATE_ENROLLMENTS, { token })).reply);
    expect(info).toEqual({ templateId, templateFriendlyName: state.label });

    // The band's matcher checks the enrolled finger: another one is NO MATCH, the enrolled one authenticates.
    await rig.advance(2_000);
    await rig.touch(OTHER_FINGER);
    await rig.advance(1_000);
    expect(rig.band.state).toBe('BAND_STATE_AUTHENTICATION_REQUIRED');
    expect(rig.band.userVerified).toBe(false);
    await rig.advance(2_000);
    await authenticate(rig);
    expect(rig.band.userVerified).toBe(true);

    // The local user survives a reboot (and the template ID with it).
    await rig.reboot();
    expect(rig.band.getState()).toMatchObject({ enrolled: true, localUser: true, userName: `local-${hex}` });
    const again = await beToken(rig);
    expect(templateInfos((await bio(rig, Sub.ENUMERATE_ENROLLMENTS, { token: again })).reply)[0].templateId).toEqual(
      templateId,
    );
    expect((await bio(rig, Sub.ENROLL_BEGIN, { token: again })).status).toBe('CTAP2_ERR_FP_DATABASE_FULL');
  });

  it("refuses enrollBegin without a be token, off the wrist, and during the band's own enrollment", async () => {
    const { rig, token } = await blankWornWithPin();
    expect((await bio(rig, Sub.ENROLL_BEGIN)).status).toBe('CTAP2_ERR_PUAT_REQUIRED');
    await rig.call('startEnrollment', {});
    expect((await bio(rig, Sub.ENROLL_BEGIN, { token })).status).toBe('CTAP2_ERR_OPERATION_DENIED');
    expect(rig.band.state).toBe('BAND_STATE_AWAITING_SETUP_CODE');
    await rig.call('cancelEnrollment', {});
    await rig.wrist(false);
    expect((await bio(rig, Sub.ENROLL_BEGIN, { token })).status).toBe('CTAP2_ERR_OPERATION_DENIED');
    expect(rig.band.state).toBe('BAND_STATE_UNENROLLED');
    // The band protocol cannot enter a CTAP enrollment: start_capture and complete_enrollment stay refused.
    await rig.wrist(true);
    const waiting = waitingContext(rig);
    const pending = bio(rig, Sub.ENROLL_BEGIN, { token, ctx: waiting.ctx });
    await waiting.upNeeded;
    expect((await rig.refusal('startCapture', {})).code).toBe('ERROR_CODE_WRONG_STATE');
    expect((await rig.refusal('startEnrollment', {})).code).toBe('ERROR_CODE_WRONG_STATE');
    await rig.touch(FINGER);
    expect((await pending).status).toBe('CTAP2_OK');
    expect((await rig.refusal('completeEnrollment', { userName: 'tw-user2' })).code).toBe('ERROR_CODE_WRONG_STATE');
  });

  it('ends the enrollment with nothing stored on cancelCurrentEnrollment, CTAPHID CANCEL, timeout, wrist off and cancel_enrollment', async () => {
    const { rig, token } = await blankWornWithPin();
    const begin = async () => {
      const first = await sampled(rig, Sub.ENROLL_BEGIN, token, new Map(), () => rig.touch(FINGER));
      expect(rig.band.state).toBe('BAND_STATE_CAPTURING');
      return new Map<number, unknown>([[1, first.templateId!]]);
    };
    const captureNext = async (
      subParams: Map<number, unknown>,
      act: (w: ReturnType<typeof waitingContext>) => Promise<void>,
    ) => {
      const waiting = waitingContext(rig);
      const pending = bio(rig, Sub.ENROLL_CAPTURE_NEXT_SAMPLE, { token, subParams, ctx: waiting.ctx });
      await waiting.upNeeded;
      await act(waiting);
      return (await pending).status;
    };
    const nothingStored = async (subParams: Map<number, unknown>) => {
      expect(rig.band.state).toBe('BAND_STATE_UNENROLLED');
      expect(rig.band.getState()).toMatchObject({ enrolled: false, localUser: false, userName: '' });
      expect((await bio(rig, Sub.ENROLL_CAPTURE_NEXT_SAMPLE, { token, subParams })).status).toBe(
        'CTAP2_ERR_INVALID_OPTION',
      );
    };

    // cancelCurrentEnrollment carries no token (python-fido2 and libfido2 send none).
    let params = await begin();
    expect((await bio(rig, Sub.CANCEL_CURRENT_ENROLLMENT)).status).toBe('CTAP2_OK');
    await nothingStored(params);
    expect((await bio(rig, Sub.CANCEL_CURRENT_ENROLLMENT)).status).toBe('CTAP2_ERR_INVALID_OPTION');

    params = await begin();
    expect(await captureNext(params, async (w) => w.cancel())).toBe('CTAP2_ERR_KEEPALIVE_CANCEL');
    await nothingStored(params);

    params = await begin();
    const timed = new Map(params).set(3, 5_000);
    expect(await captureNext(timed, () => rig.advance(5_000))).toBe('CTAP2_ERR_USER_ACTION_TIMEOUT');
    await nothingStored(params);

    // Without timeoutMilliseconds the band waits 30 s.
    params = await begin();
    expect(
      await captureNext(params, async () => {
        await rig.advance(29_999);
        expect(rig.band.state).toBe('BAND_STATE_CAPTURING');
        await rig.advance(1);
      }),
    ).toBe('CTAP2_ERR_USER_ACTION_TIMEOUT');

    params = await begin();
    expect(await captureNext(params, () => rig.wrist(false))).toBe('CTAP2_ERR_OPERATION_DENIED');
    await nothingStored(params);
    await rig.wrist(true);

    params = await begin();
    expect(
      await captureNext(params, async () => {
        await rig.call('cancelEnrollment', {});
      }),
    ).toBe('CTAP2_ERR_OPERATION_DENIED');
    await nothingStored(params);

    // A templateId that is not the enrollment in progress is refused, and the enrollment goes on.
    params = await begin();
    expect(
      (await bio(rig, Sub.ENROLL_CAPTURE_NEXT_SAMPLE, { token, subParams: new Map([[1, new Uint8Array(16)]]) })).status,
    ).toBe('CTAP2_ERR_INVALID_OPTION');
    expect(rig.band.state).toBe('BAND_STATE_CAPTURING');
    // enrollBegin again starts afresh with a new template ID.
    const restarted = await begin();
    expect(restarted.get(1)).not.toEqual(params.get(1));
    expect((await bio(rig, Sub.ENROLL_CAPTURE_NEXT_SAMPLE, { token, subParams: params })).status).toBe(
      'CTAP2_ERR_INVALID_OPTION',
    );
    expect(rig.band.state).toBe('BAND_STATE_CAPTURING');
  });

  it('a power cut in the commit of the last sample leaves the band unenrolled and keeps the PIN', async () => {
    const { rig, token } = await blankWornWithPin();
    const first = await sampled(rig, Sub.ENROLL_BEGIN, token, new Map(), () => rig.touch(FINGER));
    const params = new Map<number, unknown>([[1, first.templateId!]]);
    for (let i = 0; i < 4; i++)
      await sampled(rig, Sub.ENROLL_CAPTURE_NEXT_SAMPLE, token, params, () => rig.touch(FINGER));
    const waiting = waitingContext(rig);
    const pending = bio(rig, Sub.ENROLL_CAPTURE_NEXT_SAMPLE, { token, subParams: params, ctx: waiting.ctx });
    await waiting.upNeeded;
    await rig.cutPower(1);
    await rig.touch(FINGER);
    expect(rig.band.isPowered).toBe(false);
    // The request does not hang: the dead band answers nothing the platform could take for success.
    expect((await pending).status).not.toBe('CTAP2_OK');
    await rig.reboot();
    expect(rig.band.getState()).toMatchObject({ enrolled: false, localUser: false, state: 'BAND_STATE_UNENROLLED' });
    expect((await clientOf(rig).getInfo()).options[OptionId.clientPin]).toBe(true);
    // The enrollment can be done again from the start.
    await enrollOverCtap(rig, await beToken(rig));
    expect(rig.band.getState().localUser).toBe(true);
  });

  it('removeEnrollment removes a local template, keeps the FIDO2 credentials and PIN, and the band can be enrolled again', async () => {
    const { rig, token } = await blankWornWithPin({ autoPresence: true });
    const templateId = await enrollOverCtap(rig, token);
    await rig.advance(2_000);
    await authenticate(rig);
    const client = clientOf(rig);
    await client.makeCredential({
      challenge: new Uint8Array(32),
      origin: 'https://bio.example',
      rp: { id: 'bio.example', name: 'bio' },
      user: { id: Uint8Array.of(1), name: 'u', displayName: 'u' },
      options: { rk: true, uv: true },
    });
    expect(rig.band.getState().fidoCredentialCount).toBe(1);

    const removeToken = await beToken(rig);
    const removed = await bio(rig, Sub.REMOVE_ENROLLMENT, {
      token: removeToken,
      subParams: new Map<number, unknown>([[1, templateId]]),
    });
    expect(removed.status).toBe('CTAP2_OK');
    expect(rig.band.getState()).toMatchObject({
      enrolled: false,
      localUser: false,
      userName: '',
      state: 'BAND_STATE_UNENROLLED',
      fidoCredentialCount: 1,
    });
    const info = await client.getInfo();
    expect(info.options[OptionId.bioEnroll]).toBe(false);
    expect(info.options[OptionId.uv]).toBe(false);
    expect(info.options[OptionId.clientPin]).toBe(true);
    expect((await bio(rig, Sub.ENUMERATE_ENROLLMENTS, { token: removeToken })).status).toBe('CTAP2_ERR_INVALID_OPTION');
    // The removal is one commit and survives a reboot.
    await rig.reboot();
    expect(rig.band.getState()).toMatchObject({ enrolled: false, fidoCredentialCount: 1 });
    // The credential is unusable without an enrolled wearer; a platform with the PIN may enroll a finger again.
    await rig.wrist(true);
    const again = await enrollOverCtap(rig, await beToken(rig));
    expect(again).not.toEqual(templateId);
    expect(rig.band.getState()).toMatchObject({ localUser: true, fidoCredentialCount: 1 });
  });

  it("the band's own enrollment after a removed local wearer starts the FIDO2 state afresh", async () => {
    const { rig, token } = await blankWornWithPin({ autoPresence: true });
    const templateId = await enrollOverCtap(rig, token);
    await rig.advance(2_000);
    await authenticate(rig);
    await clientOf(rig).makeCredential({
      challenge: new Uint8Array(32),
      origin: 'https://bio.example',
      rp: { id: 'bio.example', name: 'bio' },
      user: { id: Uint8Array.of(1), name: 'u', displayName: 'u' },
      options: { rk: true, uv: true },
    });
    const removeToken = await beToken(rig);
    await bio(rig, Sub.REMOVE_ENROLLMENT, { token: removeToken, subParams: new Map([[1, templateId]]) });
    expect(rig.band.getState().fidoCredentialCount).toBe(1);
    // A directory user enrolled with the setup code never learned the PIN: they inherit neither it nor the key.
    await enroll(rig);
    expect(rig.band.getState()).toMatchObject({ userName: 'tw-user2', localUser: false, fidoCredentialCount: 0 });
    expect((await clientOf(rig).getInfo()).options[OptionId.clientPin]).toBe(false);
  });
});
