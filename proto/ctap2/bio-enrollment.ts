import { members } from './members.js';

/** authenticatorBioEnrollment (CTAP 2.1 §6.7) sub-commands. */
export const BioEnrollmentSubCommand = {
  ENROLL_BEGIN: 0x01,
  ENROLL_CAPTURE_NEXT_SAMPLE: 0x02,
  CANCEL_CURRENT_ENROLLMENT: 0x03,
  ENUMERATE_ENROLLMENTS: 0x04,
  SET_FRIENDLY_NAME: 0x05,
  REMOVE_ENROLLMENT: 0x06,
  GET_FINGERPRINT_SENSOR_INFO: 0x07,
} as const;

export const BIO_ENROLLMENT_SUB_COMMAND_NAMES: Readonly<Record<number, string>> = {
  [BioEnrollmentSubCommand.ENROLL_BEGIN]: 'enrollBegin',
  [BioEnrollmentSubCommand.ENROLL_CAPTURE_NEXT_SAMPLE]: 'enrollCaptureNextSample',
  [BioEnrollmentSubCommand.CANCEL_CURRENT_ENROLLMENT]: 'cancelCurrentEnrollment',
  [BioEnrollmentSubCommand.ENUMERATE_ENROLLMENTS]: 'enumerateEnrollments',
  [BioEnrollmentSubCommand.SET_FRIENDLY_NAME]: 'setFriendlyName',
  [BioEnrollmentSubCommand.REMOVE_ENROLLMENT]: 'removeEnrollment',
  [BioEnrollmentSubCommand.GET_FINGERPRINT_SENSOR_INFO]: 'getFingerprintSensorInfo',
};

/** authenticatorBioEnrollment request members (§6.7). */
export const BioEnrollmentRequest = members({
  modality: { key: 0x01, type: 'uint' },
  subCommand: { key: 0x02, type: 'uint' },
  subCommandParams: { key: 0x03, type: 'map' },
  pinUvAuthProtocol: { key: 0x04, type: 'uint' },
  pinUvAuthParam: { key: 0x05, type: 'bytes' },
  getModality: { key: 0x06, type: 'bool' },
});

/** subCommandParams members (§6.7). */
export const BioEnrollmentSubCommandParams = members({
  templateId: { key: 0x01, type: 'bytes' },
  templateFriendlyName: { key: 0x02, type: 'text' },
  timeoutMilliseconds: { key: 0x03, type: 'uint' },
});

/** authenticatorBioEnrollment response members (§6.7). */
export const BioEnrollmentResponse = members({
  modality: { key: 0x01, type: 'uint' },
  fingerprintKind: { key: 0x02, type: 'uint' },
  maxCaptureSamplesRequiredForEnroll: { key: 0x03, type: 'uint' },
  templateId: { key: 0x04, type: 'bytes' },
  lastEnrollSampleStatus: { key: 0x05, type: 'uint' },
  remainingSamples: { key: 0x06, type: 'uint' },
  templateInfos: { key: 0x07, type: 'array' },
  maxTemplateFriendlyName: { key: 0x08, type: 'uint' },
});

/** One entry of templateInfos (§6.7.6). */
export const TemplateInfo = members({
  templateId: { key: 0x01, type: 'bytes', required: true },
  templateFriendlyName: { key: 0x02, type: 'text' },
});

/** modality values (§6.7.1). */
export const BioModality = { FINGERPRINT: 0x01 } as const;

/** fingerprintKind values (§6.7.2). */
export const FingerprintKind = { TOUCH: 0x01, SWIPE: 0x02 } as const;

/** lastEnrollSampleStatus values (§6.7.3 "Fingerprint sample status"). */
export const EnrollSampleStatus = {
  CTAP2_ENROLL_FEEDBACK_FP_GOOD: 0x00,
  CTAP2_ENROLL_FEEDBACK_FP_TOO_HIGH: 0x01,
  CTAP2_ENROLL_FEEDBACK_FP_TOO_LOW: 0x02,
  CTAP2_ENROLL_FEEDBACK_FP_TOO_LEFT: 0x03,
  CTAP2_ENROLL_FEEDBACK_FP_TOO_RIGHT: 0x04,
  CTAP2_ENROLL_FEEDBACK_FP_TOO_FAST: 0x05,
  CTAP2_ENROLL_FEEDBACK_FP_TOO_SLOW: 0x06,
  CTAP2_ENROLL_FEEDBACK_FP_POOR_QUALITY: 0x07,
  CTAP2_ENROLL_FEEDBACK_FP_TOO_SKEWED: 0x08,
  CTAP2_ENROLL_FEEDBACK_FP_TOO_SHORT: 0x09,
  CTAP2_ENROLL_FEEDBACK_FP_MERGE_FAILURE: 0x0a,
  CTAP2_ENROLL_FEEDBACK_FP_EXISTS: 0x0b,
  CTAP2_ENROLL_FEEDBACK_FP_DATABASE_FULL: 0x0c,
  CTAP2_ENROLL_FEEDBACK_NO_USER_ACTIVITY: 0x0d,
  CTAP2_ENROLL_FEEDBACK_NO_USER_PRESENCE_TRANSITION: 0x0e,
} as const;

export type EnrollSampleStatusCode = (typeof EnrollSampleStatus)[keyof typeof EnrollSampleStatus];

/** The CTAP2_ENROLL_FEEDBACK_* name of a lastEnrollSampleStatus value, or its hex when unknown. */
export function enrollSampleStatusName(status: number): string {
  const entry = Object.entries(EnrollSampleStatus).find(([, v]) => v === status);
  return entry ? entry[0] : `0x${status.toString(16).padStart(2, '0')}`;
}
