import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { runTestSet, snapshotProbabilities } from '../ensemble/evaluateRun.js';
import { isSwagRun, type SwagDrawOptions } from '../ensemble/swagRun.js';
import { reportCostPoints } from '../deploy/inferenceCost.js';
import { writeFileAtomic } from '../io/atomicWrite.js';
import { readRunRecord, runTask, type RunRecord } from '../io/runRecord.js';
import { regressionReportHtml } from './regressionReport.js';
import type { ProbabilityMatrix } from '../metrics/probabilities.js';
import { scheduleFromConfig } from '../schedules/fromConfig.js';
import { UserError } from '../util/errors.js';
import { readLandscape } from '../landscape/landscapeFile.js';
import { runReportData } from './reportData.js';
import { runReportHtml } from './runReportHtml.js';

/** The report `train` writes into the run directory, and `report` writes by default. */
export const REPORT_FILE = 'report.html';

export interface RunReportOptions {
  /** Where to write the page (default RUN_DIR/report.html); must end in .html or .htm. */
  out?: string;
  /**
   * The members' softmax outputs on the run's test set, in snapshot order, when the caller already has them (as
   * training does); otherwise every snapshot is loaded and run on the test set.
   */
  testProbabilities?: readonly ProbabilityMatrix[] | null;
  /** Evaluate on this directory's test split, or on its first N images, instead of the run's. */
  dataDir?: string;
  testSize?: number;
  /** A SWAG run's samples S and the seed of their draws (default: the run's, as training evaluated them). */
  swag?: SwagDrawOptions;
}

export interface WrittenReport {
  file: string;
  charts: string[];
  warnings: string[];
}

/** Refuses output names that could replace a run's own files (run.json, model.json, weights.bin). */
export function checkReportPath(out: string): void {
  if (!/\.html?$/i.test(out)) throw new UserError(`${out}: the report is an HTML page; give a file name ending in .html`);
}

/** The learning rate of every iteration: as recorded, or rebuilt from the schedule for runs that did not finish. */
function learningRates(record: RunRecord): number[] {
  if (record.history.learningRate.length === record.totalSteps) return record.history.learningRate;
  const schedule = scheduleFromConfig(record.schedule);
  return Array.from({ length: record.totalSteps }, (_, i) => schedule(i + 1));
}

/**
 * Writes the HTML report of a run directory: Figure 2 (learning rate and loss), test error against m, the members'
 * correlation and disagreement, reliability diagrams and the metrics and configuration tables, in one file.
 * Needs a TF.js backend unless testProbabilities are given.
 */
export async function writeRunReport(runDir: string, options: RunReportOptions = {}): Promise<WrittenReport> {
  const out = options.out ?? path.join(runDir, REPORT_FILE);
  checkReportPath(out);
  const record = readRunRecord(runDir);
  const test = await runTestSet(record, options);
  if (runTask(record) === 'regression') {
    const footer = `Written by snapshot-ensembles on ${new Date().toISOString()} from ${path.resolve(runDir)}.`;
    const rendered = await regressionReportHtml(path.basename(path.resolve(runDir)), runDir, { ...record, history: { ...record.history, learningRate: learningRates(record) } }, test, footer);
    mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    writeFileAtomic(out, rendered.html);
    return { file: out, charts: rendered.charts, warnings: rendered.warnings };
  }
  const given = options.testProbabilities;
  let members: number[];
  let probabilities: readonly ProbabilityMatrix[];
  if (
    given !== undefined &&
    given !== null &&
    options.swag === undefined &&
    given.length === (isSwagRun(record) ? record.config.swag!.samples : record.snapshots.length) &&
    given.every((p) => p.numExamples === test.count && p.numClasses === record.data.numClasses)
  ) {
    members = given.map((_, i) => record.snapshots[i]?.index ?? i + 1);
    probabilities = given;
  } else {
    ({ indices: members, probabilities } = await snapshotProbabilities(runDir, record, test, undefined, options.swag));
  }
  const completeRecord: RunRecord = { ...record, history: { ...record.history, learningRate: learningRates(record) } };
  const data = runReportData(path.basename(path.resolve(runDir)), completeRecord, probabilities, test.labels, members);
  // a SWAG run has no stored snapshots to cost (its members are drawn), so its report has no cost chart
  if (!isSwagRun(record)) data.cost = await reportCostPoints(runDir, record, test, data.evaluation);
  const rendered = await runReportHtml(data, `Written by snapshot-ensembles on ${new Date().toISOString()} from ${path.resolve(runDir)}.`, readLandscape(runDir));
  mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  writeFileAtomic(out, rendered.html);
  return { file: out, charts: rendered.charts, warnings: rendered.warnings };
}
