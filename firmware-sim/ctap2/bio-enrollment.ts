import { encodeCanonical, type CborInput, type CborMap } from '../../proto/ctap2/canonical-cbor.js';
import {
  BioEnrollmentRequest,
  BioEnrollmentResponse,
  BioEnrollmentSubCommand,
  BioEnrollmentSubCommandParams,
  BioModality,
  BIO_ENROLLMENT_SUB_COMMAND_NAMES,
  FingerprintKind,
  TemplateInfo,
} from '../../proto/ctap2/bio-enrollment.js';
import type { DeviceContext } from '../band-device.js';
import { Permission } from '../../proto/ctap2/client-pin.js';
import { parseRequestMembers } from '../../proto/ctap2/ctap-failure.js';
import { encodeMembers, type Decoded } from '../../proto/ctap2/members.js';
import { bytesEqual } from './bytes.js';
import type { CommandContext } from './command-context.js';
import { CtapStatus, fail } from './ctap-failure.js';
import type { BioSampleOutcome, BioSensor, BioTemplate } from './env.js';
import { protocolFor, verifyPinUvAuthParam } from './pin-uv-auth-param.js';

const Sub = BioEnrollmentSubCommand;
const WHERE = 'authenticatorBioEnrollment';

type SubParams = Decoded<typeof BioEnrollmentSubCommandParams>;

function requiredSub<K extends keyof SubParams>(subParams: SubParams | undefined, name: K): NonNullable<SubParams[K]> {
  const value = subParams?.[name];
  if (value === undefined) {
    const key = BioEnrollmentSubCommandParams[name].key;
    fail(
      CtapStatus.CTAP2_ERR_MISSING_PARAMETER,
      `${WHERE} subCommandParams member 0x${key.toString(16).padStart(2, '0')} (${name}) is required but absent`,
    );
  }
  return value;
}

/** The enrolled template named by subCommandParams.templateId; an unknown ID is CTAP2_ERR_INVALID_OPTION (§6.7.7-8). */
function namedTemplate(sensor: BioSensor, subParams: SubParams | undefined): BioTemplate {
  const templateId = requiredSub(subParams, 'templateId');
  const enrolled = sensor.enrollment();
  if (enrolled === undefined || !bytesEqual(enrolled.templateId, templateId))
    fail(
      CtapStatus.CTAP2_ERR_INVALID_OPTION,
      `${WHERE}: no enrolled fingerprint has that templateId; list them with enumerateEnrollments`,
    );
  return enrolled;
}

/**
 * Waits for one sample (§6.7.4: enrollBegin and enrollCaptureNextSample) within the platform's timeout, cut to
 * the sensor's maximum; how the wait ended becomes the spec's status.
 */
async function sample(
  sensor: BioSensor,
  device: DeviceContext,
  subParams: SubParams | undefined,
  name: string,
): Promise<{ status: number; remaining: number }> {
  const asked = subParams?.timeoutMilliseconds;
  const timeoutMs = Math.min(asked ?? sensor.sampleTimeoutMs.default, sensor.sampleTimeoutMs.max);
  const outcome: BioSampleOutcome = await sensor.nextSample(device, timeoutMs);
  switch (outcome.kind) {
    case 'sample':
      return { status: outcome.status, remaining: outcome.remaining };
    case 'timeout':
      return fail(
        CtapStatus.CTAP2_ERR_USER_ACTION_TIMEOUT,
        `${WHERE} ${name}: no finger on the sensor within ${timeoutMs} ms; the enrollment ended, begin again`,
      );
    case 'cancelled':
      return fail(CtapStatus.CTAP2_ERR_KEEPALIVE_CANCEL, `${WHERE} ${name}: cancelled; the enrollment ended`);
    case 'ended':
      return fail(
        CtapStatus.CTAP2_ERR_OPERATION_DENIED,
        `${WHERE} ${name}: the band ended the enrollment (taken off the wrist, or cancelled on the band); begin again`,
      );
  }
}

/**
 * authenticatorBioEnrollment (CTAP 2.1 §6.7; also 0x40, the prototype number) for a band that holds one fingerprint
 * template (docs/band.md, "Fingerprint management over CTAP"): the wearer's, enrolled with the band's setup code
 * for a directory user, or over CTAP here as a local user. getFingerprintSensorInfo and cancelCurrentEnrollment
 * need no token; every other sub-command needs a pinUvAuthParam over modality || subCommand || subCommandParams from
 * a token with the `be` permission.
 */
export async function bioEnrollment(
  c: CommandContext,
  sensor: BioSensor,
  request: CborMap,
): Promise<CborInput | undefined> {
  const params = parseRequestMembers(BioEnrollmentRequest, request, WHERE);
  // §6.7.1: getModality alone asks which modality the authenticator has.
  if (params.getModality === true) return encodeMembers(BioEnrollmentResponse, { modality: BioModality.FINGERPRINT });
  const { modality, subCommand, subCommandParams: subParamsMap } = params;
  if (subCommand === undefined)
    fail(CtapStatus.CTAP2_ERR_MISSING_PARAMETER, `${WHERE} needs subCommand (member 0x02) unless getModality is set`);
  if (modality === undefined)
    fail(CtapStatus.CTAP2_ERR_MISSING_PARAMETER, `${WHERE} needs modality (member 0x01) with a subCommand`);
  if (modality !== BioModality.FINGERPRINT)
    fail(CtapStatus.CTAP2_ERR_UNSUPPORTED_OPTION, `${WHERE}: modality ${modality} is not supported; use fingerprint`);
  const name = BIO_ENROLLMENT_SUB_COMMAND_NAMES[subCommand];
  if (name === undefined)
    fail(CtapStatus.CTAP2_ERR_INVALID_SUBCOMMAND, `${WHERE} sub-command 0x${subCommand.toString(16)} is not supported`);
  const subParams =
    subParamsMap === undefined
      ? undefined
      : parseRequestMembers(BioEnrollmentSubCommandParams, subParamsMap, `${WHERE} subCommandParams`);

  // §6.7.5: cancelCurrentEnrollment carries no pinUvAuthParam.
  if (subCommand === Sub.CANCEL_CURRENT_ENROLLMENT) {
    if (!sensor.cancelEnrollment())
      fail(CtapStatus.CTAP2_ERR_INVALID_OPTION, `${WHERE} cancelCurrentEnrollment: no enrollment is in progress`);
    return undefined;
  }

  if (subCommand === Sub.GET_FINGERPRINT_SENSOR_INFO) {
    return encodeMembers(BioEnrollmentResponse, {
      modality: BioModality.FINGERPRINT,
      fingerprintKind: FingerprintKind.TOUCH,
      maxCaptureSamplesRequiredForEnroll: sensor.samplesRequired,
      maxTemplateFriendlyName: sensor.maxFriendlyNameBytes,
    });
  }

  if (params.pinUvAuthParam === undefined)
    fail(
      CtapStatus.CTAP2_ERR_PUAT_REQUIRED,
      `${WHERE} ${name} needs a pinUvAuthParam from a token with the be permission`,
    );
  const protocol = protocolFor(params.pinUvAuthProtocol, WHERE);
  // The message is modality || subCommand || subCommandParams (canonical CBOR: the decoder accepted only canonical
  // input, so re-encoding reproduces the bytes the platform authenticated).
  const encodedParams = subParamsMap === undefined ? new Uint8Array(0) : encodeCanonical(subParamsMap);
  const message = new Uint8Array(2 + encodedParams.length);
  message[0] = modality;
  message[1] = subCommand;
  message.set(encodedParams, 2);
  verifyPinUvAuthParam(c, protocol, message, params.pinUvAuthParam, Permission.BIO_ENROLLMENT, `${WHERE} ${name}`);

  switch (subCommand) {
    case Sub.ENUMERATE_ENROLLMENTS: {
      const enrolled = sensor.enrollment();
      // §6.7.6: no enrollments is CTAP2_ERR_INVALID_OPTION.
      if (enrolled === undefined)
        fail(CtapStatus.CTAP2_ERR_INVALID_OPTION, `${WHERE} enumerateEnrollments: no fingerprint is enrolled`);
      return encodeMembers(BioEnrollmentResponse, {
        templateInfos: [
          encodeMembers(TemplateInfo, { templateId: enrolled.templateId, templateFriendlyName: enrolled.friendlyName }),
        ],
      });
    }
    case Sub.SET_FRIENDLY_NAME: {
      namedTemplate(sensor, subParams);
      const renamed = sensor.rename(requiredSub(subParams, 'templateFriendlyName'));
      if (!renamed.ok)
        fail(
          renamed.problem === 'length' ? CtapStatus.CTAP1_ERR_INVALID_LENGTH : CtapStatus.CTAP1_ERR_INVALID_PARAMETER,
          `${WHERE} setFriendlyName: ${renamed.detail}`,
        );
      return undefined;
    }
    case Sub.ENROLL_BEGIN: {
      const begun = sensor.beginEnrollment();
      if (!begun.ok)
        fail(
          begun.problem === 'full' ? CtapStatus.CTAP2_ERR_FP_DATABASE_FULL : CtapStatus.CTAP2_ERR_OPERATION_DENIED,
          `${WHERE} enrollBegin: ${begun.detail}`,
        );
      // §6.7.4: enrollBegin captures the first sample too.
      const first = await sample(sensor, c.device, subParams, name);
      return encodeMembers(BioEnrollmentResponse, {
        templateId: begun.templateId,
        lastEnrollSampleStatus: first.status,
        remainingSamples: first.remaining,
      });
    }
    case Sub.ENROLL_CAPTURE_NEXT_SAMPLE: {
      const templateId = requiredSub(subParams, 'templateId');
      const enrolling = sensor.enrollingTemplateId();
      // §6.7.4: no enrollment in progress, or another template's, is CTAP2_ERR_INVALID_OPTION.
      if (enrolling === undefined)
        fail(CtapStatus.CTAP2_ERR_INVALID_OPTION, `${WHERE} ${name}: no enrollment is in progress; begin one`);
      if (!bytesEqual(enrolling, templateId))
        fail(
          CtapStatus.CTAP2_ERR_INVALID_OPTION,
          `${WHERE} ${name}: templateId is not the enrollment in progress; use the one enrollBegin returned`,
        );
      const next = await sample(sensor, c.device, subParams, name);
      return encodeMembers(BioEnrollmentResponse, {
        lastEnrollSampleStatus: next.status,
        remainingSamples: next.remaining,
      });
    }
    case Sub.REMOVE_ENROLLMENT: {
      namedTemplate(sensor, subParams);
      const removed = sensor.removeEnrollment();
      if (!removed.ok) fail(CtapStatus.CTAP2_ERR_OPERATION_DENIED, `${WHERE} removeEnrollment: ${removed.detail}`);
      return undefined;
    }
    default:
      fail(CtapStatus.CTAP2_ERR_INVALID_SUBCOMMAND, `${WHERE} sub-command ${name} is not supported`);
  }
}
