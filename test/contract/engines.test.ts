import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * package.json `engines.node` says which Node versions the package runs on. It is only true when every package
 * it loads runs on all of them: each runtime dependency's own `engines.node` must admit every version ours admits,
 * and the tools a contributor runs (dev dependencies) must at least run on our minimum.
 */
const ROOT = new URL('../..', import.meta.url).pathname;

/** npm's own range semantics (the part used here), typed in place so the test needs no @types package. */
const semver = createRequire(import.meta.url)('semver') as {
  validRange(range: string): string | null;
  minVersion(range: string): { version: string; major: number } | null;
  satisfies(version: string, range: string): boolean;
};

interface Manifest {
  name: string;
  version: string;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const read = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

/** Node's resolution: the nearest node_modules/NAME from `from` upwards. */
function resolveFrom(from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === ROOT || dirname(dir) === dir) return undefined;
  }
}

/** Every installed package reachable from `names`, through dependencies, optional and peer dependencies. */
function closure(names: string[]): Map<string, Manifest> {
  const found = new Map<string, Manifest>();
  const visit = (from: string, name: string) => {
    const dir = resolveFrom(from, name);
    if (!dir || found.has(dir)) return;
    const manifest = read(dir);
    found.set(dir, manifest);
    for (const next of Object.keys({
      ...manifest.dependencies,
      ...manifest.optionalDependencies,
      ...manifest.peerDependencies,
    }))
      visit(dir, next);
  };
  for (const name of names) visit(ROOT, name);
  return found;
}

describe('package.json engines.node is true', () => {
  const ours = read(ROOT);
  const range = ours.engines?.node ?? '';
  const runtime = closure(
    Object.keys({ ...ours.dependencies, ...ours.optionalDependencies, ...ours.peerDependencies }),
  );

  it('is a valid range', () => {
    expect(semver.validRange(range), range).not.toBeNull();
  });

  it('every runtime dependency (and theirs) admits every Node version we admit', () => {
    // semver.subset does not join a range's alternatives (`^20 || >=21` is not taken to cover `>=20.19`), so the
    // versions where ranges change are checked instead: our minimum, and the first and a late release of every
    // major from ours on, which catches a dependency that skips a line or the start of one (`^22.13`).
    const minimum = semver.minVersion(range)!;
    const probes = [minimum.version];
    for (let major = minimum.major; major <= minimum.major + 20; major++) probes.push(`${major}.0.0`, `${major}.99.0`);
    const admitted = probes.filter((v) => semver.satisfies(v, range));
    const narrower = [...runtime.values()].flatMap((m) => {
      const theirs = m.engines?.node;
      const refused = theirs === undefined ? [] : admitted.filter((v) => !semver.satisfies(v, theirs));
      return refused.length > 0 ? [`${m.name}@${m.version} wants node ${theirs}, refusing ${refused.join(', ')}`] : [];
    });
    expect(narrower, `engines.node is ${range}`).toEqual([]);
    // Not vacuous: runtime packages that state an engines range are in the walk (@noble/curves, which sets our
    // minimum, is now a dev dependency: the next test holds it).
    expect([...runtime.values()].map((m) => m.name)).toEqual(
      expect.arrayContaining(['serialport', '@serialport/bindings-cpp', 'protobufjs']),
    );
  });

  it('every dev tool runs on our minimum Node version', () => {
    const minimum = semver.minVersion(range)!.version;
    const tools = closure(Object.keys(ours.devDependencies ?? {}));
    // Not vacuous: the packages that set our minimum are in the walk.
    expect([...tools.values()].map((m) => m.name)).toEqual(expect.arrayContaining(['@noble/curves', '@noble/hashes']));
    const refusing = [...tools.values()]
      .filter((m) => m.engines?.node !== undefined && !semver.satisfies(minimum, m.engines.node))
      .map((m) => `${m.name}@${m.version} wants node ${m.engines!.node}`);
    expect(refusing, `minimum ${minimum}`).toEqual([]);
  });

  it('the Node running the tests is one we admit', () => {
    expect(semver.satisfies(process.version, range), `${process.version} vs ${range}`).toBe(true);
  });
});
