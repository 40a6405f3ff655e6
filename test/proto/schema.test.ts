import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROTOC, systemTool } from '../support/system-deps.js';

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: 'pipe' });

describe('proto/ schema', () => {
  const protoc = systemTool(PROTOC);
  it.skipIf(!protoc.ok)('compiles with protoc', () => {
    expect(() =>
      run('protoc', ['--proto_path=proto', '--descriptor_set_out=/dev/null', 'proto/band.proto', 'proto/debug.proto']),
    ).not.toThrow();
  });

  it('is clean under buf lint (STANDARD)', () => {
    const out = (() => {
      try {
        return run('npx', ['--no-install', 'buf', 'lint', 'proto']);
      } catch (error) {
        return String((error as { stdout?: string }).stdout ?? error);
      }
    })();
    expect(out.trim()).toBe('');
  });

  it('has generated TypeScript types and descriptor in step with the .proto files', () => {
    expect(() => run('node', ['proto/gen-types.mjs', '--check'])).not.toThrow();
  });

  it('has generated wire encoders and decoders in step with the .proto files', () => {
    expect(() => run('node', ['proto/gen-codec.mjs', '--check'])).not.toThrow();
  });
});
