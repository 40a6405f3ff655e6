import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireBuilt, ROOT } from './processes.js';

/** The demo (`npm start`) as a newcomer meets it: its help, and the same numbered steps the README promises. */
beforeAll(requireBuilt);

const DEMO = join(ROOT, 'dist/host/demo.js');
const demo = (args: string[]) => spawnSync(process.execPath, [DEMO, ...args], { encoding: 'utf8', timeout: 60_000 });

/** The numbered items of the README's "What `npm start` shows", backticks removed. */
function readmeSteps(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## What `npm start` shows'));
  const body = section.slice(0, section.indexOf('\n## ', 5));
  return [...body.matchAll(/^(\d)\. (.*)$/gm)].map((m) => `${m[1]}. ${m[2].replace(/`/g, '')}`);
}

const firstWords = (line: string, n: number) =>
  line
    .split(/\s+/)
    .slice(0, n)
    .join(' ')
    .replace(/[,;:]$/, '');

describe('npm start', () => {
  it('-- --help prints the usage and exits 0', () => {
    const run = demo(['--help']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^npm start — the product document replayed/);
    expect(run.stdout).toMatch(/^usage: npm start \[-- --directory FILE\]$/m);
  });

  it('an unknown option is one line naming the help', () => {
    const run = demo(['--verbose']);
    expect(run.status).toBe(2);
    expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/--verbose.*; see 'npm start -- --help'\n$/);
  });

  it("numbers its steps as the README does, each starting with the README item's words", () => {
    const run = demo([]);
    expect(run.status, run.stderr).toBe(0);
    const shown = run.stdout.split('\n').filter((line) => /^\d\. /.test(line));
    const promised = readmeSteps();
    expect(promised).toHaveLength(5);
    expect(shown.map((l) => l.slice(0, 2))).toEqual(promised.map((l) => l.slice(0, 2)));
    shown.forEach((line, i) => expect(firstWords(line, 4), line).toBe(firstWords(promised[i], 4)));
  });
});

describe('git ignores what the README flow leaves behind', () => {
  it.each([
    '.band-directory.json',
    '.band-directory.json.rp.json',
    '.band-directory.json.progress.json',
    'my-directory.json.rp.json',
    'my-directory.json.progress.json',
    'band-state/flash.img',
    'session.txt',
    'conformance.xml',
  ])('%s', (path) => {
    const run = spawnSync('git', ['check-ignore', '--no-index', '-q', path], { cwd: ROOT });
    expect(run.status, `${path} is not ignored`).toBe(0);
  });
});
