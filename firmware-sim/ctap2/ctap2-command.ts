/** authenticatorCBOR command bytes (CTAP 2.1 §6 "Authenticator API"). */
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
  /** The CTAP 2.1 pre-release number of credentialManagement ("credentialMgmtPreview"), still sent by older platforms. */
  CREDENTIAL_MANAGEMENT_PREVIEW: 0x41,
} as const;
