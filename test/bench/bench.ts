/**
 * `npm run bench`: the project measured against real peers and physical floors in the same process, as
 * ratios project ÷ peer (above 1: the project is faster), interleaved rounds, median of rounds. Absolute times
 * are never compared: the machines are shared. Prints a table; `--json` prints one JSON document instead, every
 * figure as `{ project, peer, ratio, min, max }` (ops/s of each side, median ratio, lowest and highest round).
 * The fleet run (N bands in a child process, so its peak RSS is its own) reports wall time, peak RSS and
 * per-band cost at N = 100 and 1,000.
 *
 * Exit code 1 when a figure misses its target (a ratio below it is measured once more and fails only if it is
 * below again: a neighbour's burst of work can land on one measurement, a regression shows in both), or when a
 * check fails. `--short` (CI) runs every figure briefly and the fleet at N = 10 and 20, and judges only the
 * checks: shared machines are too noisy to judge ratios in a few milliseconds.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ctaphidFigures, frameFigures, protobufFigure, wireOverhead } from './codec-figures.js';
import { loopbackFigure, ptyFigures, socatAvailable } from './client-figures.js';
import { cryptoFigures } from './crypto-figures.js';
import type { Figure, Result } from './figure.js';
import { compare, sink, type CompareOptions } from './measure.js';
import type { FleetResult } from './fleet.js';

const FLEET_TARGETS = { wallMs: 8_000, peakRssBytes: 250 * 1024 * 1024, growth: 1.2 };

function runFleet(bands: number): FleetResult {
  const script = fileURLToPath(new URL('./fleet.js', import.meta.url));
  const out = execFileSync(process.execPath, [script, '--bands', String(bands)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as FleetResult;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)));
  return rows
    .map((r) =>
      r
        .map((cell, col) => (col === 0 || col === r.length - 1 ? cell.padEnd(widths[col]) : cell.padStart(widths[col])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const ops = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
const mb = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MB`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean' },
      short: { type: 'boolean' },
      'no-fleet': { type: 'boolean' },
      only: { type: 'string' },
    },
  });
  const short = values.short ?? false;
  const options: CompareOptions = short ? { rounds: 3, roundMs: 3, warmupMs: 10 } : {};
  const progress = (line: string) => process.stderr.write(line);

  const closers: (() => Promise<void>)[] = [];
  const figures: Figure[] = [...frameFigures(), ...ctaphidFigures(), protobufFigure()];
  const loopback = loopbackFigure();
  closers.push(loopback.close);
  figures.push(loopback.figure);
  const crypto = await cryptoFigures();
  closers.push(crypto.close);
  figures.push(...crypto.figures);
  let ptySkipped: string | undefined;
  if (socatAvailable()) {
    const pty = await ptyFigures();
    closers.push(pty.close);
    figures.push(...pty.figures);
  } else {
    ptySkipped = 'socat not installed (apt-get install socat): the pty figures are not measured';
    if (process.env.REQUIRE_SYSTEM_DEPS === '1') throw new Error(ptySkipped);
    progress(`${ptySkipped}\n`);
  }

  // --only KEY-PART measures the figures whose key contains it (while working on one of them).
  const chosen = values.only === undefined ? figures : figures.filter((f) => f.key.includes(values.only!));
  figures.splice(0, figures.length, ...chosen);
  const results: Record<string, Result> = {};
  const targets: Record<string, string> = {};
  const failed: string[] = [];
  try {
    for (const f of figures) {
      await f.check();
      progress(`measuring ${f.label} ...`);
      let result = await compare(f.project, f.peer, options);
      if (!short && f.target !== undefined && result.ratio < f.target) {
        const again = await compare(f.project, f.peer, options);
        if (again.ratio > result.ratio) result = again;
      }
      results[f.key] = result;
      if (f.target !== undefined) {
        targets[f.key] = `>= ${f.target}`;
        if (!short && result.ratio < f.target) failed.push(f.key);
      }
      progress(` ${result.ratio.toFixed(3)}\n`);
    }
  } finally {
    for (const close of closers) await close();
  }
  results.wire_overhead_1024 = wireOverhead();

  const sizes = values['no-fleet'] ? [] : short ? [10, 20] : [100, 1000];
  const fleet: Record<string, FleetResult> = {};
  for (const n of sizes) {
    progress(`fleet of ${n} bands ...`);
    fleet[n] = runFleet(n);
    progress(` ${Math.round(fleet[n].wallMs)} ms, ${mb(fleet[n].peakRssBytes)}\n`);
  }
  let growth: number | undefined;
  if (sizes.length === 2) {
    const [small, large] = sizes.map((n) => fleet[n]);
    // Per-band cost at the large N over the small N: 1 means flat (the fleet scales linearly).
    growth = large.perBandMs / small.perBandMs;
    results.fleet_per_band_growth = {
      project: large.perBandMs,
      peer: small.perBandMs,
      ratio: growth,
      min: growth,
      max: growth,
    };
    targets.fleet_per_band_growth = `<= ${FLEET_TARGETS.growth} (project: ms per band at N = ${sizes[1]}, peer: at N = ${sizes[0]})`;
    targets.fleet = `N = ${sizes[1]}: wallMs <= ${FLEET_TARGETS.wallMs}, peakRssBytes <= ${FLEET_TARGETS.peakRssBytes}`;
    if (!short) {
      if (growth > FLEET_TARGETS.growth) failed.push('fleet_per_band_growth');
      if (large.wallMs > FLEET_TARGETS.wallMs) failed.push('fleet_wall');
      if (large.peakRssBytes > FLEET_TARGETS.peakRssBytes) failed.push('fleet_rss');
    }
  }

  if (values.json) {
    const document = {
      node: process.version,
      short,
      figures: results,
      fleet,
      targets,
      failed,
      ...(ptySkipped ? { skipped: [ptySkipped] } : {}),
    };
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  } else {
    const rows = [['figure', 'project ops/s', 'peer ops/s', 'ratio', 'min', 'max', 'target']];
    for (const f of figures) {
      const r = results[f.key];
      const verdict =
        f.target === undefined ? '' : `>= ${f.target} ${short ? '' : failed.includes(f.key) ? 'FAIL' : 'ok'}`;
      rows.push([
        f.label,
        ops(r.project),
        ops(r.peer),
        r.ratio.toFixed(3),
        r.min.toFixed(3),
        r.max.toFixed(3),
        verdict,
      ]);
    }
    const w = results.wire_overhead_1024;
    rows.push([
      'serial wire bytes ÷ payload at 1 KiB',
      String(w.project),
      String(w.peer),
      w.ratio.toFixed(4),
      '',
      '',
      '',
    ]);
    console.log(table(rows));
    console.log();
    for (const n of sizes) {
      const r = fleet[n];
      console.log(
        `fleet of ${n} bands: ${Math.round(r.wallMs)} ms wall (${Math.round(r.cpuMs)} ms CPU), ${mb(r.peakRssBytes)} peak RSS, ${r.perBandMs.toFixed(2)} ms per band`,
      );
    }
    if (growth !== undefined) console.log(`per-band cost at N = ${sizes[1]} ÷ N = ${sizes[0]}: ${growth.toFixed(2)}`);
    console.log(
      short
        ? `short run: every check passed, ratios not judged (sink ${sink.value & 1})`
        : failed.length
          ? `missed targets: ${failed.join(', ')} (sink ${sink.value & 1})`
          : `every target met (sink ${sink.value & 1})`,
    );
  }
  return failed.length ? 1 : 0;
}

process.exitCode = await main();
