import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CC, NANOPB, systemTool } from '../support/system-deps.js';
import { REPO_ROOT, VECTOR_DIR, type Exchange, type UnitVector, type VectorFile } from './generate.js';

/**
 * The proof for C firmware: Debian's nanopb compiles the schema with proto/*.options to static-buffer structs, the
 * reference frame codec (proto/c) builds warning-free as C99, and a small program built from both decodes and
 * re-encodes every golden vector byte for byte.
 */
const cc = systemTool(CC);
const nanopb = cc.ok ? systemTool(NANOPB) : cc;
const ready = cc.ok && nanopb.ok;

const read = <T>(name: string): T => JSON.parse(readFileSync(`${VECTOR_DIR}/${name}`, 'utf8')) as T;
const protocolVectors = [...read<VectorFile>('band.json').vectors, ...read<VectorFile>('debug.json').vectors];
const exchanges = read<{ exchanges: Exchange[] }>('emulator.json').exchanges;
const frameVectors: UnitVector[] = [
  ...protocolVectors,
  ...read<VectorFile>('wire-refusals.json').vectors,
  ...exchanges.flatMap((e) => [e.request, ...e.replies]),
];

describe.skipIf(!ready)('C firmware kit: nanopb structs and the reference frame codec', () => {
  let dir = '';
  let program = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'band-c-'));
    execFileSync('nanopb_generator.py', ['-q', '-I', 'proto', '-D', dir, 'proto/band.proto', 'proto/debug.proto'], {
      cwd: REPO_ROOT,
      stdio: 'pipe',
    });
    program = join(dir, 'roundtrip');
    execFileSync(
      'cc',
      [
        '-std=c99',
        '-Wall',
        '-Wextra',
        '-Werror',
        '-pedantic',
        '-I',
        dir,
        '-I',
        'proto/c',
        '-o',
        program,
        'test/vectors/c/roundtrip.c',
        join(dir, 'band.pb.c'),
        join(dir, 'debug.pb.c'),
        'proto/c/band_frame.c',
        '-lprotobuf-nanopb',
      ],
      { cwd: REPO_ROOT, stdio: 'pipe' },
    );
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** One request line per input, one answer line per request (the stream kind answers 1 + N lines). */
  const run = (lines: string[]): string[] =>
    execFileSync(program, { input: `${lines.join('\n')}\n`, encoding: 'utf8', maxBuffer: 64 << 20 })
      .trimEnd()
      .split('\n');

  it('the generated structs use static buffers only, with the one documented callback', () => {
    const header = readFileSync(join(dir, 'band.pb.h'), 'utf8') + readFileSync(join(dir, 'debug.pb.h'), 'utf8');
    const callbacks = header.match(/pb_callback_t \w+;/g);
    // rp_id (bounded only by the unit) and BandMessage's submsg_callback that lets a band set it.
    expect(callbacks).toEqual(['pb_callback_t rp_id;', 'pb_callback_t cb_body;']);
  });

  it(`decodes and re-encodes every protobuf vector byte for byte (${protocolVectors.length})`, () => {
    const answers = run(protocolVectors.map((v) => `${v.message} ${v.payload}`));
    expect(answers).toHaveLength(protocolVectors.length);
    protocolVectors.forEach((v, i) => expect(answers[i], v.name).toBe(`ok ${v.payload}`));
  });

  it(`decodes and re-encodes every frame vector byte for byte (${frameVectors.length})`, () => {
    const answers = run(frameVectors.map((v) => `frame ${v.frame}`));
    expect(answers).toHaveLength(frameVectors.length);
    frameVectors.forEach((v, i) =>
      expect(answers[i], v.name).toBe(`ok ${v.command.toString(16).padStart(2, '0')} ${v.payload} ${v.frame}`),
    );
  });

  it('reads the frames back to back a byte at a time, dropping a corrupted one and resynchronising', () => {
    const frames = frameVectors.map((v) => v.frame);
    // Flip one payload bit in the third frame: its CRC fails, the frames around it still arrive.
    const damaged = frames.map((f, i) =>
      i === 2 ? f.slice(0, 6) + (parseInt(f.slice(6, 8), 16) ^ 0x01).toString(16).padStart(2, '0') + f.slice(8) : f,
    );
    const answers = run([`stream 00${damaged.join('')}`]);
    expect(answers[0]).toBe(`ok ${frames.length}`);
    frameVectors.forEach((v, i) =>
      expect(answers[1 + i], v.name).toBe(
        i === 2 ? 'drop FRAME_CRC' : `unit ${v.command.toString(16).padStart(2, '0')} ${v.payload}`,
      ),
    );
  });

  it('refuses what the host refuses: damaged COBS, short frames, bad commands', () => {
    expect(run(['frame 00', 'frame 0500', 'frame 0201020300', 'frame 02ff00'])).toEqual([
      'error decode: FRAME_COBS',
      'error decode: FRAME_COBS',
      'error decode: FRAME_TOO_SHORT',
      'error decode: FRAME_TOO_SHORT',
    ]);
  });
});
