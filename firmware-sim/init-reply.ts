import { Capability, CTAPHID_PROTOCOL_VERSION, encodeInitResponse } from '../transport/index.js';

/** The band's CTAPHID_INIT answer, the same on every wire: WINK and CBOR, no CTAP1/U2F MSG. */
export function initReply(nonce: Uint8Array, cid: number): Uint8Array {
  return encodeInitResponse({
    nonce,
    cid,
    protocolVersion: CTAPHID_PROTOCOL_VERSION,
    versionMajor: 0,
    versionMinor: 1,
    versionBuild: 0,
    capabilities: Capability.WINK | Capability.CBOR | Capability.NMSG,
  });
}
