export { runCompare, DEFAULT_COMPARE_CONFIG, COMPARE_JSON, COMPARE_MARKDOWN, type CompareOptions, type RunExecutor, CompareInterrupted } from './runCompare.js';
export { planCompare, memberSeed, rowKeys, swaStartEpochOf, type ComparePlan, type RowPlan, type SeedPlan, type MemberRef } from './plan.js';
export { executeRun, type ExecutedRun, type RunMember, type RunData, type RunSettings } from './executeRun.js';
export { summarizeRowSeed, summarizeRow, spread } from './summarize.js';
export { compareText, compareMarkdown, compareHeading, table1Cells, lastMCells, beyondPaperCells, beyondPaperTitle, failureLines, type TableCells } from './table.js';
export { parseRows } from './rowSpec.js';
export { readCompareResult, isCompareDirectory } from './readResult.js';
export * from '../schema/compare.js';
export type { RunSpec } from '../schema/runSpec.js';
