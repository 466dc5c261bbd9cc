/**
 * `snapshot-ensembles/compare`: the paper's Table 1 on a user's model and data (every method at the same budget),
 * and sweeps of Snapshot Ensembles over schedules, budgets, cycles and learning rates.
 *
 * @packageDocumentation
 */
export { runCompare, LOCAL_EXECUTOR, CompareInterrupted, DEFAULT_COMPARE_CONFIG, type CompareOptions, type RunExecutor } from '../compare/runCompare.js';
export { planCompare, memberSeed, rowKeys, type ComparePlan, type RowPlan, type SeedPlan, type MemberRef } from '../compare/plan.js';
export { executeRun, type ExecutedRun, type RunData, type RunSettings, type RunMember } from '../compare/executeRun.js';
export { compareText, compareMarkdown, table1Cells, lastMCells, beyondPaperCells, type TableCells } from '../compare/table.js';
export { parseRows } from '../compare/rowSpec.js';
export { readCompareResult, isCompareDirectory } from '../compare/readResult.js';
export { headline, rowHeadline, compareTask } from '../compare/headline.js';
export { runSweep, writeSweepChart, type SweepOptions } from '../sweep/runSweep.js';
export { planSweep, type SweepConfig, type SweepPoint } from '../sweep/plan.js';
export { sweepText, sweepMarkdown } from '../sweep/table.js';
export type { SweepResult, SweepPointResult, SweepSeedResult } from '../sweep/result.js';
export type * from '../schema/compare.js';
export { COMPARE_FORMAT, COMPARE_FORMAT_VERSION, COMPARE_JSON, COMPARE_MARKDOWN, ROW_NAMES } from '../schema/compare.js';
export type { RunSpec } from '../schema/runSpec.js';
