import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BOOT, TRANSITIONS } from '../../firmware-sim/index.js';
import { BandStateValues } from '../../proto/index.js';

const doc = readFileSync(new URL('../../docs/band.md', import.meta.url), 'utf8');

function mermaidEdges(): string[] {
  const blocks = [...doc.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
  expect(blocks).toHaveLength(1);
  const lines = blocks[0]
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('%%'));
  expect(lines[0]).toBe('stateDiagram-v2');
  return lines.slice(1).map((line) => {
    const m = /^(\[\*\]|[A-Z_]+) --> ([A-Z_]+) : ([a-z_]+)$/.exec(line);
    if (!m) throw new Error(`docs/band.md: cannot read the Mermaid line ${JSON.stringify(line)}`);
    const state = (s: string) => (s === '[*]' ? BOOT : `BAND_STATE_${s}`);
    return `${state(m[1])} -> ${state(m[2])} on ${m[3]}`;
  });
}

const codeEdges = () => TRANSITIONS.map((t) => `${t.from} -> ${t.to} on ${t.on}`);

describe('the documented state machine is the code', () => {
  it('every Mermaid edge is in transitions.ts', () => {
    const code = new Set(codeEdges());
    expect(mermaidEdges().filter((e) => !code.has(e))).toEqual([]);
  });

  it('every transitions.ts edge is in the Mermaid diagram', () => {
    const drawn = new Set(mermaidEdges());
    expect(codeEdges().filter((e) => !drawn.has(e))).toEqual([]);
  });

  it('has no duplicate edges and names only real states', () => {
    expect(new Set(codeEdges()).size).toBe(TRANSITIONS.length);
    const states = new Set<string>(BandStateValues);
    for (const t of TRANSITIONS) {
      expect(states.has(t.to)).toBe(true);
      if (t.from !== BOOT) expect(states.has(t.from)).toBe(true);
    }
  });

  it('every state except UNSPECIFIED is reachable and documented', () => {
    const reached = new Set(TRANSITIONS.map((t) => t.to));
    for (const state of BandStateValues.filter((s) => s !== 'BAND_STATE_UNSPECIFIED')) {
      expect(reached.has(state), state).toBe(true);
      expect(doc).toContain(`| ${state.replace('BAND_STATE_', '')} |`);
    }
  });
});
