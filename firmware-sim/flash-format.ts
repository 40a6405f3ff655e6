import { createHash, hash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * The journal's bytes. A file is a header and records, appended one per commit:
 *
 *   header  "BANDJRNL" | u16 format version (1) | u16 0 | u32 CRC-32 of the 12 bytes before it
 *   record  u32 body length | u32 CRC-32 of that length field | body | SHA-256 of the body
 *   body    u32 sequence | u8 kind (1 delta, 2 snapshot) | u16 puts  { u16 key length, key, u32 value length, value }
 *           | u16 deletes { u16 length, key } | u16 prefix deletes { u16 length, prefix }
 *
 * All integers little-endian. The CRC over the length lets a reader tell a damaged length (corruption)
 * from a record cut short by a power cut (a torn tail); the SHA-256 covers everything else.
 */
export const MAGIC = Buffer.from('BANDJRNL', 'ascii');
export const FORMAT_VERSION = 1;
export const HEADER_SIZE = 16;
const RECORD_OVERHEAD = 8 + 32;
/** No commit the band makes comes near this; a larger length field is damage, not data. */
export const MAX_BODY = 1 << 20;

export const KIND_DELTA = 1;
export const KIND_SNAPSHOT = 2;

export interface Commit {
  seq: number;
  kind: typeof KIND_DELTA | typeof KIND_SNAPSHOT;
  put: [string, Uint8Array][];
  del: readonly string[];
  delPrefix: readonly string[];
}

export function encodeHeader(): Uint8Array {
  const out = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(out, 0);
  out.writeUInt16LE(FORMAT_VERSION, 8);
  out.writeUInt16LE(0, 10);
  out.writeUInt32LE(crc32(out.subarray(0, 12)), 12);
  return new Uint8Array(out);
}

/** One record, written into a single buffer: the band appends one per commit (every assertion's counter). */
export function encodeRecord(commit: Commit): Uint8Array {
  const keyBytes = (s: string) => {
    const length = Buffer.byteLength(s, 'utf8');
    if (length > 0xffff) throw new RangeError(`a flash key is at most 65535 bytes; got ${length}`);
    return length;
  };
  let bodyLength = 4 + 1 + 2 + 2 + 2;
  for (const [key, value] of commit.put) bodyLength += 2 + keyBytes(key) + 4 + value.length;
  for (const key of commit.del) bodyLength += 2 + keyBytes(key);
  for (const prefix of commit.delPrefix) bodyLength += 2 + keyBytes(prefix);
  if (bodyLength > MAX_BODY) throw new RangeError(`a commit is at most ${MAX_BODY} bytes; this one is ${bodyLength}`);

  // Every byte is written below (header, body, digest), so the buffer need not be zeroed first.
  const out = Buffer.allocUnsafe(8 + bodyLength + 32);
  let at = 8;
  const str = (s: string) => {
    const length = out.write(s, at + 2, 'utf8');
    out.writeUInt16LE(length, at);
    at += 2 + length;
  };
  at = out.writeUInt32LE(commit.seq, at);
  at = out.writeUInt8(commit.kind, at);
  at = out.writeUInt16LE(commit.put.length, at);
  for (const [key, value] of commit.put) {
    str(key);
    at = out.writeUInt32LE(value.length, at);
    out.set(value, at);
    at += value.length;
  }
  at = out.writeUInt16LE(commit.del.length, at);
  for (const key of commit.del) str(key);
  at = out.writeUInt16LE(commit.delPrefix.length, at);
  for (const prefix of commit.delPrefix) str(prefix);
  out.writeUInt32LE(bodyLength, 0);
  out.writeUInt32LE(crc32(out.subarray(0, 4)), 4);
  const body = out.subarray(8, 8 + bodyLength);
  out.set(hash('sha256', body, 'buffer'), 8 + bodyLength);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

export interface Scan {
  commits: Commit[];
  /** Where the last whole record ends; bytes after it are a torn tail. */
  validEnd: number;
}

/** Reads a journal file. Throws `Damage` (with the offset) for anything a power cut cannot produce. */
export function scanJournal(bytes: Uint8Array): Scan {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buf.length < HEADER_SIZE) throw new Damage(0, `the header is ${buf.length} bytes, expected ${HEADER_SIZE}`);
  if (!buf.subarray(0, 8).equals(MAGIC)) throw new Damage(0, 'the header does not start with "BANDJRNL"');
  if (buf.readUInt32LE(12) !== crc32(buf.subarray(0, 12))) throw new Damage(0, 'the header checksum does not match');
  const version = buf.readUInt16LE(8);
  if (version !== FORMAT_VERSION)
    throw new Damage(8, `format version ${version}, this firmware reads version ${FORMAT_VERSION}`);

  const commits: Commit[] = [];
  let at = HEADER_SIZE;
  while (at < buf.length) {
    const left = buf.length - at;
    if (left < 8) break;
    const length = buf.readUInt32LE(at);
    if (buf.readUInt32LE(at + 4) !== crc32(buf.subarray(at, at + 4))) {
      throw new Damage(at, 'a record length checksum does not match');
    }
    if (length > MAX_BODY) throw new Damage(at, `a record claims ${length} bytes, more than the ${MAX_BODY} allowed`);
    if (left < length + RECORD_OVERHEAD) break;
    const body = buf.subarray(at + 8, at + 8 + length);
    const digest = buf.subarray(at + 8 + length, at + 8 + length + 32);
    if (!createHash('sha256').update(body).digest().equals(digest))
      throw new Damage(at, 'a record checksum (SHA-256) does not match');
    const commit = decodeBody(body, at);
    const previous = commits.at(-1);
    if (!previous && commit.kind !== KIND_SNAPSHOT) throw new Damage(at, 'the first record is not a snapshot');
    if (previous && commit.seq !== (previous.seq + 1) >>> 0) {
      throw new Damage(at, `record sequence ${commit.seq} follows ${previous.seq}`);
    }
    commits.push(commit);
    at += length + RECORD_OVERHEAD;
  }
  if (commits.length === 0) throw new Damage(HEADER_SIZE, 'there is no whole snapshot record after the header');
  return { commits, validEnd: at };
}

export class Damage extends Error {
  constructor(
    readonly offset: number,
    readonly problem: string,
  ) {
    super(`${problem} (at byte ${offset})`);
  }
}

function decodeBody(body: Buffer, offset: number): Commit {
  let at = 0;
  const need = (n: number) => {
    if (at + n > body.length) throw new Damage(offset, 'a record body ends in the middle of a field');
  };
  const u8 = () => (need(1), body.readUInt8((at += 1) - 1));
  const u16 = () => (need(2), body.readUInt16LE((at += 2) - 2));
  const u32 = () => (need(4), body.readUInt32LE((at += 4) - 4));
  const bytes = (n: number) => (need(n), new Uint8Array(body.subarray((at += n) - n, at)));
  const str = () => Buffer.from(bytes(u16())).toString('utf8');

  const seq = u32();
  const kind = u8();
  if (kind !== KIND_DELTA && kind !== KIND_SNAPSHOT) throw new Damage(offset, `unknown record kind ${kind}`);
  const put: [string, Uint8Array][] = [];
  for (let n = u16(); n > 0; n--) {
    const key = str();
    put.push([key, bytes(u32())]);
  }
  const del: string[] = [];
  for (let n = u16(); n > 0; n--) del.push(str());
  const delPrefix: string[] = [];
  for (let n = u16(); n > 0; n--) delPrefix.push(str());
  if (at !== body.length) throw new Damage(offset, `a record body has ${body.length - at} bytes after its last field`);
  return { seq, kind, put, del, delPrefix };
}
