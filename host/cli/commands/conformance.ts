import { X509Certificate } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { openTransport, recordTransport, type Transport } from '../../../transport/index.js';
import {
  CATALOGUE,
  conformanceJUnit,
  mayErase,
  runConformance,
  select,
  type BandProfile,
  type Requirement,
  type RequirementResult,
  WEARER,
} from '../../conformance/index.js';
import { parseCommand, parseInteger, type CliCommand, type CliContext } from '../command.js';
import { ExitCode, ReportedFailure, UsageError } from '../exit-codes.js';
import { openLoopback } from '../connect.js';

export const conformanceCommand: CliCommand = {
  name: 'conformance',
  summary: 'run the conformance suite against the band: one line per requirement, the failed ones named',
  usage: `usage: bandctl [--transport URI] conformance [--destructive] [--junit FILE] [--only PREFIX[,PREFIX…]]
                                        [--requirement-timeout MS] [--attestation-root FILE]… [--list] [--json]

Requirements marked 'erase' wipe the band and enroll a test user: they delete the user data of the band at
--transport. They run only with --destructive, or on a band that holds no user data; otherwise they are skipped,
and the run says so first.

Runs the requirements of docs/conformance.md against the band at --transport, opening a fresh link for each
(with 'loopback', a fresh in-process band each time). Prints one line per requirement:

  PASS FRAME-001 PING echoes its payload unchanged …
  FAIL PROTO-004 every reply … carries its request's request_id — expected request_id 65536 …, got …
  SKIP ENROLL-001 start_enrollment …  (needs debug-link)

then a summary. Requirements that need the debug link (bandsim --debug-link), FIDO2, or raw CTAPHID reports
(udp-hid:, hid:) or raw frames (serial:, tcp:, loopback) the band or link lacks are skipped, with the reason.
Requirements that use the debug link change the band's state, including deleting its user data: run it on a
test band. --record keeps a readable log but hides raw access (the hid/framed requirements then skip).

  --destructive        also run the requirements that delete the band's user data (needs 'erase')
  --junit FILE         also write the results as JUnit XML (one testcase per requirement id) for a CI server
  --only PREFIX        only requirements whose id starts with PREFIX (FRAME, PROTO-00, HID-003; comma-separated)
  --requirement-timeout MS
                       deadline per requirement (default 30000; some allow more)
  --attestation-root FILE
                       (repeatable) the band model's root CA certificate, PEM or DER (bandsim writes its own with
                       --attestation-root-out FILE): the attestation requirements check the chain ends there
  --list               print the catalogue (id, needs, title) without touching a band
  --json               {"ok", "passed", "failed", "skipped", "target", "results": [{id, title, source, status, detail, ms}]}

exit codes: 0 every requirement run passed · 1 at least one failed · 3 the band could not be reached`,
  async run(ctx) {
    const { values } = parseCommand('conformance', ctx.argv, {
      only: { type: 'string' },
      list: { type: 'boolean' },
      'requirement-timeout': { type: 'string' },
      destructive: { type: 'boolean' },
      junit: { type: 'string' },
      'attestation-root': { type: 'string', multiple: true },
    });
    const destructive = values.destructive === true;
    const junit = values.junit;
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
    const attestationRoots = attestationRootFiles(values['attestation-root']);
    // Checked before the band is touched: a run whose report cannot be written is a wasted run.
    if (junit !== undefined) writable(junit);
    const startedAt = new Date();
    const report = await runConformance(opener(ctx), {
      only,
      requirementTimeoutMs,
      callTimeoutMs: ctx.global.timeoutMs,
      destructive,
      attestationRoots,
      onProbe: (profile) => {
        const note = eraseNote(profile, destructive, chosen);
        if (note && !ctx.global.json) ctx.out.result(null, note);
      },
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
    if (junit !== undefined) {
      writeFileSync(junit, conformanceJUnit(report, { transport: ctx.global.transport, startedAt, destructive }));
      summary.push(`JUnit XML written to ${junit}`);
    }
    ctx.out.result(
      {
        ok,
        passed: report.passed,
        failed: report.failed,
        skipped: report.skipped,
        target: report.target,
        erased: report.erased,
        results: report.results,
        ...(junit !== undefined ? { junit } : {}),
      },
      summary,
    );
    if (!ok) throw new ReportedFailure(ExitCode.FAILED, `${report.failed} requirement(s) failed`);
  },
};

/**
 * What the run will do to the band's user data, said before the first requirement: nothing when the band holds
 * none (fresh emulators, a blank test band), otherwise which requirements are skipped or which will erase it.
 */
function eraseNote(profile: BandProfile, destructive: boolean, chosen: Requirement[]): string | undefined {
  const erasing = chosen.filter((r) => r.needs.includes('erase')).length;
  if (erasing === 0 || profile.userData === null || profile.userData?.userName === WEARER.userName) return undefined;
  const band = profile.info?.serialNumber ?? 'the band';
  const whose = profile.userData?.userName ? `${profile.userData.userName}'s user data` : 'user data';
  if (mayErase(profile, { destructive })) {
    return `--destructive: ${erasing} requirement(s) will delete ${whose} on ${band} and leave a test user enrolled`;
  }
  return profile.userData
    ? `${band} holds ${whose}: the ${erasing} requirement(s) that delete it are skipped; run with --destructive to include them`
    : `cannot tell whether ${band} holds user data: the ${erasing} requirement(s) that delete it are skipped; run with --destructive to include them`;
}

/** The --attestation-root files, each read and parsed as a certificate before the band is touched. */
function attestationRootFiles(paths: string[] | undefined): Uint8Array[] {
  return (paths ?? []).map((path) => {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new UsageError(`conformance: cannot read --attestation-root ${path}: ${reason}; give a certificate file`);
    }
    try {
      return new Uint8Array(new X509Certificate(bytes).raw);
    } catch {
      throw new UsageError(
        `conformance: --attestation-root ${path} is not an X.509 certificate (PEM or DER); give the band model's root, e.g. the file bandsim --attestation-root-out writes`,
      );
    }
  });
}

/** Creates (or truncates) the --junit file now, so a bad path fails before the band is touched. */
function writable(path: string): void {
  try {
    closeSync(openSync(path, 'w'));
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'its directory does not exist'
        : (error as NodeJS.ErrnoException).code === 'EACCES'
          ? 'permission denied'
          : (error as NodeJS.ErrnoException).code === 'EISDIR'
            ? 'it is a directory'
            : ((error as NodeJS.ErrnoException).code ?? 'it cannot be written');
    throw new UsageError(`conformance: cannot write --junit ${path}: ${reason}; give a writable file path`);
  }
}

function opener(ctx: CliContext): () => Promise<Transport> {
  const { transport: uri, record } = ctx.global;
  const open = uri === 'loopback' || uri.startsWith('loopback?') ? () => openLoopback(uri) : () => openTransport(uri);
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
