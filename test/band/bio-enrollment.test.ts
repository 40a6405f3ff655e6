import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../firmware-sim/ctap2/index.js';
import { Fido2Client, Permission, type PinUvAuthToken, type Transact } from '../../host/fido2/index.js';
import {
  BioEnrollmentRequest,
  BioEnrollmentResponse,
  BioEnrollmentSubCommand as Sub,
  BioModality,
  FingerprintKind,
  TemplateInfo,
} from '../../proto/ctap2/bio-enrollment.js';
import { Ctap2Command } from '../../proto/ctap2/command.js';
import { AuthenticatorGetInfoResponse, OptionId, UvModality } from '../../proto/ctap2/get-info.js';
import { decodeMembers, encodeMembers } from '../../proto/ctap2/members.js';
import { CtapStatus, ctapStatusName } from '../../proto/ctap2/status.js';
import { Command } from '../../transport/index.js';
import { DirectRig, enroll, wipeOnBand } from './harness.js';

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
  options: { token?: PinUvAuthToken; subParams?: Map<number, unknown>; command?: number } = {},
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
  const reply = await rig.send({ command: Command.CBOR, payload: request }, rig.context());
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

  it('keeps the one template: enrollBegin is refused as full, removeEnrollment points to delete user data', async () => {
    const rig = await enrolledWithPin();
    const token = await beToken(rig);
    const [info] = templateInfos((await bio(rig, Sub.ENUMERATE_ENROLLMENTS, { token })).reply);
    expect((await bio(rig, Sub.ENROLL_BEGIN, { token })).status).toBe('CTAP2_ERR_FP_DATABASE_FULL');
    expect(
      (await bio(rig, Sub.REMOVE_ENROLLMENT, { token, subParams: new Map<number, unknown>([[1, info.templateId]]) }))
        .status,
    ).toBe('CTAP2_ERR_OPERATION_DENIED');
    expect(rig.band.enrolled).toBe(true);
    expect((await bio(rig, Sub.ENROLL_CAPTURE_NEXT_SAMPLE, { token })).status).toBe('CTAP2_ERR_INVALID_OPTION');
    expect((await bio(rig, Sub.CANCEL_CURRENT_ENROLLMENT, { token })).status).toBe('CTAP2_ERR_INVALID_OPTION');

    // Delete user data on the band removes the template: nothing to list, and the PIN went with the FIDO2 state.
    await wipeOnBand(rig);
    await clientOf(rig).clientPin.setPin(PIN);
    const fresh = await beToken(rig);
    expect((await bio(rig, Sub.ENUMERATE_ENROLLMENTS, { token: fresh })).status).toBe('CTAP2_ERR_INVALID_OPTION');
    expect((await bio(rig, Sub.ENROLL_BEGIN, { token: fresh })).status).toBe('CTAP2_ERR_OPERATION_DENIED');
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
