import { describe, expect, it } from 'vitest';
import { runNode } from '../support/bandctl.js';

const dist = (path: string) => new URL(`../../dist/${path}`, import.meta.url).pathname;

/**
 * The codec's general path (messages the generated encoder does not take as they are) needs protobufjs' reflection;
 * a process that only sends well-typed messages must not load it (its modules and the schema's Root cost every band
 * and host process memory). Run in a fresh process, where nothing else has loaded protobufjs.
 */
describe('the codec loads protobufjs reflection only when a message needs it', () => {
  it('typed encode and decode leave it unloaded; the first converted or refused message loads it', async () => {
    const script = `
      import { createRequire } from 'node:module';
      const { HostMessageCodec, BandMessageCodec } = await import(${JSON.stringify(dist('proto/codec.js'))});
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((f) => f.endsWith('/protobufjs/src/root.js'));
      const typed = HostMessageCodec.encode({ requestId: 7, body: { case: 'getInfo', value: {} } });
      const decoded = HostMessageCodec.decode(typed);
      BandMessageCodec.decode(BandMessageCodec.encode({ requestId: 7 }));
      const before = loaded();
      let refused;
      try { HostMessageCodec.encode({ requestId: 7, bogus: 1 }); } catch (e) { refused = e.code + ': ' + e.message; }
      const converted = HostMessageCodec.encode({ requestId: '7', body: { case: 'getInfo', value: {} } });
      console.log(JSON.stringify({ before, after: loaded(), refused, same: Buffer.from(converted).equals(typed), id: decoded.requestId }));`;
    const run = await runNode(['--input-type=module', '-e', script]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(result).toEqual({
      before: false,
      after: true,
      refused: "INVALID: HostMessage has no field 'bogus'; check the schema in proto/",
      same: true,
      id: 7,
    });
  });
});
