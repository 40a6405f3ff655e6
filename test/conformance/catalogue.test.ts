import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, type Need } from '../../host/conformance/index.js';

const root = new URL('../..', import.meta.url).pathname;
const NEEDS: Need[] = ['debug-link', 'fido2', 'hid', 'framed', 'erase'];

/** The rows of docs/conformance.md's catalogue table: id, requirement, source, needs. */
function documented(): { id: string; title: string; source: string; needs: string[] }[] {
  const text = readFileSync(`${root}docs/conformance.md`, 'utf8');
  return text
    .split('\n')
    .filter((line) => /^\| [A-Z0-9]+-\d{3} \|/.test(line))
    .map((line) => {
      const cells = line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replace(/\\\|/g, '|'));
      return { id: cells[0], title: cells[1], source: cells[2], needs: cells[3] === '—' ? [] : cells[3].split(', ') };
    });
}

describe('the conformance catalogue', () => {
  it('docs/conformance.md lists exactly the ids the code runs, in the same order', () => {
    expect(documented().map((r) => r.id)).toEqual(CATALOGUE.map((r) => r.id));
  });

  it('the table says what the code says: requirement, source and needs of every row', () => {
    expect(documented()).toEqual(
      CATALOGUE.map((r) => ({ id: r.id, title: r.title, source: r.source, needs: r.needs })),
    );
  });

  it('ids are unique GROUP-NNN, numbered upwards within each group; every entry is complete', () => {
    expect(new Set(CATALOGUE.map((r) => r.id)).size).toBe(CATALOGUE.length);
    const last = new Map<string, number>();
    for (const r of CATALOGUE) {
      const m = /^(FRAME|HID|PROTO|STATE|ENROLL|AUTH|WIPE|FIDO2)-(\d{3})$/.exec(r.id);
      expect(m, r.id).not.toBeNull();
      expect(Number(m![2])).toBeGreaterThan(last.get(m![1]) ?? 0);
      last.set(m![1], Number(m![2]));
      expect(r.title.length, r.id).toBeGreaterThan(10);
      expect(r.source, r.id).toMatch(/docs\/|\.proto|CTAP 2\.1|WebAuthn/);
      for (const need of r.needs) expect(NEEDS).toContain(need);
      expect(typeof r.run).toBe('function');
    }
  });

  it('covers every group with at least 40 requirements in all', () => {
    const groups = new Map<string, number>();
    for (const r of CATALOGUE) groups.set(r.id.split('-')[0], (groups.get(r.id.split('-')[0]) ?? 0) + 1);
    expect([...groups.keys()]).toEqual(['FRAME', 'HID', 'PROTO', 'STATE', 'ENROLL', 'AUTH', 'WIPE', 'FIDO2']);
    expect(CATALOGUE.length).toBeGreaterThanOrEqual(40);
  });
});
