// Runs the whole vitest suite and ends with the plain line CI reads: `N passed, N failed[, N skipped]`.
// The counts come from vitest's JSON report, not its console summary. Exit code: non-zero on any failure,
// on a suite that could not load, or when no test ran.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

// The report stays where vitest says it wrote it (dist/, which git ignores): a path printed for a file deleted a
// moment later sends a reader after nothing.
mkdirSync('dist', { recursive: true });
const report = 'dist/test-report.json';
rmSync(report, { force: true });
const args = [
  'vitest',
  'run',
  '--config',
  'test/vitest.config.ts',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
];
const run = spawnSync('npx', args, { stdio: 'inherit', env: process.env });

let passed = 0;
let failed = 0;
let skipped = 0;
let suitesFailed = 0;
try {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  for (const file of json.testResults ?? []) {
    if (file.status === 'failed' && (file.assertionResults ?? []).every((t) => t.status !== 'failed')) suitesFailed++;
    for (const t of file.assertionResults ?? []) {
      if (t.status === 'passed') passed++;
      else if (t.status === 'failed') failed++;
      else skipped++;
    }
  }
} catch (error) {
  console.error(`could not read the vitest JSON report (${report}): ${error.message}`);
  failed++;
}
// A file that fails to load has no test results of its own; count it so it cannot pass silently.
failed += suitesFailed;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || run.status !== 0 || passed === 0 ? 1 : 0);
