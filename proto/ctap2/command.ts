/** authenticatorCBOR command bytes (CTAP 2.1 §6 "Authenticator API", §6.13 "Prototype authenticatorCBOR commands"). */
export const Ctap2Command = {
  MAKE_CREDENTIAL: 0x01,
  GET_ASSERTION: 0x02,
  GET_INFO: 0x04,
  CLIENT_PIN: 0x06,
  RESET: 0x07,
  GET_NEXT_ASSERTION: 0x08,
  BIO_ENROLLMENT: 0x09,
  CREDENTIAL_MANAGEMENT: 0x0a,
  SELECTION: 0x0b,
  LARGE_BLOBS: 0x0c,
  CONFIG: 0x0d,
  /** The CTAP 2.1 pre-release number of bioEnrollment ("FIDO_2_1_PRE"), still sent by older platforms. */
  BIO_ENROLLMENT_PREVIEW: 0x40,
  /** The CTAP 2.1 pre-release number of credentialManagement ("credentialMgmtPreview"), still sent by older platforms. */
  CREDENTIAL_MANAGEMENT_PREVIEW: 0x41,
} as const;

export type Ctap2CommandName = keyof typeof Ctap2Command;
export type Ctap2CommandCode = (typeof Ctap2Command)[Ctap2CommandName];

/** The spec's name of each command, as traces and error messages print it. */
export const CTAP2_COMMAND_SPEC_NAMES: Readonly<Record<Ctap2CommandCode, string>> = {
  [Ctap2Command.MAKE_CREDENTIAL]: 'authenticatorMakeCredential',
  [Ctap2Command.GET_ASSERTION]: 'authenticatorGetAssertion',
  [Ctap2Command.GET_INFO]: 'authenticatorGetInfo',
  [Ctap2Command.CLIENT_PIN]: 'authenticatorClientPIN',
  [Ctap2Command.RESET]: 'authenticatorReset',
  [Ctap2Command.GET_NEXT_ASSERTION]: 'authenticatorGetNextAssertion',
  [Ctap2Command.BIO_ENROLLMENT]: 'authenticatorBioEnrollment',
  [Ctap2Command.CREDENTIAL_MANAGEMENT]: 'authenticatorCredentialManagement',
  [Ctap2Command.SELECTION]: 'authenticatorSelection',
  [Ctap2Command.LARGE_BLOBS]: 'authenticatorLargeBlobs',
  [Ctap2Command.CONFIG]: 'authenticatorConfig',
  [Ctap2Command.BIO_ENROLLMENT_PREVIEW]: 'authenticatorBioEnrollment (prototype)',
  [Ctap2Command.CREDENTIAL_MANAGEMENT_PREVIEW]: 'authenticatorCredentialManagement (prototype)',
};

/** 'authenticatorGetInfo' for 0x04; `authenticator 0x20` for a byte CTAP 2.1 does not define. */
export function ctap2CommandName(command: number): string {
  return (
    (CTAP2_COMMAND_SPEC_NAMES as Record<number, string | undefined>)[command] ??
    `authenticator 0x${command.toString(16).padStart(2, '0')}`
  );
}
