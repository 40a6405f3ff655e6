import { Capability, CTAPHID_PROTOCOL_VERSION, encodeInitResponse } from '../transport/index.js';

/**
 * The band's CTAPHID_INIT answer, the same on every wire: WINK, CBOR when the band hosts a CTAP2 authenticator
 * (a band built without FIDO2 refuses CBOR, so it must not advertise it), no CTAP1/U2F MSG.
 */
export function initReply(nonce: Uint8Array, cid: number, options: { cbor?: boolean } = {}): Uint8Array {
  return encodeInitResponse({
    nonce,
    cid,
    protocolVersion: CTAPHID_PROTOCOL_VERSION,
    versionMajor: 0,
    versionMinor: 1,
    versionBuild: 0,
    capabilities: Capability.WINK | (options.cbor === false ? 0 : Capability.CBOR) | Capability.NMSG,
  });
}
