import { Capability, CTAPHID_PROTOCOL_VERSION, encodeInitResponse } from '../transport/index.js';

/**
 * The band's CTAPHID_INIT answer, the same on every wire: WINK, and CBOR and MSG (CTAP1/U2F, NMSG cleared) when the
 * band hosts a FIDO authenticator; a band built without FIDO2 refuses both, so it must advertise neither.
 */
export function initReply(nonce: Uint8Array, cid: number, options: { cbor?: boolean } = {}): Uint8Array {
  return encodeInitResponse({
    nonce,
    cid,
    protocolVersion: CTAPHID_PROTOCOL_VERSION,
    versionMajor: 0,
    versionMinor: 1,
    versionBuild: 0,
    capabilities: Capability.WINK | (options.cbor === false ? Capability.NMSG : Capability.CBOR),
  });
}
