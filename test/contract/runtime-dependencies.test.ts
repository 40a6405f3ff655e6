import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * What a library user installs is `dependencies` (plus optional and peer dependencies), never `devDependencies`:
 * a package the shipped code loads must be in the first, and a package only tests and tools load belongs in the
 * second (it would otherwise be downloaded, and its native build run, on every user's machine).
 */
const ROOT = new URL('../..', import.meta.url).pathname;
/** The directories `files` in package.json ships (compiled to dist/). */
const SHIPPED = ['proto', 'transport', 'firmware-sim', 'host'];

interface Manifest {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  exports: Record<string, unknown>;
  bin: Record<string, string>;
}
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;
const runtime = new Set(
  Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies, ...manifest.peerDependencies }),
);

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

/** `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`. */
const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** `createRequire(import.meta.url)('name')`: a CommonJS load from an ES module (an optional native addon). */
const CREATE_REQUIRE_CALL = /createRequire\([^)]*\)\(\s*['"]([^'"]+)['"]\s*\)/g;

/**
 * Every package (not a relative path, not a Node builtin) a shipped source loads: imports, static or dynamic, and
 * `require`/`createRequire(...)` calls.
 */
function packagesImported(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of SHIPPED.flatMap(sources)) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const { importedFiles } = ts.preProcessFile(text, true, true);
    const required = [...text.matchAll(CREATE_REQUIRE_CALL)].map((m) => ({ fileName: m[1] }));
    for (const { fileName } of [...importedFiles, ...required]) {
      if (fileName.startsWith('.') || fileName.startsWith('node:') || builtinModules.includes(fileName)) continue;
      const name = packageOf(fileName);
      found.set(name, [...(found.get(name) ?? []), file]);
    }
  }
  return found;
}

describe('runtime dependencies are what the shipped code loads', () => {
  const imported = packagesImported();

  it('every package the shipped code imports is a dependency, optional dependency or peer', () => {
    const missing = [...imported]
      .filter(([name]) => !runtime.has(name))
      .map(([name, files]) => `${name} (${files[0]})`);
    expect(missing).toEqual([]);
    // Not vacuous: the scan sees static and dynamic imports (the relying party loads @simplewebauthn/server lazily)
    // and createRequire loads (transport's CRC-32 addon).
    expect([...imported.keys()]).toEqual(
      expect.arrayContaining(['protobufjs', '@simplewebauthn/server', '@node-rs/crc32']),
    );
  });

  it('every dependency is imported by the shipped code (a test-only package is a devDependency)', () => {
    const unused = [...runtime].filter((name) => !imported.has(name));
    expect(unused).toEqual([]);
    expect(Object.keys(manifest.devDependencies ?? {})).toContain('cbor-x');
  });
});

/**
 * As a user's install lays it out: the shipped dist/ directories and package.json under node_modules/band-stack,
 * beside only the packages `dependencies` and `optionalDependencies` reach (the optional peer is left out, as a
 * user who does not ask for it has it). Every export and both programs must load there.
 */
describe('the package loads with only its runtime dependencies installed', () => {
  const consumer = mkdtempSync(join(tmpdir(), 'band-stack-consumer-'));
  afterAll(() => rmSync(consumer, { recursive: true, force: true }));

  function installed(): string {
    const modules = join(consumer, 'node_modules');
    const self = join(modules, 'band-stack');
    mkdirSync(self, { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(self, 'package.json'));
    for (const dir of SHIPPED) cpSync(join(ROOT, 'dist', dir), join(self, 'dist', dir), { recursive: true });
    // The runtime closure, each package linked from this checkout's node_modules (their own dependencies resolve
    // from where they really are; ours resolve only from here, since dist/ is a copy).
    const seen = new Set<string>();
    const visit = (name: string, optional: boolean) => {
      if (seen.has(name)) return;
      const dir = join(ROOT, 'node_modules', name);
      let theirs: Manifest;
      try {
        theirs = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
      } catch (error) {
        if (optional) return;
        throw new Error(`${name} is a dependency but node_modules has no copy of it: run npm ci`, { cause: error });
      }
      seen.add(name);
      mkdirSync(dirname(join(modules, name)), { recursive: true });
      symlinkSync(dir, join(modules, name), 'dir');
      for (const next of Object.keys(theirs.dependencies ?? {})) visit(next, false);
      for (const next of Object.keys(theirs.optionalDependencies ?? {})) visit(next, true);
    };
    for (const name of Object.keys(manifest.dependencies ?? {})) visit(name, false);
    for (const name of Object.keys(manifest.optionalDependencies ?? {})) visit(name, true);
    expect(seen.has('cbor-x')).toBe(false);
    return self;
  }

  it('imports every export and starts bandsim and bandctl', () => {
    const self = installed();
    const entries = Object.keys(manifest.exports)
      .filter((key) => !key.includes('*') && key !== './package.json')
      .map((key) => (key === '.' ? 'band-stack' : `band-stack/${key.slice(2)}`));
    expect(entries.length).toBeGreaterThanOrEqual(5);
    const script = `for (const entry of ${JSON.stringify(entries)}) { const m = await import(entry); if (Object.keys(m).length === 0) throw new Error(entry + ' exports nothing'); } console.log('loaded');`;
    const loaded = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: consumer,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(loaded.trim()).toBe('loaded');
    for (const bin of Object.values(manifest.bin)) {
      const out = execFileSync(process.execPath, [join(self, bin), '--help'], {
        cwd: consumer,
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(out).toMatch(/usage/i);
    }
  });
});
