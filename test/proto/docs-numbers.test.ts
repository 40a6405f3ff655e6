import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEVICE_ID_BYTES,
  MAX_CREDENTIAL_COUNT_IN_LIST,
  MAX_DISCOVERABLE_CREDENTIALS,
  MAX_ERROR_MESSAGE_BYTES,
  MAX_FIDO_USER_NAME_BYTES,
  MAX_LABEL_CHARS,
  MAX_MESSAGE_SIZE,
  MAX_PIN_BYTES,
  MAX_USER_NAME_BYTES,
  MIN_PIN_LENGTH,
  SERIAL_NUMBER_FORM,
  SERIAL_NUMBER_PATTERN,
  CONT_DATA_SIZE,
  INIT_DATA_SIZE,
  MAX_SEQ,
  MAX_SERIALIZED_LARGE_BLOB_ARRAY,
} from '../../proto/index.js';
import { MAX_ENCODED_FRAME_LENGTH } from '../../transport/index.js';

/**
 * The documents quote proto's rules; each quotation is found by the words around it and must say what the constant
 * says. A check also fails when its words are gone, so rewording a document means updating this table, never
 * silently dropping the number.
 */
const root = new URL('../..', import.meta.url).pathname;
const read = (file: string) => readFileSync(`${root}${file}`, 'utf8');

interface Quote {
  file: string;
  /** Every capture group of every match must equal `value`. */
  pattern: RegExp;
  value: number | string;
  constant: string;
}

const quotes: Quote[] = [
  // The CTAPHID message ceiling.
  ...['README.md', 'docs/protocol.md'].map((file) => ({
    file,
    pattern: /payload ≤ (\d+) bytes/g,
    value: MAX_MESSAGE_SIZE,
    constant: 'MAX_MESSAGE_SIZE',
  })),
  {
    file: 'docs/protocol.md',
    pattern: /payload of at most (\d+) bytes/g,
    value: MAX_MESSAGE_SIZE,
    constant: 'MAX_MESSAGE_SIZE',
  },
  {
    file: 'docs/protocol.md',
    pattern: /largest unit payload \| (\d+) bytes/g,
    value: MAX_MESSAGE_SIZE,
    constant: 'MAX_MESSAGE_SIZE',
  },
  { file: 'docs/protocol.md', pattern: /\((\d+) \+ \d+ × \d+\)/g, value: INIT_DATA_SIZE, constant: 'INIT_DATA_SIZE' },
  { file: 'docs/protocol.md', pattern: /\(\d+ \+ (\d+) × \d+\)/g, value: MAX_SEQ + 1, constant: 'MAX_SEQ + 1' },
  { file: 'docs/protocol.md', pattern: /\(\d+ \+ \d+ × (\d+)\)/g, value: CONT_DATA_SIZE, constant: 'CONT_DATA_SIZE' },
  {
    file: 'docs/protocol.md',
    pattern: /\(1 \+ (\d+) \+ 4 CRC bytes/g,
    value: MAX_MESSAGE_SIZE,
    constant: 'MAX_MESSAGE_SIZE',
  },
  {
    file: 'docs/protocol.md',
    pattern: /(\d+) of COBS \(1 \+/g,
    value: MAX_ENCODED_FRAME_LENGTH,
    constant: 'MAX_ENCODED_FRAME_LENGTH',
  },
  {
    file: 'transport/README.md',
    pattern: /at most (\d+) payload bytes/g,
    value: MAX_MESSAGE_SIZE,
    constant: 'MAX_MESSAGE_SIZE',
  },
  {
    file: 'docs/conformance.md',
    pattern: /from 0 to (\d+) bytes/g,
    value: MAX_MESSAGE_SIZE,
    constant: 'MAX_MESSAGE_SIZE',
  },
  { file: 'docs/conformance.md', pattern: /a (\d+)-byte PING/g, value: MAX_MESSAGE_SIZE, constant: 'MAX_MESSAGE_SIZE' },
  {
    file: 'docs/conformance.md',
    pattern: /announcing more than (\d+) bytes/g,
    value: MAX_MESSAGE_SIZE,
    constant: 'MAX_MESSAGE_SIZE',
  },
  // Discoverable credentials and lists.
  {
    file: 'docs/protocol.md',
    pattern:
      /discoverable credentials \| (\d+) \(getInfo maxResidentCredentials; `ListFidoCredentialsResponse` lists at most (\d+)\)/g,
    value: MAX_DISCOVERABLE_CREDENTIALS,
    constant: 'MAX_DISCOVERABLE_CREDENTIALS',
  },
  {
    file: 'docs/band.md',
    pattern: /lists resident credentials \(newest first, at most (\d+)\)/g,
    value: MAX_DISCOVERABLE_CREDENTIALS,
    constant: 'MAX_DISCOVERABLE_CREDENTIALS',
  },
  {
    file: 'docs/conformance.md',
    pattern: /list_fido_credentials: .* at most (\d+) entries/g,
    value: MAX_DISCOVERABLE_CREDENTIALS,
    constant: 'MAX_DISCOVERABLE_CREDENTIALS',
  },
  {
    file: 'proto/band.proto',
    pattern: /Newest first, max (\d+) entries/g,
    value: MAX_DISCOVERABLE_CREDENTIALS,
    constant: 'MAX_DISCOVERABLE_CREDENTIALS',
  },
  {
    file: 'docs/protocol.md',
    pattern: /credentials per allow\/exclude list \| (\d+) /g,
    value: MAX_CREDENTIAL_COUNT_IN_LIST,
    constant: 'MAX_CREDENTIAL_COUNT_IN_LIST',
  },
  // PIN.
  {
    file: 'docs/protocol.md',
    pattern: /PIN \| at least (\d+) characters/g,
    value: MIN_PIN_LENGTH,
    constant: 'MIN_PIN_LENGTH',
  },
  {
    file: 'docs/protocol.md',
    pattern: /PIN \| .*at most (\d+) bytes of UTF-8/g,
    value: MAX_PIN_BYTES,
    constant: 'MAX_PIN_BYTES',
  },
  {
    file: 'docs/protocol.md',
    pattern: /WebAuthn user name kept with a discoverable credential \| at most (\d+) bytes/g,
    value: MAX_FIDO_USER_NAME_BYTES,
    constant: 'MAX_FIDO_USER_NAME_BYTES',
  },
  {
    file: 'docs/protocol.md',
    pattern: /refusal text \(`Error.message`\) \| at most (\d+) bytes/g,
    value: MAX_ERROR_MESSAGE_BYTES,
    constant: 'MAX_ERROR_MESSAGE_BYTES',
  },
  // Identifiers.
  {
    file: 'docs/band.md',
    pattern: /`serialNumber` \(`([^`]+)`/g,
    value: SERIAL_NUMBER_PATTERN.source,
    constant: 'SERIAL_NUMBER_PATTERN',
  },
  {
    file: 'docs/protocol.md',
    pattern: /serial number \| `([^`]+)`/g,
    value: SERIAL_NUMBER_PATTERN.source,
    constant: 'SERIAL_NUMBER_PATTERN',
  },
  {
    file: 'docs/conformance.md',
    pattern: /serial number is (four [a-z ,]+ digits)/g,
    value: SERIAL_NUMBER_FORM,
    constant: 'SERIAL_NUMBER_FORM',
  },
  {
    file: 'docs/band.md',
    pattern: /The device ID is\s+(\d+) random bytes/g,
    value: DEVICE_ID_BYTES,
    constant: 'DEVICE_ID_BYTES',
  },
  {
    file: 'docs/protocol.md',
    pattern: /device ID \| exactly (\d+) bytes/g,
    value: DEVICE_ID_BYTES,
    constant: 'DEVICE_ID_BYTES',
  },
  {
    file: 'docs/protocol.md',
    pattern: /device ID \| .* as (\d+) lower-case hex/g,
    value: DEVICE_ID_BYTES * 2,
    constant: 'DEVICE_ID_BYTES × 2',
  },
  // The large-blob array's ceiling (getInfo maxSerializedLargeBlobArray).
  {
    file: 'README.md',
    pattern: /large-blob array of at most\s+(\d+) bytes/g,
    value: MAX_SERIALIZED_LARGE_BLOB_ARRAY,
    constant: 'MAX_SERIALIZED_LARGE_BLOB_ARRAY',
  },
  {
    file: 'docs/band.md',
    pattern: /all its credentials, at most (\d+) bytes/g,
    value: MAX_SERIALIZED_LARGE_BLOB_ARRAY,
    constant: 'MAX_SERIALIZED_LARGE_BLOB_ARRAY',
  },
  {
    file: 'firmware-sim/ctap2/README.md',
    pattern: /maxSerializedLargeBlobArray (\d+) bytes/g,
    value: MAX_SERIALIZED_LARGE_BLOB_ARRAY,
    constant: 'MAX_SERIALIZED_LARGE_BLOB_ARRAY',
  },
  { file: 'docs/protocol.md', pattern: /device_id: ab×(\d+)/g, value: DEVICE_ID_BYTES, constant: 'DEVICE_ID_BYTES' },
  {
    file: 'docs/conformance.md',
    pattern: /device id is exactly (\d+) bytes/g,
    value: DEVICE_ID_BYTES,
    constant: 'DEVICE_ID_BYTES',
  },
  { file: 'proto/band.proto', pattern: /exactly (\d+) bytes/g, value: DEVICE_ID_BYTES, constant: 'DEVICE_ID_BYTES' },
  {
    file: 'docs/band.md',
    pattern: /user_name \(1\.\.(\d+) bytes/g,
    value: MAX_USER_NAME_BYTES,
    constant: 'MAX_USER_NAME_BYTES',
  },
  {
    file: 'docs/protocol.md',
    pattern: /user name \(band and directory alike\) \| 1\.\.(\d+) bytes/g,
    value: MAX_USER_NAME_BYTES,
    constant: 'MAX_USER_NAME_BYTES',
  },
  {
    file: 'docs/conformance.md',
    pattern: /user name of 0 or more than (\d+) bytes/g,
    value: MAX_USER_NAME_BYTES,
    constant: 'MAX_USER_NAME_BYTES',
  },
  {
    file: 'proto/band.proto',
    pattern: /directory name \((?:1\.\.|max )(\d+)\)/g,
    value: MAX_USER_NAME_BYTES,
    constant: 'MAX_USER_NAME_BYTES',
  },
  {
    file: 'docs/band.md',
    pattern: /custom label is at most (\d+) characters/g,
    value: MAX_LABEL_CHARS,
    constant: 'MAX_LABEL_CHARS',
  },
  {
    file: 'docs/domain.md',
    pattern: /custom label is at most (\d+) characters/g,
    value: MAX_LABEL_CHARS,
    constant: 'MAX_LABEL_CHARS',
  },
  {
    file: 'docs/domain.md',
    pattern: /printed on its back:\s+(four [a-z ,\s]+ digits)/g,
    value: SERIAL_NUMBER_FORM,
    constant: 'SERIAL_NUMBER_FORM',
  },
  {
    file: 'docs/band.md',
    pattern: /upper-cased, its first (\d+) characters/g,
    value: MAX_LABEL_CHARS,
    constant: 'MAX_LABEL_CHARS',
  },
  {
    file: 'docs/protocol.md',
    pattern: /band label \| at most (\d+) characters/g,
    value: MAX_LABEL_CHARS,
    constant: 'MAX_LABEL_CHARS',
  },
  { file: 'docs/conformance.md', pattern: /labels: ≤(\d+) of/g, value: MAX_LABEL_CHARS, constant: 'MAX_LABEL_CHARS' },
  { file: 'proto/band.proto', pattern: /label.*\(max (\d+)/g, value: MAX_LABEL_CHARS, constant: 'MAX_LABEL_CHARS' },
];

/** What `text` quotes for `q`, and which of those quotations differ from the constant. */
function quotations(q: Quote, text: string): { found: number; wrong: string[] } {
  const groups = [...text.matchAll(q.pattern)].flatMap((m) =>
    m.slice(1).map((group) => ({ line: text.slice(0, m.index).split('\n').length, group })),
  );
  const wrong = groups
    // Markdown wraps lines anywhere: a quoted phrase is compared with its white space as single spaces.
    .filter(({ group }) => (typeof q.value === 'number' ? Number(group) : group.replace(/\s+/g, ' ')) !== q.value)
    .map(({ line, group }) => `${q.file}:${line} says ${group} where ${q.constant} is ${q.value}`);
  return { found: groups.length, wrong };
}

describe("the documents quote proto's rules as the code has them", () => {
  it.each(quotes.map((q) => [`${q.file} ${q.pattern.source}`, q] as const))('%s', (_, q) => {
    const { found, wrong } = quotations(q, read(q.file));
    expect(found, `${q.file} no longer says ${q.pattern}; keep quoting ${q.constant} there`).toBeGreaterThan(0);
    expect(wrong).toEqual([]);
  });

  it('fails for a document that says 32 where the constant says 50', () => {
    const q = quotes.find((x) => x.file === 'docs/band.md' && x.constant === 'MAX_DISCOVERABLE_CREDENTIALS')!;
    const stale = 'list_fido_credentials lists resident credentials (newest first, at most 32), whole';
    expect(quotations(q, stale).wrong).toEqual([
      `docs/band.md:1 says 32 where MAX_DISCOVERABLE_CREDENTIALS is ${MAX_DISCOVERABLE_CREDENTIALS}`,
    ]);
  });
});
