import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The repository root: the nearest ancestor holding package.json (this test may run from a compiled copy). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('no package.json above this test; run it inside the repository');
    dir = parent;
  }
  return dir;
}

/** host/ may not import firmware-sim/, so these files exist twice; they must not drift apart. */
describe('files shared by the band and the host', () => {
  it.each(['canonical-cbor.ts', 'status.ts'])('%s is identical in firmware-sim/ctap2 and host/fido2', (name) => {
    const root = repoRoot();
    const band = readFileSync(join(root, 'firmware-sim', 'ctap2', name), 'utf8');
    const host = readFileSync(join(root, 'host', 'fido2', name), 'utf8');
    expect(host).toBe(band);
  });
});
