import { members } from './members.js';

/** authenticatorGetAssertion (CTAP 2.1 §6.2) request members. */
export const GetAssertionRequest = members({
  rpId: { key: 0x01, type: 'text', required: true },
  clientDataHash: { key: 0x02, type: 'bytes', required: true },
  allowList: { key: 0x03, type: 'array' },
  extensions: { key: 0x04, type: 'map' },
  options: { key: 0x05, type: 'map' },
  pinUvAuthParam: { key: 0x06, type: 'bytes' },
  pinUvAuthProtocol: { key: 0x07, type: 'uint' },
});

/** authenticatorGetAssertion and authenticatorGetNextAssertion (§6.3) response members. */
export const GetAssertionResponse = members({
  credential: { key: 0x01, type: 'map' },
  authData: { key: 0x02, type: 'bytes', required: true },
  signature: { key: 0x03, type: 'bytes', required: true },
  user: { key: 0x04, type: 'map' },
  numberOfCredentials: { key: 0x05, type: 'uint' },
  userSelected: { key: 0x06, type: 'bool' },
  largeBlobKey: { key: 0x07, type: 'bytes' },
});
