import {
  BandMessageCodec,
  HostMessageCodec,
  PROTOCOL_VERSION,
  type BandMessage,
  type BandState,
  type Capability,
  type ErrorCode,
  type BandBody,
  type HostBody,
  type HostMessage,
  type Init,
} from '../proto/index.js';
import { BandRefusal } from './band-refusal.js';
import type { Band } from './band.js';
import { listedCredentials } from './fido2.js';

export interface HostProtocolInfo {
  serialNumber: string;
  firmwareVersion: string;
  capabilities: Capability[];
  fido2: boolean;
  seos: boolean;
}

const MAX_ERROR_MESSAGE = 200;

/**
 * The band protocol's request side: one HostMessage in, one BandMessage out with the same request_id.
 * Returns 'unpowered' when the band has no power (it was dead already, or died in this request).
 */
export function answerHost(band: Band, info: HostProtocolInfo, payload: Uint8Array): Uint8Array | 'unpowered' {
  let message: HostMessage;
  try {
    message = HostMessageCodec.decode(payload);
  } catch (error) {
    if (!band.isPowered) return 'unpowered';
    return refusal(
      0,
      'ERROR_CODE_MALFORMED_MESSAGE',
      `${(error as Error).message}; send a band.proto HostMessage`,
      band.state,
    );
  }
  if (!band.isPowered) return 'unpowered';
  const { requestId, body } = message;
  if (!body) {
    return refusal(
      requestId,
      'ERROR_CODE_UNKNOWN_MESSAGE',
      `expected a HostMessage body this band knows (band protocol ${PROTOCOL_VERSION.major}.${PROTOCOL_VERSION.minor}), got none; check the host's protocol version`,
      band.state,
    );
  }
  const fault = band.storageFault;
  if (fault) return refusal(requestId, 'ERROR_CODE_STORAGE', fault.message, band.state);
  try {
    const reply = dispatch(band, info, body);
    return BandMessageCodec.encode({ requestId, body: reply });
  } catch (error) {
    if (error instanceof BandRefusal) return refusal(requestId, error.code, error.message, error.state);
    if (band.fail(error)) {
      if (!band.isPowered) return 'unpowered';
      return refusal(requestId, 'ERROR_CODE_STORAGE', (error as Error).message, band.state);
    }
    return refusal(
      requestId,
      'ERROR_CODE_INTERNAL',
      `the band failed while handling ${body.case}: ${(error as Error).message}; report this firmware fault`,
      band.state,
    );
  }
}

function dispatch(band: Band, info: HostProtocolInfo, body: HostBody): BandBody {
  switch (body.case) {
    case 'getInfo':
      return {
        case: 'getInfo',
        value: {
          protocolVersion: { ...PROTOCOL_VERSION },
          serialNumber: info.serialNumber,
          deviceId: band.deviceId,
          firmwareVersion: info.firmwareVersion,
          capabilities: info.capabilities,
        },
      };
    case 'getState':
      return { case: 'getState', value: band.getState() };
    case 'deleteUserData':
      return { case: 'deleteUserData', value: band.requestDeleteUserData() };
    case 'cancelDeleteUserData':
      band.cancelDeleteUserData();
      return { case: 'cancelDeleteUserData', value: {} };
    case 'startEnrollment':
      return { case: 'startEnrollment', value: band.startEnrollment() };
    case 'verifySetupCode':
      band.verifySetupCode(body.value.setupCode);
      return { case: 'verifySetupCode', value: {} };
    case 'startCapture':
      return { case: 'startCapture', value: band.startCapture() };
    case 'completeEnrollment':
      return { case: 'completeEnrollment', value: band.completeEnrollment(body.value) };
    case 'cancelEnrollment':
      band.cancelEnrollment();
      return { case: 'cancelEnrollment', value: {} };
    case 'setLabel':
      return { case: 'setLabel', value: band.setLabel(body.value.label) };
    case 'setSettings':
      band.setSettings(body.value);
      return { case: 'setSettings', value: {} };
    case 'listFidoCredentials': {
      if (!info.fido2)
        band.refuse(
          'ERROR_CODE_NOT_SUPPORTED',
          'list_fido_credentials: this band has no FIDO2 authenticator; nothing to list',
        );
      band.check('listFidoCredentials', () => 'authenticate on the band first (credentials are private to the wearer)');
      return { case: 'listFidoCredentials', value: { credentials: listedCredentials(band.fidoCredentials() ?? []) } };
    }
    case 'getSeosStatus':
      if (!info.seos)
        band.refuse(
          'ERROR_CODE_NOT_SUPPORTED',
          'get_seos_status: this band was built without SEOS support; use a SEOS-enabled band',
        );
      return { case: 'getSeosStatus', value: { enabled: true, provisioned: band.seosProvisioned } };
  }
}

function refusal(requestId: number, code: ErrorCode, message: string, state: BandState): Uint8Array {
  return BandMessageCodec.encode({
    requestId,
    body: { case: 'error', value: { code, message: clamp(message), state } },
  });
}

function clamp(message: string): string {
  if (Buffer.byteLength(message) <= MAX_ERROR_MESSAGE) return message;
  let out = '';
  for (const ch of message) {
    if (Buffer.byteLength(out + ch) > MAX_ERROR_MESSAGE - 3) break;
    out += ch;
  }
  return `${out}...`;
}
