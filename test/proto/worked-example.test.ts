import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HostMessageCodec } from '../../proto/index.js';
import { Command, encodeFrame } from '../../transport/index.js';

// docs/protocol.md walks one GetInfo through every layer; this keeps the bytes on that page true.
describe('docs/protocol.md worked example', () => {
  const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
  const bytesAfter = (label: string) => {
    const line = doc.split('\n').find((l) => l.trimStart().startsWith(label));
    if (!line) throw new Error(`docs/protocol.md has no line starting with '${label}'`);
    return line
      .trimStart()
      .slice(label.length)
      .trim()
      .split(/\s+/)
      .filter((b) => /^[0-9a-f]{2}$/.test(b))
      .map((b) => parseInt(b, 16));
  };

  it('shows the real protobuf and framed bytes of GetInfo request 1', () => {
    const payload = HostMessageCodec.encode({
      requestId: 1,
      body: { case: 'getInfo', value: { hostVersion: { major: 1, minor: 0 } } },
    });
    expect(Array.from(payload)).toEqual(bytesAfter('unit        command 0x41 (BAND), payload'));
    expect(Array.from(encodeFrame({ command: Command.BAND, payload }))).toEqual(bytesAfter('on the wire'));
  });
});
