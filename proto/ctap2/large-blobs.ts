import { members } from './members.js';

/** authenticatorLargeBlobs (CTAP 2.1 §6.10) request members. */
export const LargeBlobsRequest = members({
  get: { key: 0x01, type: 'uint' },
  set: { key: 0x02, type: 'bytes' },
  offset: { key: 0x03, type: 'uint', required: true },
  length: { key: 0x04, type: 'uint' },
  pinUvAuthParam: { key: 0x05, type: 'bytes' },
  pinUvAuthProtocol: { key: 0x06, type: 'uint' },
});

/** authenticatorLargeBlobs response members (§6.10). */
export const LargeBlobsResponse = members({
  config: { key: 0x01, type: 'bytes' },
});

/** One entry of the serialized large-blob array (§6.10.3 "large-blob map"). */
export const LargeBlobMap = members({
  ciphertext: { key: 0x01, type: 'bytes', required: true },
  nonce: { key: 0x02, type: 'bytes', required: true },
  origSize: { key: 0x03, type: 'uint', required: true },
});
