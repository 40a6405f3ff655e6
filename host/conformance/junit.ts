import type { ConformanceReport, RequirementResult } from './types.js';

/** What the JUnit file says about the run beyond the report itself. */
export interface JUnitRun {
  /** How the band was reached, e.g. `serial:/dev/ttyACM0`. */
  transport: string;
  /** When the run started. */
  startedAt: Date;
  /** Whether requirements that delete user data were allowed (`--destructive`). */
  destructive: boolean;
}

/**
 * A conformance report as JUnit XML, the format CI servers (Jenkins, GitLab, GitHub test reporters) read: one
 * `<testsuite>` for the run, one `<testcase>` per requirement, named by its id, classname `conformance.GROUP`;
 * a failed requirement has a `<failure>` saying what was expected and what came, a skipped one `<skipped>` with
 * why. The shape follows the JUnit schema CI tools validate against (Ant's XMLJUnitResultFormatter as Jenkins'
 * xunit plugin describes it in junit-10.xsd); test/conformance/junit.test.ts validates it with xmllint.
 */
export function conformanceJUnit(report: ConformanceReport, run: JUnitRun): string {
  const band = report.target.serialNumber ?? 'band';
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const total = report.results.reduce((sum, r) => sum + r.ms, 0);
  const properties: [string, string][] = [
    ['transport', run.transport],
    ['serialNumber', report.target.serialNumber ?? ''],
    ['firmwareVersion', report.target.firmwareVersion ?? ''],
    ['capabilities', report.target.capabilities.join(',')],
    ['destructive', String(run.destructive)],
    ['userDataErased', String(report.erased)],
  ];
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="band conformance" tests="${report.results.length}" failures="${report.failed}" errors="0" time="${seconds(total)}">`,
    `  <testsuite name="${attr(`conformance of ${band} over ${run.transport}`)}" tests="${report.results.length}" failures="${report.failed}" errors="0" skipped="${report.skipped}" time="${seconds(total)}" timestamp="${run.startedAt.toISOString().slice(0, 19)}">`,
    '    <properties>',
    ...properties.map(([name, value]) => `      <property name="${attr(name)}" value="${attr(value)}"/>`),
    '    </properties>',
    ...report.results.flatMap(testcase),
    '  </testsuite>',
    '</testsuites>',
    '',
  ];
  return lines.join('\n');

  function testcase(result: RequirementResult): string[] {
    const open = `    <testcase name="${attr(`${result.id} ${result.title}`)}" classname="conformance.${attr(result.id.split('-')[0])}" time="${seconds(result.ms)}"`;
    switch (result.status) {
      case 'pass':
        return [`${open}/>`];
      case 'skip':
        return [`${open}>`, `      <skipped message="${attr(result.detail)}"/>`, '    </testcase>'];
      case 'fail':
        return [
          `${open}>`,
          `      <failure message="${attr(result.detail)}" type="${attr(result.id)}">${text(`${result.detail}\nsource: ${result.source}`)}</failure>`,
          '    </testcase>',
        ];
    }
  }
}

/** Characters XML 1.0 cannot hold at all (C0 controls other than tab, newline, return; lone surrogates). */
const NOT_XML =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function text(value: string): string {
  return value.replace(NOT_XML, '\ufffd').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
