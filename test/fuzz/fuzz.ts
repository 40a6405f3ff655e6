/**
 * `npm run fuzz -- --runs N`: feeds mutated and generated inputs to every decoder of a live band (see targets.ts)
 * and fails on an uncaught exception, an error the band absorbed into CTAPHID ERROR OTHER, an input that takes
 * more than 100 ms of CPU (in each of three runs, after the first 200 inputs that compile the band's code), a
 * request that hangs, or a band that
 * stops answering GetInfo. Prints inputs and time per decoder; on a failure, the reproducing input in hex, and
 * exits 1. Reproduce one with `--decoder NAME --replay HEX`.
 *
 *   --runs N          inputs per decoder (default 10 000)
 *   --budget-ms MS    stop each decoder after MS / (number of decoders) of wall time, whichever comes first
 *   --decoder NAME    only this decoder (repeatable, or comma-separated); --list shows them
 *   --seed S          the run's seed (default 1): the same seed gives the same inputs
 *   --json            one JSON document instead of the table
 *   --progress N      a line on stderr every N inputs (long runs)
 */
import { parseArgs } from 'node:util';
import { FuzzFailure } from './live-band.js';
import { Random, hex, mutate } from './mutate.js';
import { TARGETS, type FuzzTarget } from './targets.js';

/** An input may take this much CPU time (issue 11: "an input taking over 100 ms"). */
export const MAX_INPUT_MS = 100;
/** Inputs during which the band's code is still being compiled: not timed against the limit. */
const WARM_UP = 200;
/** GetInfo is asked every this many inputs, and after the last. */
const ALIVE_EVERY = 512;
/** Inputs that were accepted join the corpus (bounded), so mutations build on what got deep. */
const MAX_CORPUS = 256;

interface DecoderReport {
  decoder: string;
  inputs: number;
  accepted: number;
  refused: number;
  seconds: number;
  inputsPerSecond: number;
  slowestMs: number;
}

interface Failure {
  decoder: string;
  kind: string;
  input: string;
  message: string;
}

let current: { decoder: string; input: Uint8Array } | undefined;
let progressEvery = 0;
let escaped: unknown;
// Whatever escapes the awaited chains (a timer, a stray promise) is caught here and pinned on the input being fed.
process.on('uncaughtException', (error) => (escaped ??= error));
process.on('unhandledRejection', (error) => (escaped ??= error));

const asError = (value: unknown) =>
  value instanceof Error ? value : new Error(`a non-Error was thrown: ${String(value)}`);

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

async function timed(target: FuzzTarget, input: Uint8Array): Promise<{ verdict: string; ms: number }> {
  const start = cpuMs();
  const verdict = await target.run(input);
  return { verdict, ms: cpuMs() - start };
}

async function fuzzOne(
  target: FuzzTarget,
  runs: number,
  deadline: number,
  random: Random,
): Promise<{ report: DecoderReport; failure?: Failure }> {
  const corpus = [...target.seeds];
  const report: DecoderReport = {
    decoder: target.name,
    inputs: 0,
    accepted: 0,
    refused: 0,
    seconds: 0,
    inputsPerSecond: 0,
    slowestMs: 0,
  };
  const started = performance.now();
  let input: Uint8Array = new Uint8Array(0);
  const fail = (kind: string, error: unknown): Failure => ({
    decoder: target.name,
    kind,
    input: hex(input),
    message: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  try {
    for (let i = 0; i < runs && (i === 0 || Date.now() < deadline); i++) {
      // Seeds first as they are, then mutations of the corpus, and generated inputs where the target has a generator.
      if (i < target.seeds.length) input = target.seeds[i];
      else if (target.generate && random.chance(0.25)) input = target.generate(random);
      else input = mutate(random, random.pick(corpus), corpus, target.maxLength);
      current = { decoder: target.name, input };
      let { verdict, ms } = await timed(target, input);
      // Process CPU time also counts V8's compiler and GC threads: the first inputs pay for compiling the band's
      // code, and a collection can land on any input. The input's own cost is the least of three runs.
      for (let attempt = 1; ms > MAX_INPUT_MS && i >= WARM_UP && attempt < 3; attempt++) {
        const again = await timed(target, input);
        verdict = again.verdict;
        ms = Math.min(ms, again.ms);
      }
      if (ms > MAX_INPUT_MS && i >= WARM_UP) {
        throw new FuzzFailure(
          'slow',
          `the input took ${ms.toFixed(1)} ms of CPU in each of 3 runs (limit ${MAX_INPUT_MS} ms)`,
        );
      }
      if (escaped !== undefined) throw asError(escaped);
      report.inputs++;
      report.slowestMs = Math.max(report.slowestMs, ms);
      if (verdict === 'accepted') {
        report.accepted++;
        if (corpus.length < MAX_CORPUS) corpus.push(input);
        else if (random.chance(0.01))
          corpus[target.seeds.length + random.int(MAX_CORPUS - target.seeds.length)] = input;
      } else report.refused++;
      if (i % ALIVE_EVERY === ALIVE_EVERY - 1) await target.alive();
      if (progressEvery > 0 && report.inputs % progressEvery === 0) {
        const seconds = (performance.now() - started) / 1000;
        console.error(`${target.name}: ${report.inputs} inputs in ${seconds.toFixed(0)} s`);
      }
    }
    await target.alive();
    if (escaped !== undefined) throw asError(escaped);
    return { report: finish(report, started) };
  } catch (error) {
    const kind = error instanceof FuzzFailure ? error.kind : 'exception';
    return { report: finish(report, started), failure: fail(kind, error) };
  } finally {
    current = undefined;
    await target.close().catch(() => undefined);
  }
}

function finish(report: DecoderReport, started: number): DecoderReport {
  report.seconds = (performance.now() - started) / 1000;
  report.inputsPerSecond = report.seconds > 0 ? Math.round(report.inputs / report.seconds) : 0;
  report.slowestMs = Math.round(report.slowestMs * 10) / 10;
  return report;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' },
      'budget-ms': { type: 'string' },
      decoder: { type: 'string', multiple: true },
      seed: { type: 'string' },
      replay: { type: 'string' },
      list: { type: 'boolean' },
      json: { type: 'boolean' },
      progress: { type: 'string' },
    },
  });
  progressEvery = values.progress === undefined ? 0 : Number(values.progress);
  if (values.list) {
    for (const t of TARGETS)
      console.log(`${t.name.padEnd(34)} ${t.description}${t.hidden ? ' (not run by default)' : ''}`);
    return 0;
  }
  const runs = values.runs === undefined ? 10_000 : Number(values.runs);
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  const budget = values['budget-ms'] === undefined ? Infinity : Number(values['budget-ms']);
  for (const [flag, n] of [
    ['--runs', runs],
    ['--seed', seed],
    ['--budget-ms', budget],
  ] as const) {
    if (!(n >= 0)) {
      console.error(`fuzz: expected ${flag} to be a non-negative number`);
      return 2;
    }
  }
  const wanted = values.decoder?.flatMap((d) => d.split(',')).filter(Boolean);
  const unknown = wanted?.filter((name) => !TARGETS.some((t) => t.name === name)) ?? [];
  if (unknown.length > 0) {
    console.error(
      `fuzz: unknown decoder(s) ${unknown.join(', ')}; expected one of ${TARGETS.map((t) => t.name).join(', ')}`,
    );
    return 2;
  }
  const chosen = TARGETS.filter((t) => (wanted ? wanted.includes(t.name) : !t.hidden));

  if (values.replay !== undefined) {
    if (chosen.length !== 1) {
      console.error('fuzz: --replay needs exactly one --decoder');
      return 2;
    }
    const target = await chosen[0].create();
    const input = Uint8Array.from(Buffer.from(values.replay, 'hex'));
    try {
      const { verdict, ms } = await timed(target, input);
      await target.alive();
      if (escaped !== undefined) throw asError(escaped);
      console.log(`${target.name}: ${verdict} in ${ms.toFixed(1)} ms of CPU; the band still answers GetInfo`);
      return 0;
    } catch (error) {
      console.error(
        `${target.name}: FAILED on the replayed input:\n${error instanceof Error ? error.stack : String(error)}`,
      );
      return 1;
    } finally {
      await target.close();
    }
  }

  const reports: DecoderReport[] = [];
  const failures: Failure[] = [];
  const perDecoderMs = budget / chosen.length;
  for (const [index, factory] of chosen.entries()) {
    const target = await factory.create();
    const { report, failure } = await fuzzOne(target, runs, Date.now() + perDecoderMs, new Random(seed * 1000 + index));
    reports.push(report);
    if (failure) failures.push(failure);
    if (!values.json) {
      console.log(
        `${report.decoder.padEnd(34)} ${String(report.inputs).padStart(9)} inputs  ${report.seconds.toFixed(1).padStart(7)} s  ` +
          `${String(report.inputsPerSecond).padStart(7)}/s  accepted ${report.accepted}, refused ${report.refused}, slowest ${report.slowestMs} ms` +
          (failure ? '  FAILED' : ''),
      );
    }
  }
  if (values.json) {
    console.log(JSON.stringify({ ok: failures.length === 0, seed, reports, failures }, null, 2));
  } else {
    const total = reports.reduce((n, r) => n + r.inputs, 0);
    const seconds = reports.reduce((n, r) => n + r.seconds, 0);
    console.log(
      `${total} inputs to ${reports.length} decoders in ${seconds.toFixed(1)} s, seed ${seed}: ${failures.length} failed`,
    );
    for (const f of failures) {
      console.error(
        `\nFAILED ${f.decoder} (${f.kind}):\n${f.message}\n` +
          `input (${f.input.length / 2} bytes): ${f.input}\n` +
          `reproduce: npm run fuzz -- --decoder ${f.decoder} --replay ${f.input.length > 2000 ? '<the hex above>' : f.input}`,
      );
    }
  }
  return failures.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      `fuzz: ${current ? `while feeding ${current.decoder} ${hex(current.input)}: ` : ''}${error instanceof Error ? error.stack : String(error)}`,
    );
    process.exit(1);
  },
);
