import {
  CapabilityValues,
  DEVICE_ID_BYTES,
  isSerialNumber,
  MAX_DISCOVERABLE_CREDENTIALS,
  MAX_ERROR_MESSAGE_BYTES,
  MAX_FIRMWARE_VERSION_BYTES,
  MAX_LABEL_CHARS,
  MAX_USER_NAME_BYTES,
  PROTOCOL_VERSION,
  SERIAL_NUMBER_EXAMPLE,
  type BandState,
} from '../../../proto/index.js';
import { check, errorOf, rawBand, refused, show, startEnrollment, blankBand, stillServing } from '../support.js';
import type { ConformanceContext, Requirement } from '../types.js';
import { describeBandMessage, hex } from '../wire.js';

const PROTO = 'band.proto';
const LAYER3 = 'docs/protocol.md §Layer 3';

async function getInfo(ctx: ConformanceContext, requestId = 5, major: number = PROTOCOL_VERSION.major) {
  const reply = await rawBand(
    ctx,
    { requestId, body: { case: 'getInfo', value: { hostVersion: { major, minor: 0 } } } },
    'get_info',
  );
  check(reply.body?.case === 'getInfo', 'a get_info reply', describeBandMessage(reply));
  return reply.body.value;
}

/** The short state name a person reads, e.g. UNENROLLED for BAND_STATE_UNENROLLED. */
const short = (state: BandState) => state.replace('BAND_STATE_', '');

export const PROTOCOL: Requirement[] = [
  {
    id: 'PROTO-001',
    title: 'GetInfo is answered with band protocol version 1.x, whatever version the host announces',
    source: `${PROTO} GetInfoRequest; ${LAYER3}`,
    needs: [],
    async run(ctx) {
      for (const major of [PROTOCOL_VERSION.major, 99]) {
        const info = await getInfo(ctx, 5, major);
        check(
          info.protocolVersion?.major === 1,
          `protocol_version major 1 (host announced ${major}.0)`,
          `${info.protocolVersion?.major ?? 0}.${info.protocolVersion?.minor ?? 0}`,
        );
      }
    },
  },
  {
    id: 'PROTO-002',
    title: 'the serial number is four capital letters, a dash and five digits',
    source: `${PROTO} GetInfoResponse.serial_number`,
    needs: [],
    async run(ctx) {
      const { serialNumber } = await getInfo(ctx);
      check(
        isSerialNumber(serialNumber),
        `a serial number like ${SERIAL_NUMBER_EXAMPLE}`,
        JSON.stringify(serialNumber),
      );
    },
  },
  {
    id: 'PROTO-003',
    title: `the device id is exactly ${DEVICE_ID_BYTES} bytes and the same on every GetInfo (and after reboot and wipe: STATE-021, WIPE-002)`,
    source: `${PROTO} GetInfoResponse.device_id`,
    needs: [],
    async run(ctx) {
      const first = await getInfo(ctx, 5);
      const second = await getInfo(ctx, 6);
      check(
        first.deviceId.length === DEVICE_ID_BYTES,
        `a ${DEVICE_ID_BYTES}-byte device_id`,
        `${first.deviceId.length} bytes`,
      );
      check(
        hex(first.deviceId, DEVICE_ID_BYTES) === hex(second.deviceId, DEVICE_ID_BYTES),
        'the same device_id twice',
        `${hex(first.deviceId)} then ${hex(second.deviceId)}`,
      );
    },
  },
  {
    id: 'PROTO-004',
    title: "every reply, refusals included, carries its request's request_id (up to 0xffffffff)",
    source: `${PROTO} BandMessage.request_id`,
    needs: [],
    async run(ctx) {
      const ids = [1, 255, 256, 65_535, 65_536, 0x7fffffff, 0xfffffffe, 0xffffffff];
      for (const requestId of ids) {
        const reply = await rawBand(
          ctx,
          { requestId, body: { case: 'getState', value: {} } },
          `get_state with request_id ${requestId}`,
        );
        check(
          reply.requestId === requestId,
          `request_id ${requestId} on the get_state reply`,
          `request_id ${reply.requestId} (${describeBandMessage(reply)})`,
        );
      }
      // cancel_delete_user_data is refused outside DELETE_PROMPT, cancel_enrollment outside enrollment: one of them is a refusal.
      for (const [requestId, body] of [
        [0x01020304, { case: 'cancelDeleteUserData', value: {} }],
        [0xfffffff0, { case: 'cancelEnrollment', value: {} }],
      ] as const) {
        const reply = await rawBand(ctx, { requestId, body }, `${body.case} with request_id ${requestId}`);
        check(
          reply.requestId === requestId,
          `request_id ${requestId} on the answer to ${body.case}`,
          `request_id ${reply.requestId} (${describeBandMessage(reply)})`,
        );
      }
    },
  },
  {
    id: 'PROTO-005',
    title: `firmware_version is 1..${MAX_FIRMWARE_VERSION_BYTES} bytes; capabilities are at most 8 known values, none repeated or UNSPECIFIED`,
    source: `${PROTO} GetInfoResponse`,
    needs: [],
    async run(ctx) {
      const info = await getInfo(ctx);
      const bytes = Buffer.byteLength(info.firmwareVersion);
      check(
        bytes >= 1 && bytes <= MAX_FIRMWARE_VERSION_BYTES,
        `a firmware_version of 1..${MAX_FIRMWARE_VERSION_BYTES} bytes`,
        `${bytes} bytes`,
      );
      const caps = info.capabilities;
      check(caps.length <= 8, 'at most 8 capabilities', String(caps.length));
      check(new Set(caps).size === caps.length, 'no capability listed twice', show(caps));
      const known = caps.every(
        (c) => (CapabilityValues as readonly string[]).includes(c) && c !== 'CAPABILITY_UNSPECIFIED',
      );
      check(known, 'only known capabilities, never UNSPECIFIED', show(caps));
    },
  },
  {
    id: 'PROTO-006',
    title: 'a payload that is not a HostMessage gets MALFORMED_MESSAGE with request_id 0, and the band keeps serving',
    source: `${LAYER3}; ${PROTO} ErrorCode.MALFORMED_MESSAGE`,
    needs: [],
    async run(ctx) {
      const garbage = [
        Uint8Array.of(0xff, 0xff, 0xff), // a key varint that never ends
        Uint8Array.of(0x08, 0x01, 0x52, 0x10, 0x0a), // get_info claiming 16 bytes, 1 there
        Uint8Array.of(0x0f, 0x01), // wire type 7 does not exist
      ];
      for (const payload of garbage) {
        const reply = await rawBand(ctx, payload, `the garbage ${hex(payload)}`);
        const error = errorOf(reply, `the garbage ${hex(payload)}`);
        check(
          error.code === 'ERROR_CODE_MALFORMED_MESSAGE' && reply.requestId === 0,
          `MALFORMED_MESSAGE with request_id 0 for ${hex(payload)}`,
          `${error.code} with request_id ${reply.requestId}`,
        );
      }
      await getInfo(ctx, 9);
      await stillServing(ctx, 'malformed messages');
    },
  },
  {
    id: 'PROTO-007',
    title:
      'a HostMessage without a body, or with a body the band does not know, gets UNKNOWN_MESSAGE with its request_id',
    source: `${PROTO} ErrorCode.UNKNOWN_MESSAGE`,
    needs: [],
    async run(ctx) {
      const cases: [string, Uint8Array, number][] = [
        ['no body (request_id 9)', Uint8Array.of(0x08, 0x09), 9],
        // field 99, length-delimited, empty: a request from a future protocol version.
        ['an unknown body field 99 (request_id 10)', Uint8Array.of(0x08, 0x0a, 0x9a, 0x06, 0x00), 10],
      ];
      for (const [what, payload, requestId] of cases) {
        const reply = await rawBand(ctx, payload, what);
        const error = errorOf(reply, what);
        check(
          error.code === 'ERROR_CODE_UNKNOWN_MESSAGE' && reply.requestId === requestId,
          `UNKNOWN_MESSAGE with request_id ${requestId} for ${what}`,
          `${error.code} with request_id ${reply.requestId}`,
        );
      }
    },
  },
  {
    id: 'PROTO-008',
    title: 'a field beyond its bound is refused INVALID_ARGUMENT: a setup code of more than 8 bytes',
    source: `${PROTO} VerifySetupCodeRequest.setup_code; docs/band.md §Enrollment`,
    needs: ['debug-link', 'erase'],
    async run(ctx) {
      await blankBand(ctx);
      await startEnrollment(ctx);
      await refused(ctx.band.verifySetupCode('ABCDEFGHJ'), 'ERROR_CODE_INVALID_ARGUMENT', 'a 9-byte setup code');
      await refused(
        ctx.band.verifySetupCode('ÄÄÄÄÄ'),
        'ERROR_CODE_INVALID_ARGUMENT',
        'a setup code of 5 characters but 10 bytes',
      );
      const state = await ctx.band.getState();
      check(
        state.state === 'BAND_STATE_AWAITING_SETUP_CODE',
        'the band still AWAITING_SETUP_CODE after the refusals',
        state.state,
      );
    },
  },
  {
    id: 'PROTO-009',
    title:
      'a request outside its states is refused WRONG_STATE, Error.state is the current state and the message names it',
    source: `${PROTO} Error; docs/band.md §Which request is valid where`,
    needs: [],
    async run(ctx) {
      const before = await ctx.band.getState();
      const request = before.state === 'BAND_STATE_DELETE_PROMPT' ? 'cancelEnrollment' : 'cancelDeleteUserData';
      const reply = await rawBand(ctx, { requestId: 44, body: { case: request, value: {} } }, request);
      const error = errorOf(reply, `${request} in ${before.state}`);
      check(error.code === 'ERROR_CODE_WRONG_STATE', `${request} in ${before.state} refused WRONG_STATE`, error.code);
      check(error.state === before.state, `Error.state ${before.state}`, error.state);
      const bytes = Buffer.byteLength(error.message);
      check(
        bytes >= 1 && bytes <= MAX_ERROR_MESSAGE_BYTES,
        `an Error.message of 1..${MAX_ERROR_MESSAGE_BYTES} bytes`,
        `${bytes} bytes`,
      );
      check(
        error.message.toUpperCase().includes(short(before.state)),
        `the message to name the state (${short(before.state)})`,
        JSON.stringify(error.message),
      );
    },
  },
  {
    id: 'PROTO-010',
    title:
      'get_state is answered in any state and is consistent: battery 0..100, bounded name and label, nothing for no user',
    source: `${PROTO} GetStateResponse`,
    needs: [],
    async run(ctx) {
      const s = await ctx.band.getState();
      check(s.state !== 'BAND_STATE_UNSPECIFIED', 'a state other than UNSPECIFIED', s.state);
      check(s.batteryPercent <= 100, 'battery_percent 0..100', String(s.batteryPercent));
      check(
        Buffer.byteLength(s.userName) <= MAX_USER_NAME_BYTES,
        `a user_name of at most ${MAX_USER_NAME_BYTES} bytes`,
        `${Buffer.byteLength(s.userName)} bytes`,
      );
      check(
        [...s.label].length <= MAX_LABEL_CHARS,
        `a label of at most ${MAX_LABEL_CHARS} characters`,
        JSON.stringify(s.label),
      );
      if (!s.enrolled) {
        check(
          s.userName === '' && s.label === '' && s.fidoCredentialCount === 0,
          'no user name, label or FIDO2 credentials when not enrolled',
          show(s),
        );
      }
    },
  },
  {
    id: 'PROTO-011',
    title: 'get_seos_status is answered on a band advertising CAPABILITY_SEOS and refused NOT_SUPPORTED otherwise',
    source: `${PROTO} GetSeosStatusRequest; docs/band.md §Which request is valid where`,
    needs: [],
    async run(ctx) {
      if (ctx.profile.capabilities.has('CAPABILITY_SEOS')) {
        await ctx.band.getSeosStatus();
        return;
      }
      await refused(
        ctx.band.getSeosStatus(),
        'ERROR_CODE_NOT_SUPPORTED',
        'get_seos_status on a band without CAPABILITY_SEOS',
      );
    },
  },
  {
    id: 'PROTO-012',
    title: `list_fido_credentials: NOT_SUPPORTED without FIDO2, NOT_AUTHENTICATED unless authenticated, at most ${MAX_DISCOVERABLE_CREDENTIALS} entries`,
    source: `${PROTO} ListFidoCredentialsRequest; docs/band.md §Which request is valid where`,
    needs: [],
    async run(ctx) {
      const state = (await ctx.band.getState()).state;
      if (!ctx.profile.capabilities.has('CAPABILITY_FIDO2')) {
        await refused(
          ctx.band.listFidoCredentials(),
          'ERROR_CODE_NOT_SUPPORTED',
          'list_fido_credentials on a band without CAPABILITY_FIDO2',
        );
        return;
      }
      if (state !== 'BAND_STATE_AUTHENTICATED') {
        await refused(
          ctx.band.listFidoCredentials(),
          'ERROR_CODE_NOT_AUTHENTICATED',
          `list_fido_credentials in ${state}`,
        );
        return;
      }
      const { credentials } = await ctx.band.listFidoCredentials();
      check(
        credentials.length <= MAX_DISCOVERABLE_CREDENTIALS,
        `at most ${MAX_DISCOVERABLE_CREDENTIALS} credentials`,
        String(credentials.length),
      );
    },
  },
];
