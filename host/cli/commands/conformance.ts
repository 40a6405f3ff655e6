import { openTransport, recordTransport, type Transport } from '../../../transport/index.js';
import { CATALOGUE, runConformance, select, type RequirementResult } from '../../conformance/index.js';
import { parseCommand, parseInteger, type CliCommand, type CommandContext } from '../command.js';
import { ExitCode, ReportedFailure, UsageError } from '../exit-codes.js';
import { openLoopbackBand } from '../loopback-band.js';

export const conformanceCommand: CliCommand = {
  name: 'conformance',
  summary: 'run the conformance suite against the band: one line per requirement, the failed ones named',
  usage: `usage: bandctl [--transport URI] conformance [--only PREFIX[,PREFIX…]] [--requirement-timeout MS] [--list] [--json]

Runs the requirements of docs/conformance.md against the band at --transport, opening a fresh link for each
(with 'loopback', a fresh in-process band each time). Prints one line per requirement:

  PASS FRAME-001 PING echoes its payload unchanged …
  FAIL PROTO-004 every reply … carries its request's request_id — expected request_id 65536 …, got …
  SKIP ENROLL-001 start_enrollment …  (needs debug-link)

then a summary. Requirements that need the debug link (bandsim --debug-link), FIDO2, or raw CTAPHID reports
(udp-hid:, hid:) or raw frames (serial:, tcp:, loopback) the band or link lacks are skipped, with the reason.
Requirements that use the debug link change the band's state, including deleting its user data: run it on a
test band. --record keeps a readable log but hides raw access (the hid/framed requirements then skip).

  --only PREFIX        only requirements whose id starts with PREFIX (FRAME, PROTO-00, HID-003; comma-separated)
  --requirement-timeout MS
                       deadline per requirement (default 30000; some allow more)
  --list               print the catalogue (id, needs, title) without touching a band
  --json               {"ok", "passed", "failed", "skipped", "target", "results": [{id, title, source, status, detail, ms}]}

exit codes: 0 every requirement run passed · 1 at least one failed · 3 the band could not be reached`,
  async run(ctx) {
    const { values } = parseCommand('conformance', ctx.argv, {
      only: { type: 'string' },
      list: { type: 'boolean' },
      'requirement-timeout': { type: 'string' },
    });
    const only = values.only;
    const chosen = select(CATALOGUE, only);
    if (only !== undefined && chosen.length === 0) {
      throw new UsageError(
        `conformance: no requirement id starts with ${only}; groups: ${[...new Set(CATALOGUE.map((r) => r.id.split('-')[0]))].join(', ')}`,
      );
    }
    if (values.list) {
      ctx.out.result(
        { ok: true, requirements: chosen.map(({ id, title, source, needs }) => ({ id, title, source, needs })) },
        chosen.map((r) => `${r.id.padEnd(10)} ${(r.needs.join(',') || '-').padEnd(20)} ${r.title}`),
      );
      return;
    }
    const requirementTimeoutMs = parseInteger(
      'conformance',
      values['requirement-timeout'],
      '--requirement-timeout',
      30_000,
      1,
    );
    const report = await runConformance(opener(ctx), {
      only,
      requirementTimeoutMs,
      callTimeoutMs: ctx.global.timeoutMs,
      onResult: (result) => {
        if (!ctx.global.json) ctx.out.result(null, line(result));
      },
    });
    const ok = report.failed === 0;
    const summary = [
      '',
      `${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped — ${report.target.serialNumber ?? 'band'} (${report.target.firmwareVersion ?? 'firmware unknown'}) over ${ctx.global.transport}`,
      ...skipReasons(report.results),
    ];
    if (report.failed > 0)
      summary.push(
        `not conformant: ${report.results
          .filter((r) => r.status === 'fail')
          .map((r) => r.id)
          .join(', ')}`,
      );
    ctx.out.result(
      {
        ok,
        passed: report.passed,
        failed: report.failed,
        skipped: report.skipped,
        target: report.target,
        results: report.results,
      },
      summary,
    );
    if (!ok) throw new ReportedFailure(ExitCode.FAILED, `${report.failed} requirement(s) failed`);
  },
};

function opener(ctx: CommandContext): () => Promise<Transport> {
  const { transport: uri, record } = ctx.global;
  const open =
    uri === 'loopback' || uri.startsWith('loopback?') ? () => openLoopbackBand(uri) : () => openTransport(uri);
  if (!record) return open;
  return async () => recordTransport(await open(), record);
}

function line(result: RequirementResult): string {
  switch (result.status) {
    case 'pass':
      return `PASS ${result.id} ${result.title}`;
    case 'fail':
      return `FAIL ${result.id} ${result.title} — ${result.detail}`;
    case 'skip':
      return `SKIP ${result.id} ${result.title}  (${result.detail.split(':')[0]})`;
  }
}

/** One line per distinct reason for skipping, so the short "(needs X)" above is explained once. */
function skipReasons(results: RequirementResult[]): string[] {
  const reasons = new Map<string, number>();
  for (const r of results) if (r.status === 'skip') reasons.set(r.detail, (reasons.get(r.detail) ?? 0) + 1);
  return [...reasons].map(([reason, n]) => `skipped ${n}: ${reason}`);
}
