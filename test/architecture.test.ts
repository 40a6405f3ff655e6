import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Arrows point down: host -> transport -> proto, firmware-sim -> transport -> proto. Library code never
 * imports sideways or up. The composition roots (programs that build a whole system in one process: the
 * demo and bandctl's in-process loopback band) are the one listed exception, and only through
 * firmware-sim's public index.
 */
const root = new URL('..', import.meta.url).pathname;
const COMPOSITION_ROOTS = new Set(['host/demo.ts', 'host/cli/loopback-band.ts']);

function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/g)].map((m) =>
    relative(root, join(root, file, '..', m[1])),
  );
}

const layerOf = (path: string) => path.split('/')[0];
const allowed: Record<string, string[]> = {
  proto: ['proto'],
  transport: ['transport', 'proto'],
  'firmware-sim': ['firmware-sim', 'transport', 'proto'],
  host: ['host', 'transport', 'proto'],
};

describe('architecture', () => {
  for (const layer of Object.keys(allowed)) {
    it(`${layer}/ imports only ${allowed[layer].join(', ')}`, () => {
      const violations = sources(layer).flatMap((file) =>
        importsOf(file)
          .filter((target) => !allowed[layer].includes(layerOf(target)))
          .filter((target) => !(COMPOSITION_ROOTS.has(file) && target === 'firmware-sim/index.js'))
          .map((target) => `${file} -> ${target}`),
      );
      expect(violations).toEqual([]);
    });
  }

  it('no module imports itself back through others (type imports count: a circle is one concept split in two)', () => {
    const graph = new Map(
      Object.keys(allowed)
        .flatMap(sources)
        .map((file) => [file, importsOf(file).map((target) => target.replace(/\.js$/, '.ts'))] as const),
    );
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'open');
      path.push(file);
      for (const target of graph.get(file) ?? []) {
        if (!graph.has(target)) continue;
        if (state.get(target) === 'open') circles.push([...path.slice(path.indexOf(target)), target].join(' -> '));
        else if (!state.has(target)) visit(target);
      }
      path.pop();
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file);
    expect(circles).toEqual([]);
  });
});
