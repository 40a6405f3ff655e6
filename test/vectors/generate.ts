// Regenerates the golden vectors in proto/vectors/ on purpose: `npm run vectors`. test/vectors/vectors.test.ts
// fails while the committed files differ from what this produces, so a schema or codec change that moves a
// byte shows up as a failing test until someone looks at the diff and regenerates.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { BandEmulator, serveBand, testWorld } from '../../firmware-sim/index.js';
import { ErrorCodeValues } from '../../proto/index.js';
import {
  Command,
  commandName,
  decodeFrame,
  encodeFrame,
  HidError,
  loopbackPair,
  MAX_UNIT_PAYLOAD,
  packetize,
  type Unit,
} from '../../transport/index.js';
import {
  CODECS,
  fromJson,
  hex,
  readOptionBounds,
  snake,
  toJson,
  typeOf,
  unhex,
  type Json,
  type OptionBounds,
  type TopLevel,
} from './vector-format.js';

/** The checkout: this file runs from test/vectors (vitest) and from dist/test/vectors (npm run vectors). */
export const REPO_ROOT = ((dir: string): string => {
  while (!existsSync(`${dir}/package.json`)) dir = dirname(dir);
  return dir;
})(dirname(fileURLToPath(import.meta.url)));
export const VECTOR_DIR = `${REPO_ROOT}/proto/vectors`;
/** The channel every CTAPHID vector uses (any allocated CID; the reports differ only in their first 4 bytes). */
export const VECTOR_CID = 0x1a2b3c4d;
/** The request_id of every request and reply vector; events and unparseable requests carry 0 (band.proto). */
const REQUEST_ID = 7;

/** One unit with its meaning and its bytes on each wire. */
export interface UnitVector {
  name: string;
  /** The protobuf message the payload holds, or null for a CTAPHID unit of its own (ERROR). */
  message: TopLevel | null;
  command: number;
  commandName: string;
  meaning: Json;
  /** The unit's payload: the protobuf encoding, or the CTAPHID payload. */
  payload: string;
  /** Serial and TCP: COBS([command][payload][CRC-32 LE]) 0x00. */
  frame: string;
  /** USB HID and UDP: the 64-byte CTAPHID reports on channel `cid`. */
  ctaphid: { cid: string; reports: string[] };
}

export interface VectorFile {
  about: string;
  vectors: UnitVector[];
}

export function unitVector(name: string, message: TopLevel | null, unit: Unit, meaning: Json): UnitVector {
  return {
    name,
    message,
    command: unit.command,
    commandName: commandName(unit.command),
    meaning,
    payload: hex(unit.payload),
    frame: hex(encodeFrame(unit)),
    ctaphid: {
      cid: VECTOR_CID.toString(16).padStart(8, '0'),
      reports: packetize(VECTOR_CID, unit.command, unit.payload).map(hex),
    },
  };
}

function encodeMeaning(message: TopLevel, meaning: Record<string, Json>): Uint8Array {
  return CODECS[message].encode(fromJson(typeOf(message), meaning));
}

function messageVector(name: string, message: TopLevel, meaning: Record<string, Json>): UnitVector {
  const codec = CODECS[message];
  const payload = encodeMeaning(message, meaning);
  const command = message === 'HostMessage' || message === 'BandMessage' ? Command.BAND : Command.DEBUG;
  // The meaning recorded is the decoded one (every default filled in), which is what a reader gets back.
  return unitVector(name, message, { command, payload }, toJson(codec.decode(payload)));
}

// ------------------------------------------------------------------------------------------- sample values

const STRINGS: Record<string, string> = {
  serialNumber: 'AAAH-00125',
  firmwareVersion: 'bandsim 0.1.0',
  userName: 'tw-user2',
  label: 'TW-USER2',
  setupCode: 'K7Q2XM',
  rpId: 'login.example.com',
  finger: 'tw-user2/right-index',
  confirmPurpose: 'makeCredential',
  confirmRpId: 'login.example.com',
  message: 'expected the band on the wrist; put it on and retry',
};
const NUMBERS: Record<string, number> = {
  requestId: REQUEST_ID,
  major: 1,
  minor: 0,
  holdBottomButtonMs: 10_000,
  setupCodeLength: 6,
  touchesRequired: 6,
  goodTouches: 3,
  failedMatches: 2,
  fidoCredentialCount: 1,
  batteryPercent: 87,
  count: 2,
  ms: 10_000,
  atWrite: 3,
  holdMs: 10_000,
  storageWrites: 12,
};
const BYTES: Record<string, number> = { deviceId: 16, credentialId: 63, seed: 32 };
const ENUMS: Record<string, string> = {
  state: 'BAND_STATE_AUTHENTICATED',
  screen: 'SCREEN_AUTHENTICATED',
  button: 'BUTTON_BOTTOM',
  motion: 'BUTTON_MOTION_HOLD',
  reason: 'AUTHENTICATION_REASON_MATCHED',
};

/** A deterministic byte string of `length` bytes with no zero in it (so COBS has work to do only where asked). */
function pattern(length: number, salt: number): string {
  return hex(Uint8Array.from({ length }, (_, i) => ((i * 37 + salt) % 255) + 1));
}

/** A plausible value for every field of `type`: the typical vector. */
function sample(type: protobuf.Type): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const field of type.fieldsArray) {
    if (field.partOf) continue;
    const one = () => sampleField(field);
    if (field.name === 'capabilities') out[field.name] = ['CAPABILITY_FIDO2', 'CAPABILITY_DEBUG_LINK'];
    else out[field.name] = field.repeated ? [one()] : one();
  }
  return out;
}

function sampleField(field: protobuf.Field): Json {
  const resolved = field.resolve().resolvedType;
  if (resolved instanceof protobuf.Type) return sample(resolved);
  if (resolved instanceof protobuf.Enum) return ENUMS[field.name] ?? Object.keys(resolved.values)[1];
  switch (field.type) {
    case 'string':
      return STRINGS[field.name] ?? 'x';
    case 'bytes':
      return pattern(BYTES[field.name] ?? 8, field.id);
    case 'bool':
      return true;
    default:
      return NUMBERS[field.name] ?? field.id;
  }
}

/**
 * Every string, bytes and repeated field at the maximum nanopb reserves for it, so a C build with
 * proto/*.options is shown to hold the largest legal message. Strings use two-byte UTF-8 characters where the
 * maximum is even: the bounds are in bytes. Undefined when the message has no bounded field.
 */
function atBounds(type: protobuf.Type, bounds: OptionBounds): Record<string, Json> | undefined {
  let bounded = false;
  const out = sample(type);
  for (const field of type.fieldsArray) {
    if (field.partOf) continue;
    const key = `${type.name}.${snake(field.name)}`;
    const max = bounds.max.get(key);
    const resolved = field.resolve().resolvedType;
    if (resolved instanceof protobuf.Type && !field.repeated) {
      const inner = atBounds(resolved, bounds);
      if (inner) {
        out[field.name] = inner;
        bounded = true;
      }
    }
    if (max === undefined) continue;
    bounded = true;
    if (field.repeated) {
      const element =
        resolved instanceof protobuf.Type
          ? (atBounds(resolved, bounds) ?? sample(resolved))
          : resolved instanceof protobuf.Enum
            ? undefined
            : sampleField(field);
      out[field.name] =
        resolved instanceof protobuf.Enum
          ? Array.from(
              { length: max },
              (_, i) => Object.keys(resolved.values)[1 + (i % (Object.keys(resolved.values).length - 1))],
            )
          : Array.from({ length: max }, () => element as Json);
    } else if (field.type === 'string') {
      out[field.name] = max % 2 === 0 ? 'ü'.repeat(max / 2) : 'Z'.repeat(max);
    } else if (field.type === 'bytes') {
      out[field.name] = pattern(max, field.id);
    }
  }
  return bounded ? out : undefined;
}

// ------------------------------------------------------------------------------------------- refusals

const ERROR_SAMPLES: Record<string, { message: string; state: string }> = {
  ERROR_CODE_MALFORMED_MESSAGE: {
    message: 'expected a protobuf HostMessage, got 2 bytes that do not parse; send one HostMessage per BAND unit',
    state: 'BAND_STATE_UNENROLLED',
  },
  ERROR_CODE_UNKNOWN_MESSAGE: {
    message: 'expected a HostMessage body this band knows, got none; update the host or the band',
    state: 'BAND_STATE_UNENROLLED',
  },
  ERROR_CODE_WRONG_STATE: {
    message: 'start_enrollment needs the band on the wrist; put it on and retry',
    state: 'BAND_STATE_UNENROLLED',
  },
  ERROR_CODE_INVALID_ARGUMENT: {
    message: 'label: a label is at most 12 characters, got 13',
    state: 'BAND_STATE_CAPTURED',
  },
  ERROR_CODE_USER_DATA_PRESENT: {
    message: 'the band holds user data; delete user data before enrolling',
    state: 'BAND_STATE_AUTHENTICATED',
  },
  ERROR_CODE_SETUP_CODE_MISMATCH: {
    message: 'the setup code does not match the one the band shows; read it again',
    state: 'BAND_STATE_AWAITING_SETUP_CODE',
  },
  ERROR_CODE_NOT_ENROLLED: { message: 'the band holds no user; enroll it first', state: 'BAND_STATE_UNENROLLED' },
  ERROR_CODE_NOT_AUTHENTICATED: {
    message: 'the wearer is not authenticated; touch the sensor first',
    state: 'BAND_STATE_AUTHENTICATION_REQUIRED',
  },
  ERROR_CODE_LOCKED_OUT: {
    message: 'too many failed matches; delete user data to clear the lockout',
    state: 'BAND_STATE_LOCKED_OUT',
  },
  ERROR_CODE_NOT_SUPPORTED: { message: 'this band has no SEOS support', state: 'BAND_STATE_AUTHENTICATED' },
  ERROR_CODE_STORAGE: {
    message: 'the flash image is damaged; delete user data to reformat it',
    state: 'BAND_STATE_UNENROLLED',
  },
  ERROR_CODE_INTERNAL: { message: 'internal error; power-cycle the band', state: 'BAND_STATE_UNENROLLED' },
};

// ------------------------------------------------------------------------------------------- the files

function protocolFile(top: TopLevel[], bounds: OptionBounds, about: string): VectorFile {
  const vectors: UnitVector[] = [];
  for (const message of top) {
    const type = typeOf(message);
    const oneof = type.oneofsArray[0];
    for (const member of oneof.fieldsArray) {
      const bodyType = member.resolve().resolvedType as protobuf.Type;
      const wrap = (value: Json, requestId = REQUEST_ID): Record<string, Json> => ({
        requestId,
        [oneof.name]: { case: member.name, value },
      });
      if (bodyType.name === 'Event') {
        for (const kind of bodyType.oneofsArray[0].fieldsArray) {
          const inner = sample(kind.resolve().resolvedType as protobuf.Type);
          vectors.push(
            messageVector(
              `${message}.event.${kind.name}`,
              message,
              wrap({ kind: { case: kind.name, value: inner } }, 0),
            ),
          );
        }
        continue;
      }
      if (bodyType.name === 'Error') {
        for (const code of ErrorCodeValues.filter((c) => c !== 'ERROR_CODE_UNSPECIFIED')) {
          const sampleError = ERROR_SAMPLES[code];
          if (!sampleError) throw new Error(`no sample refusal for ${code}: add one to ERROR_SAMPLES`);
          const requestId = code === 'ERROR_CODE_MALFORMED_MESSAGE' ? 0 : REQUEST_ID;
          vectors.push(messageVector(`${message}.error.${code}`, message, wrap({ code, ...sampleError }, requestId)));
        }
        continue;
      }
      vectors.push(messageVector(`${message}.${member.name}`, message, wrap(sample(bodyType))));
      const max = atBounds(bodyType, bounds);
      // A message whose every field at its maximum exceeds one unit (the credential list) gets listExtremes instead.
      if (max && encodeMeaning(message, wrap(max)).length <= MAX_UNIT_PAYLOAD) {
        vectors.push(messageVector(`${message}.${member.name}.at-bounds`, message, wrap(max)));
      }
    }
  }
  return { about, vectors };
}

/** CTAPHID's own refusals (CTAP 2.1 §11.2.9.1.6), which every wire carries as ERROR units. */
function wireRefusals(): VectorFile {
  return {
    about:
      'CTAPHID ERROR units (command 0x3f, one byte: the error code; CTAP 2.1 §11.2.9.1.6): how a band or a host refuses a unit on any wire.',
    vectors: Object.entries(HidError).map(([name, code]) =>
      unitVector(
        `ERROR.${name}`,
        null,
        { command: Command.ERROR, payload: Uint8Array.of(code) },
        { error: name, code },
      ),
    ),
  };
}

/** The credential list at its extremes: as many largest entries as one unit holds, and one long relying party ID. */
function listExtremes(bounds: OptionBounds): UnitVector[] {
  const credential = atBounds(typeOf('FidoCredential'), bounds)!;
  credential.rpId = 'login.example.com';
  const many: Json[] = [];
  const fits = (credentials: Json[]) =>
    encodeMeaning('BandMessage', {
      requestId: REQUEST_ID,
      body: { case: 'listFidoCredentials', value: { credentials } },
    }).length <= MAX_UNIT_PAYLOAD;
  while (fits([...many, credential])) many.push(credential);
  const longRp = { ...sample(typeOf('FidoCredential')), rpId: `${'a'.repeat(63)}.`.repeat(40) + 'example' };
  return [
    messageVector('BandMessage.listFidoCredentials.fullest', 'BandMessage', {
      requestId: REQUEST_ID,
      body: { case: 'listFidoCredentials', value: { credentials: many } },
    }),
    messageVector('BandMessage.listFidoCredentials.long-rp-id', 'BandMessage', {
      requestId: REQUEST_ID,
      body: { case: 'listFidoCredentials', value: { credentials: [longRp] } },
    }),
  ];
}

// ------------------------------------------------------------------------------------------- the emulator

/** The seeded band the emulator vectors come from; the same seed yields the same bytes on every run. */
export const EMULATOR_BAND = { serialNumber: 'AAAH-00125', seed: 'golden vectors', debugLink: true } as const;

interface Step {
  name: string;
  message: TopLevel | null;
  meaning?: Record<string, Json>;
  raw?: string;
}

/** What a host sends, in order; every request waits for its reply before the next is sent. */
const SCRIPT: Step[] = [
  {
    name: 'get_info',
    message: 'HostMessage',
    meaning: { requestId: 1, body: { case: 'getInfo', value: { hostVersion: { major: 1, minor: 0 } } } },
  },
  { name: 'get_state', message: 'HostMessage', meaning: { requestId: 2, body: { case: 'getState', value: {} } } },
  {
    name: 'start_enrollment off the wrist',
    message: 'HostMessage',
    meaning: { requestId: 3, body: { case: 'startEnrollment', value: {} } },
  },
  {
    name: 'debug: on the wrist',
    message: 'DebugRequest',
    meaning: { requestId: 4, action: { case: 'setWrist', value: { onWrist: true } } },
  },
  {
    name: 'start_enrollment',
    message: 'HostMessage',
    meaning: { requestId: 5, body: { case: 'startEnrollment', value: {} } },
  },
  {
    name: 'debug: read the screen',
    message: 'DebugRequest',
    meaning: { requestId: 6, action: { case: 'readScreen', value: {} } },
  },
  {
    name: 'verify_setup_code with a wrong code',
    message: 'HostMessage',
    meaning: { requestId: 7, body: { case: 'verifySetupCode', value: { setupCode: 'ZZZZZZ' } } },
  },
  { name: 'a payload that is not a HostMessage', message: null, raw: 'ffff' },
  {
    name: 'list_fido_credentials unauthenticated',
    message: 'HostMessage',
    meaning: { requestId: 9, body: { case: 'listFidoCredentials', value: {} } },
  },
  {
    name: 'cancel_enrollment',
    message: 'HostMessage',
    meaning: { requestId: 10, body: { case: 'cancelEnrollment', value: {} } },
  },
];

export interface Exchange {
  name: string;
  request: UnitVector;
  /** Everything the band sent until the reply, the reply last. */
  replies: UnitVector[];
}

function describeBandUnit(unit: Unit): UnitVector {
  const message: TopLevel = unit.command === Command.DEBUG ? 'DebugResponse' : 'BandMessage';
  const meaning = toJson(CODECS[message].decode(unit.payload));
  return unitVector(`${message}`, message, unit, meaning);
}

/** Runs SCRIPT against a fresh seeded emulator over the loopback (real frames) and records every unit. */
export async function emulatorExchanges(): Promise<Exchange[]> {
  const device = new BandEmulator({ ...EMULATOR_BAND, world: testWorld({ seed: EMULATOR_BAND.seed }) });
  const [host, band] = loopbackPair();
  const serving = serveBand(device, band);
  const received: Unit[] = [];
  let wake: (() => void) | undefined;
  host.onUnit((unit) => {
    received.push(unit);
    wake?.();
  });
  const exchanges: Exchange[] = [];
  try {
    for (const step of SCRIPT) {
      const request: UnitVector = step.message
        ? messageVector(step.name, step.message, step.meaning!)
        : unitVector(step.name, null, { command: Command.BAND, payload: unhex(step.raw!) }, { raw: step.raw! });
      const wantedId = step.meaning ? (step.meaning.requestId as number) : 0;
      const start = received.length;
      await host.send({ command: request.command, payload: unhex(request.payload) });
      const isReply = (unit: Unit) => {
        const decoded = CODECS[unit.command === Command.DEBUG ? 'DebugResponse' : 'BandMessage'].decode(
          unit.payload,
        ) as {
          requestId: number;
          body?: { case: string };
        };
        return decoded.requestId === wantedId && (wantedId !== 0 || decoded.body?.case === 'error');
      };
      while (!received.slice(start).some(isReply)) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      const replies = received.slice(start).map(describeBandUnit);
      exchanges.push({ name: step.name, request, replies });
    }
  } finally {
    serving.stop();
    await host.close();
  }
  return exchanges;
}

// ------------------------------------------------------------------------------------------- all of it

export async function buildVectors(): Promise<Record<string, unknown>> {
  const bounds = readOptionBounds(REPO_ROOT);
  const band = protocolFile(
    ['HostMessage', 'BandMessage'],
    bounds,
    'Every HostMessage and BandMessage body (proto/band.proto), every event and every refusal (ErrorCode), carried by BAND units (0x41): typical values, and each bounded field at its maximum (.at-bounds).',
  );
  band.vectors.push(...listExtremes(bounds));
  return {
    'band.json': band,
    'debug.json': protocolFile(
      ['DebugRequest', 'DebugResponse'],
      bounds,
      'Every DebugRequest action and DebugResponse result (proto/debug.proto), carried by DEBUG units (0x42).',
    ),
    'wire-refusals.json': wireRefusals(),
    'emulator.json': {
      about:
        'A seeded emulated band (firmware-sim, testWorld) answering a scripted host over the loopback: each request unit and every unit the band sent until its reply, the reply last. A band emulator given the same seed must answer byte for byte.',
      band: EMULATOR_BAND,
      exchanges: await emulatorExchanges(),
    },
  };
}

/** The file text: two-space JSON, one trailing newline, as prettier leaves it. */
export function vectorText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

// Self-check used by the test: every frame decodes back to its unit.
export function frameUnit(vector: UnitVector): Unit {
  const frame = unhex(vector.frame);
  return decodeFrame(frame.subarray(0, frame.length - 1));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(VECTOR_DIR, { recursive: true });
  for (const [name, value] of Object.entries(await buildVectors())) {
    writeFileSync(`${VECTOR_DIR}/${name}`, vectorText(value));
    console.log(`proto/vectors/${name}`);
  }
}
