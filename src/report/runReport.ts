import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { snapshotProbabilities } from '../ensemble/evaluateRun.js';
import { runDataReadable, runTestSet, type RunDataOptions } from '../run/runData.js';
import { isSwagRun, type SwagDrawOptions } from '../ensemble/swagRun.js';
import { reportCostPoints } from './costPoints.js';
import { writeFileAtomic } from '../io/atomicWrite.js';
import { readRunRecord, runTask } from '../run/runRecord.js';
import { regressionReportHtml } from './regressionReport.js';
import type { ProbabilityMatrix } from '../metrics/probabilities.js';
import { scheduleFromConfig } from '../schedules/fromConfig.js';
import { UserError } from '../util/errors.js';
import { readLandscape } from '../landscape/landscapeFile.js';
import { recordedRunReportData, runReportData } from './reportData.js';
import { runReportHtml } from './runReportHtml.js';
import type { RunRecord } from '../schema/run.js';

/** The report `train` writes into the run directory, and `report` writes by default. */
export const REPORT_FILE = 'report.html';

export interface RunReportOptions extends RunDataOptions {
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

/** Where a report was written, its charts, and what rendering warned of. */
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
  const completeRecord: RunRecord = { ...record, history: { ...record.history, learningRate: learningRates(record) } };
  const title = path.basename(path.resolve(runDir));
  const footer = `Written by snapshot-ensembles on ${new Date().toISOString()} from ${path.resolve(runDir)}.`;
  if (!runDataReadable(record) && options.dataset === undefined && options.dataDir === undefined) {
    // examples given in memory: the report of what run.json recorded, without the per-example figures
    if (runTask(record) === 'regression') return writeRendered(out, await regressionReportHtml(title, runDir, completeRecord, null, footer));
    return writeRendered(out, await runReportHtml(recordedRunReportData(title, completeRecord), footer, readLandscape(runDir)));
  }
  const test = await runTestSet(record, options);
  if (runTask(record) === 'regression') {
    return writeRendered(out, await regressionReportHtml(title, runDir, completeRecord, test, footer));
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
    ({ indices: members, probabilities } = await snapshotProbabilities(runDir, record, test, undefined, options.swag, options.dataset));
  }
  const data = runReportData(title, completeRecord, probabilities, test.labels, members);
  // a SWAG run has no stored snapshots to cost (its members are drawn), so its report has no cost chart
  if (!isSwagRun(record)) data.cost = await reportCostPoints(runDir, record, test, data.evaluation);
  return writeRendered(out, await runReportHtml(data, footer, readLandscape(runDir)));
}

function writeRendered(out: string, rendered: { html: string; charts: string[]; warnings: string[] }): WrittenReport {
  mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  writeFileAtomic(out, rendered.html);
  return { file: out, charts: rendered.charts, warnings: rendered.warnings };
}
