// The conformance suite: requirements as data (catalogue/), run against any band over any transport.
export { CATALOGUE } from './catalogue/index.js';
export { runConformance, select, missingNeed, mayErase, linkKindOf, type ConformanceOptions } from './runner.js';
export { conformanceJUnit, type JUnitRun } from './junit.js';
export { NotApplicable, Unmet } from './verdicts.js';
export type {
  BandProfile,
  ConformanceContext,
  ConformanceReport,
  FramedAccess,
  HidAccess,
  LinkKind,
  Need,
  Requirement,
  RequirementResult,
  ResultStatus,
} from './types.js';
export { WEARER } from './support.js';
