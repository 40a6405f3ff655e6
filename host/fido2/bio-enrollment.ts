import { encodeCanonical, type CborInput } from '../../proto/ctap2/canonical-cbor.js';
import {
  BioEnrollmentRequest,
  BioEnrollmentResponse,
  BioEnrollmentSubCommand,
  BioEnrollmentSubCommandParams,
  BioModality,
  EnrollSampleStatus,
  enrollSampleStatusName,
  TemplateInfo,
} from '../../proto/ctap2/bio-enrollment.js';
import { Ctap2Command } from '../../proto/ctap2/command.js';
import { encodeMembers, type Decoded } from '../../proto/ctap2/members.js';
import { CtapStatus } from '../../proto/ctap2/status.js';
import type { CtapChannel, TransactOptions } from './ctap-channel.js';
import { CtapError, Fido2ProtocolError } from './ctap-error.js';
import type { PinUvAuthToken } from './pin-uv-auth-token.js';
import { decodeReply } from './reply-fields.js';

const Sub = BioEnrollmentSubCommand;
type Response = Decoded<typeof BioEnrollmentResponse>;

/** getFingerprintSensorInfo (CTAP 2.1 §6.7). */
export interface FingerprintSensorInfo {
  modality: number;
  /** 1 touch, 2 swipe. */
  fingerprintKind: number;
  /** Good samples one enrollment takes at most. */
  maxCaptureSamplesRequiredForEnroll: number;
  /** The longest friendly name in bytes, when the authenticator says. */
  maxTemplateFriendlyName?: number;
}

/** One enrolled fingerprint template (enumerateEnrollments). */
export interface FingerprintTemplate {
  templateId: Uint8Array;
  friendlyName?: string;
}

/** One captured sample of an enrollment: what the sensor made of it and how many good ones are still needed. */
export interface EnrollSample {
  templateId: Uint8Array;
  /** lastEnrollSampleStatus (§6.7.3), e.g. 0 good, 7 poor quality. */
  status: number;
  /** Its CTAP2_ENROLL_FEEDBACK_* name. */
  statusName: string;
  good: boolean;
  remaining: number;
}

export interface EnrollOptions extends TransactOptions {
  /** How long the authenticator waits for each sample (timeoutMilliseconds); its default when absent. */
  sampleTimeoutMs?: number;
  /** Called after each sample, good or not. */
  onSample?: (sample: EnrollSample) => void;
  /** Samples to try before giving up (default 64): a sensor that never takes a good one does not loop forever. */
  maxSamples?: number;
}

/** Why a whole enrollment (`BioEnrollment.enroll`) stopped without a CTAP status to blame. */
export class BioEnrollmentError extends Error {
  override readonly name = 'BioEnrollmentError';
  constructor(
    readonly code: 'TOO_MANY_SAMPLES',
    message: string,
  ) {
    super(message);
  }
}

function required<K extends keyof Response>(response: Response, name: K, operation: string): NonNullable<Response[K]> {
  const value = response[name];
  if (value === undefined) throw new Fido2ProtocolError(`${operation}: the response lacks ${name}`);
  return value;
}

/**
 * authenticatorBioEnrollment (CTAP 2.1 §6.7) for a fingerprint authenticator: sensor info, enroll (sample by sample,
 * with progress), list, rename, remove. Every call but `sensorInfo` and `cancel` needs a token with the `be`
 * permission (`clientPin.getPinToken(pin, { permissions: Permission.BIO_ENROLLMENT })`). Use `Fido2Client.bio`.
 */
export class BioEnrollment {
  constructor(private readonly channel: CtapChannel) {}

  private async call(
    subCommand: number,
    options: { token?: PinUvAuthToken; subParams?: CborInput; operation: string; opts: TransactOptions },
  ): Promise<Response | undefined> {
    const modality = BioModality.FINGERPRINT;
    const { token, subParams, operation } = options;
    let pinUvAuthParam: Uint8Array | undefined;
    if (token) {
      // §6.7: the pinUvAuthParam is over modality || subCommand || subCommandParams.
      const encoded = subParams === undefined ? new Uint8Array(0) : encodeCanonical(subParams);
      const message = new Uint8Array(2 + encoded.length);
      message[0] = modality;
      message[1] = subCommand;
      message.set(encoded, 2);
      pinUvAuthParam = token.authenticate(message);
    }
    const params = encodeMembers(BioEnrollmentRequest, {
      modality,
      subCommand,
      subCommandParams: subParams,
      pinUvAuthProtocol: token?.protocol.version,
      pinUvAuthParam,
    });
    const reply = await this.channel.call(Ctap2Command.BIO_ENROLLMENT, params, operation, options.opts);
    return reply === undefined ? undefined : decodeReply(BioEnrollmentResponse, reply, operation);
  }

  /** getFingerprintSensorInfo: needs no token. */
  async sensorInfo(opts: TransactOptions = {}): Promise<FingerprintSensorInfo> {
    const operation = 'authenticatorBioEnrollment getFingerprintSensorInfo';
    const r = await this.call(Sub.GET_FINGERPRINT_SENSOR_INFO, { operation, opts });
    if (!r)
      throw new Fido2ProtocolError(`${operation}: the authenticator returned OK without the sensor's description`);
    return {
      modality: required(r, 'modality', operation),
      fingerprintKind: required(r, 'fingerprintKind', operation),
      maxCaptureSamplesRequiredForEnroll: required(r, 'maxCaptureSamplesRequiredForEnroll', operation),
      ...(r.maxTemplateFriendlyName !== undefined ? { maxTemplateFriendlyName: r.maxTemplateFriendlyName } : {}),
    };
  }

  /** enumerateEnrollments; an authenticator with none answers CTAP2_ERR_INVALID_OPTION, returned here as []. */
  async enumerate(token: PinUvAuthToken, opts: TransactOptions = {}): Promise<FingerprintTemplate[]> {
    const operation = 'authenticatorBioEnrollment enumerateEnrollments';
    let response: Response | undefined;
    try {
      response = await this.call(Sub.ENUMERATE_ENROLLMENTS, { token, operation, opts });
    } catch (error) {
      if (error instanceof CtapError && error.status === CtapStatus.CTAP2_ERR_INVALID_OPTION) return [];
      throw error;
    }
    if (!response) throw new Fido2ProtocolError(`${operation}: the authenticator returned OK without templateInfos`);
    return required(response, 'templateInfos', operation).map((info) => {
      const t = decodeReply(TemplateInfo, info, `${operation} templateInfo`);
      return {
        templateId: t.templateId,
        ...(t.templateFriendlyName !== undefined ? { friendlyName: t.templateFriendlyName } : {}),
      };
    });
  }

  /** setFriendlyName. */
  async rename(token: PinUvAuthToken, templateId: Uint8Array, name: string, opts: TransactOptions = {}): Promise<void> {
    const subParams = encodeMembers(BioEnrollmentSubCommandParams, { templateId, templateFriendlyName: name });
    await this.call(Sub.SET_FRIENDLY_NAME, {
      token,
      subParams,
      operation: 'authenticatorBioEnrollment setFriendlyName',
      opts,
    });
  }

  /** removeEnrollment. */
  async remove(token: PinUvAuthToken, templateId: Uint8Array, opts: TransactOptions = {}): Promise<void> {
    const subParams = encodeMembers(BioEnrollmentSubCommandParams, { templateId });
    await this.call(Sub.REMOVE_ENROLLMENT, {
      token,
      subParams,
      operation: 'authenticatorBioEnrollment removeEnrollment',
      opts,
    });
  }

  /** cancelCurrentEnrollment: needs no token; CTAP2_ERR_INVALID_OPTION when no enrollment is in progress. */
  async cancel(opts: TransactOptions = {}): Promise<void> {
    await this.call(Sub.CANCEL_CURRENT_ENROLLMENT, {
      operation: 'authenticatorBioEnrollment cancelCurrentEnrollment',
      opts,
    });
  }

  /** enrollBegin: starts an enrollment and captures its first sample (the user touches the sensor once). */
  async enrollBegin(
    token: PinUvAuthToken,
    options: { sampleTimeoutMs?: number } = {},
    opts: TransactOptions = {},
  ): Promise<EnrollSample> {
    const operation = 'authenticatorBioEnrollment enrollBegin';
    const subParams = encodeMembers(BioEnrollmentSubCommandParams, { timeoutMilliseconds: options.sampleTimeoutMs });
    const response = await this.call(Sub.ENROLL_BEGIN, {
      token,
      subParams: subParams.size === 0 ? undefined : subParams,
      operation,
      opts,
    });
    if (!response) throw new Fido2ProtocolError(`${operation}: the authenticator returned OK without a response map`);
    return sampleOf(required(response, 'templateId', operation), response, operation);
  }

  /** enrollCaptureNextSample for the enrollment `templateId` (from enrollBegin). */
  async captureNext(
    token: PinUvAuthToken,
    templateId: Uint8Array,
    options: { sampleTimeoutMs?: number } = {},
    opts: TransactOptions = {},
  ): Promise<EnrollSample> {
    const operation = 'authenticatorBioEnrollment enrollCaptureNextSample';
    const subParams = encodeMembers(BioEnrollmentSubCommandParams, {
      templateId,
      timeoutMilliseconds: options.sampleTimeoutMs,
    });
    const response = await this.call(Sub.ENROLL_CAPTURE_NEXT_SAMPLE, { token, subParams, operation, opts });
    if (!response) throw new Fido2ProtocolError(`${operation}: the authenticator returned OK without a response map`);
    return sampleOf(templateId, response, operation);
  }

  /**
   * A whole enrollment: enrollBegin, then enrollCaptureNextSample until no sample remains, reporting each sample
   * (`onSample`, e.g. to tell the user to lift and touch again). Resolves with the new template's ID. A failure
   * (a CtapError such as CTAP2_ERR_USER_ACTION_TIMEOUT, an abort, a transport error) leaves no enrollment in
   * progress: the authenticator ends its own on a timeout or cancel, and this sends cancelCurrentEnrollment otherwise.
   */
  async enroll(token: PinUvAuthToken, options: EnrollOptions = {}): Promise<Uint8Array> {
    const { sampleTimeoutMs, onSample, maxSamples = 64, ...opts } = options;
    const timing = sampleTimeoutMs !== undefined ? { sampleTimeoutMs } : {};
    let sample = await this.enrollBegin(token, timing, opts);
    onSample?.(sample);
    try {
      for (let taken = 1; sample.remaining > 0; taken++) {
        if (taken >= maxSamples)
          throw new BioEnrollmentError(
            'TOO_MANY_SAMPLES',
            `fingerprint enrollment took ${taken} samples and still needs ${sample.remaining} good one(s); the enrollment was cancelled: clean the sensor and enroll again`,
          );
        sample = await this.captureNext(token, sample.templateId, timing, opts);
        onSample?.(sample);
      }
    } catch (error) {
      await this.cancel({ timeoutMs: opts.timeoutMs }).catch(() => undefined);
      throw error;
    }
    return sample.templateId;
  }
}

function sampleOf(templateId: Uint8Array, response: Response, operation: string): EnrollSample {
  const status = required(response, 'lastEnrollSampleStatus', operation);
  return {
    templateId,
    status,
    statusName: enrollSampleStatusName(status),
    good: status === EnrollSampleStatus.CTAP2_ENROLL_FEEDBACK_FP_GOOD,
    remaining: required(response, 'remainingSamples', operation),
  };
}
