// The conformance suite: requirements as data (catalogue/), run against any band over any transport.
export { CATALOGUE } from './catalogue/index.js';
export { runConformance, select, missingNeed, mayErase, linkKindOf, type ConformanceOptions } from './runner.js';
export { conformanceJUnit, type JUnitRun } from './junit.js';
export {
  NotApplicable,
  Unmet,
  type BandProfile,
  type ConformanceContext,
  type ConformanceReport,
  type FramedAccess,
  type HidAccess,
  type LinkKind,
  type Need,
  type Requirement,
  type RequirementResult,
  type ResultStatus,
} from './types.js';
export { WEARER } from './support.js';
