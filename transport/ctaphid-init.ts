import {
  HidCapability as Capability,
  CTAPHID_PROTOCOL_VERSION,
  INIT_NONCE_SIZE,
  INIT_RESPONSE_SIZE,
} from '../proto/ctaphid.js';
import { TransportError } from './errors.js';
import { BROADCAST_CID, hexCid } from './ctaphid.js';

export { Capability, CTAPHID_PROTOCOL_VERSION, INIT_NONCE_SIZE, INIT_RESPONSE_SIZE };

export interface InitResponse {
  nonce: Uint8Array;
  /** The channel the band allocated (or the one INIT was sent on, for a resync). */
  cid: number;
  protocolVersion: number;
  versionMajor: number;
  versionMinor: number;
  versionBuild: number;
  capabilities: number;
}

export function encodeInitResponse(response: InitResponse): Uint8Array {
  if (response.nonce.length !== INIT_NONCE_SIZE) {
    throw new TransportError(
      'BAD_UNIT',
      `expected an ${INIT_NONCE_SIZE}-byte INIT nonce, got ${response.nonce.length}; echo the host's nonce unchanged`,
    );
  }
  const out = new Uint8Array(INIT_RESPONSE_SIZE);
  out.set(response.nonce);
  new DataView(out.buffer).setUint32(8, response.cid);
  out[12] = response.protocolVersion;
  out[13] = response.versionMajor;
  out[14] = response.versionMinor;
  out[15] = response.versionBuild;
  out[16] = response.capabilities;
  return out;
}

export function decodeInitResponse(payload: Uint8Array): InitResponse {
  if (payload.length < INIT_RESPONSE_SIZE) {
    throw new TransportError(
      'OPEN_FAILED',
      `expected an INIT response of at least ${INIT_RESPONSE_SIZE} bytes, got ${payload.length}; the device is not a CTAPHID authenticator`,
    );
  }
  const cid = new DataView(payload.buffer, payload.byteOffset, payload.length).getUint32(8);
  if (cid === 0 || cid === BROADCAST_CID) {
    throw new TransportError(
      'OPEN_FAILED',
      `expected the INIT response to allocate a usable channel, got ${hexCid(cid)}; the device is misbehaving, replug it`,
    );
  }
  return {
    nonce: payload.slice(0, INIT_NONCE_SIZE),
    cid,
    protocolVersion: payload[12],
    versionMajor: payload[13],
    versionMinor: payload[14],
    versionBuild: payload[15],
    capabilities: payload[16],
  };
}
