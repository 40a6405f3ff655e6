import {
  BandMessageCodec,
  HostMessageCodec,
  MAX_ERROR_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  type BandState,
  type Capability,
  type ErrorCode,
  type BandBody,
  type HostBody,
  type HostMessage,
} from '../proto/index.js';
import { BandRefusal } from './band-refusal.js';
import type { Band } from './band.js';
import { listedCredentials } from './fido2.js';
import { refusalOf } from './request-rules.js';

export interface HostProtocolInfo {
  serialNumber: string;
  firmwareVersion: string;
  /** Shared by every band of the same make-up (band-emulator.ts): never changed, and copied into each reply. */
  capabilities: readonly Capability[];
  fido2: boolean;
  seos: boolean;
}

/**
 * The band protocol's request side: one HostMessage in, one BandMessage out with the same request_id. A request
 * request-rules.ts refuses never reaches the firmware; an admitted one goes to the controller that owns it.
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
  const refused = refusalOf(body.case, {
    state: band.state,
    onWrist: band.body.onWrist,
    fido2: info.fido2,
    seos: info.seos,
  });
  if (refused) return refusal(requestId, refused.code, refused.message, refused.state);
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
          capabilities: [...info.capabilities],
        },
      };
    case 'getState':
      return { case: 'getState', value: band.getState() };
    case 'deleteUserData':
      return { case: 'deleteUserData', value: band.deletion.request() };
    case 'cancelDeleteUserData':
      band.deletion.cancel();
      return { case: 'cancelDeleteUserData', value: {} };
    case 'startEnrollment':
      return { case: 'startEnrollment', value: { ...band.enrollment.start(), deviceId: band.deviceId } };
    case 'verifySetupCode':
      band.enrollment.verifySetupCode(body.value.setupCode);
      return { case: 'verifySetupCode', value: {} };
    case 'startCapture':
      return { case: 'startCapture', value: band.enrollment.startCapture() };
    case 'completeEnrollment':
      return { case: 'completeEnrollment', value: band.enrollment.complete(body.value) };
    case 'cancelEnrollment':
      band.enrollment.cancel();
      return { case: 'cancelEnrollment', value: {} };
    case 'setLabel':
      return { case: 'setLabel', value: band.enrollment.setLabel(body.value.label) };
    case 'setSettings':
      band.enrollment.setSettings(body.value);
      return { case: 'setSettings', value: {} };
    case 'listFidoCredentials':
      return { case: 'listFidoCredentials', value: { credentials: listedCredentials(band.fidoCredentials() ?? []) } };
    case 'getSeosStatus':
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
  if (Buffer.byteLength(message) <= MAX_ERROR_MESSAGE_BYTES) return message;
  let out = '';
  for (const ch of message) {
    if (Buffer.byteLength(out + ch) > MAX_ERROR_MESSAGE_BYTES - 3) break;
    out += ch;
  }
  return `${out}...`;
}
