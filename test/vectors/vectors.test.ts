import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorCodeValues, MAX_LABEL_CHARS, MAX_USER_NAME_BYTES } from '../../proto/index.js';
import {
  decodeFrame,
  encodeFrame,
  HidError,
  MAX_UNIT_PAYLOAD,
  packetize,
  Reassembler,
  type HidMessage,
} from '../../transport/index.js';
import {
  buildVectors,
  emulatorExchanges,
  REPO_ROOT,
  VECTOR_DIR,
  vectorText,
  type Exchange,
  type UnitVector,
  type VectorFile,
} from './generate.js';
import { CODECS, fromJson, hex, readOptionBounds, toJson, typeOf, unhex, type Json } from './vector-format.js';

const read = <T>(name: string): T => JSON.parse(readFileSync(`${VECTOR_DIR}/${name}`, 'utf8')) as T;
const band = read<VectorFile>('band.json');
const debug = read<VectorFile>('debug.json');
const refusals = read<VectorFile>('wire-refusals.json');
const emulator = read<{ exchanges: Exchange[] }>('emulator.json');
const allUnits: UnitVector[] = [
  ...band.vectors,
  ...debug.vectors,
  ...refusals.vectors,
  ...emulator.exchanges.flatMap((e) => [e.request, ...e.replies]),
];

describe('golden vectors (proto/vectors)', () => {
  it('are what the generator produces from the schema today (after a deliberate change: npm run vectors)', async () => {
    const fresh = await buildVectors();
    for (const [name, value] of Object.entries(fresh)) {
      expect(readFileSync(`${VECTOR_DIR}/${name}`, 'utf8'), `proto/vectors/${name} is stale: npm run vectors`).toBe(
        vectorText(value),
      );
    }
  });

  it('cover every body, event, refusal and debug action of the schema', () => {
    const names = new Set([...band.vectors, ...debug.vectors].map((v) => v.name));
    for (const top of ['HostMessage', 'BandMessage', 'DebugRequest', 'DebugResponse']) {
      for (const member of typeOf(top).oneofsArray[0].fieldsArray) {
        if (member.name === 'event') {
          for (const kind of typeOf('Event').oneofsArray[0].fieldsArray)
            expect(names).toContain(`${top}.event.${kind.name}`);
        } else if (top === 'BandMessage' && member.name === 'error') {
          for (const code of ErrorCodeValues.filter((c) => c !== 'ERROR_CODE_UNSPECIFIED'))
            expect(names).toContain(`${top}.error.${code}`);
        } else {
          expect(names).toContain(`${top}.${member.name}`);
        }
      }
    }
    expect(refusals.vectors.map((v) => v.name)).toEqual(Object.keys(HidError).map((n) => `ERROR.${n}`));
  });

  it('decode to their meaning and encode back to the same bytes with the host codecs', () => {
    for (const vector of [...band.vectors, ...debug.vectors]) {
      const codec = CODECS[vector.message!];
      const payload = unhex(vector.payload);
      expect(toJson(codec.decode(payload)), vector.name).toEqual(vector.meaning);
      const meaning = fromJson(typeOf(vector.message!), vector.meaning as Record<string, Json>);
      expect(hex(codec.encode(meaning as never)), vector.name).toBe(vector.payload);
    }
  });

  it('frame every unit byte for byte on serial/TCP and decode back', () => {
    for (const vector of allUnits) {
      const unit = { command: vector.command, payload: unhex(vector.payload) };
      expect(hex(encodeFrame(unit)), vector.name).toBe(vector.frame);
      const frame = unhex(vector.frame);
      expect(frame[frame.length - 1], vector.name).toBe(0);
      const decoded = decodeFrame(frame.subarray(0, frame.length - 1));
      expect({ command: decoded.command, payload: hex(decoded.payload) }, vector.name).toEqual({
        command: vector.command,
        payload: vector.payload,
      });
    }
  });

  it('packetise every unit into the same CTAPHID reports, which reassemble to the unit', () => {
    for (const vector of allUnits) {
      const cid = Number.parseInt(vector.ctaphid.cid, 16);
      expect(packetize(cid, vector.command, unhex(vector.payload)).map(hex), vector.name).toEqual(
        vector.ctaphid.reports,
      );
      const reassembler = new Reassembler({ side: 'host', now: () => 0 });
      const out = vector.ctaphid.reports.flatMap((r) => reassembler.push(unhex(r)));
      expect(out, vector.name).toHaveLength(1);
      const message = out[0] as HidMessage;
      expect({ cid: message.cid, command: message.command, payload: hex(message.payload) }, vector.name).toEqual({
        cid,
        command: vector.command,
        payload: vector.payload,
      });
    }
  });

  it('a seeded emulator answers every request vector with the recorded replies, byte for byte', async () => {
    const fresh = await emulatorExchanges();
    expect(fresh.map((e) => e.name)).toEqual(emulator.exchanges.map((e) => e.name));
    fresh.forEach((exchange, i) => {
      const recorded = emulator.exchanges[i];
      expect(exchange.request.frame, exchange.name).toBe(recorded.request.frame);
      expect(
        exchange.replies.map((r) => r.frame),
        exchange.name,
      ).toEqual(recorded.replies.map((r) => r.frame));
    });
  });
});

describe('nanopb options (proto/band.options, proto/debug.options)', () => {
  it('are generated from the bounds the schema documents', () => {
    expect(() =>
      execFileSync('node', ['proto/gen-options.mjs', '--check'], { cwd: REPO_ROOT, stdio: 'pipe' }),
    ).not.toThrow();
  });

  it('agree with the limits the code enforces', () => {
    const { max, callbacks } = readOptionBounds(REPO_ROOT);
    expect(max.get('CompleteEnrollmentRequest.label')).toBe(MAX_LABEL_CHARS);
    expect(max.get('CompleteEnrollmentRequest.user_name')).toBe(MAX_USER_NAME_BYTES);
    expect(max.get('GetInfoResponse.serial_number')).toBe('AAAH-00125'.length);
    expect(max.get('GetInfoResponse.device_id')).toBe(16);
    expect([...callbacks]).toEqual(['FidoCredential.rp_id']);
    const unitBound = execFileSync(
      'node',
      ['--input-type=module', '-e', "import { UNIT_BOUND } from './proto/gen-options.mjs'; console.log(UNIT_BOUND)"],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    expect(Number(unitBound)).toBe(MAX_UNIT_PAYLOAD);
  });
});
