import path from 'node:path';
import { writeRunReport } from '../report/runReport.js';
import { type RunControl, type SnapshotRunResult } from '../run/train.js';
import { TrainingInterrupted } from '../training/trainLoop.js';
import { evaluationTable, formatSeconds, regressionTable } from './format.js';
import { startBackend, type BackendFlags } from './backendOption.js';
import { progressReporter, withPreamble } from './progressReporter.js';
import { stopOnSignals } from './signals.js';
import { UserError } from '../util/errors.js';
import { BACKEND_NAMES, type BackendName } from '../backend/backends.js';
import { readRunRecord } from '../run/runRecord.js';
import type { RunRecord } from '../schema/run.js';

/** The flags of a command that trains a run directory (train, distill). */
export interface SessionFlags extends BackendFlags {
  checkpointEvery: number;
  json: boolean;
  report: boolean;
}

/**
 * Trains (or resumes) a run directory as `train` does: the backend, a progress bar, Ctrl-C writing a checkpoint
 * (exit 130, or 143 for SIGTERM, with the command that resumes it), then the evaluation table and the report.
 */
export async function runTrainingSession(
  flags: SessionFlags,
  runDir: string,
  resumeCommand: string,
  train: (control: RunControl) => Promise<SnapshotRunResult>,
  resumed?: Pick<ResumedSession<SessionFlags>, 'warnings' | 'unavailable'>,
): Promise<void> {
  let backend: Awaited<ReturnType<typeof startBackend>>;
  try {
    backend = await startBackend(flags);
  } catch (e) {
    const explain = resumed?.unavailable;
    if (e instanceof UserError && explain != null) throw new UserError(explain(e.message));
    throw e;
  }
  // The backend line comes with the first message of a run that has started, so bad input stays one line.
  const reporter = withPreamble(progressReporter(), backend.line);
  resumed?.warnings.forEach((w) => reporter.warn?.(w));
  const signals = stopOnSignals((signal) => reporter.info?.(`received ${signal}: finishing the current step and writing a checkpoint`));
  const control = { reporter, checkpointEvery: flags.checkpointEvery, shouldStop: signals.requested, report: flags.report };
  let result: SnapshotRunResult;
  try {
    result = await train(control);
  } catch (e) {
    reporter.stop();
    if (e instanceof TrainingInterrupted) {
      const signal = signals.received() ?? 'SIGINT';
      process.stderr.write(`stopped after iteration ${e.state.iteration} with a checkpoint; resume with: ${resumeCommand}\n`);
      process.exitCode = signal === 'SIGTERM' ? 143 : 130;
      return;
    }
    throw e;
  } finally {
    signals.dispose();
    reporter.stop();
  }
  const { record } = result;
  const evaluation = result.evaluation;
  if (flags.json) {
    process.stdout.write(JSON.stringify({ runDir, seconds: record.seconds, ...evaluation }, null, 2) + '\n');
  } else {
    if (evaluation?.task === 'regression') process.stdout.write(regressionTable(evaluation) + '\n');
    else if (evaluation != null) process.stdout.write(evaluationTable(evaluation, record.swag == null ? 'snapshot' : 'sample') + '\n');
    const kept =
      record.swag == null
        ? `${record.snapshots.length} snapshot${record.snapshots.length === 1 ? '' : 's'}`
        : `SWAG moments of ${record.swag.count} epochs (K = ${record.swag.rank})`;
    process.stdout.write(`trained in ${formatSeconds(record.seconds ?? 0)}; ${kept} in ${path.resolve(runDir)}\n`);
  }
  if (flags.report) {
    const report = await writeRunReport(runDir, { testProbabilities: result.testProbabilities });
    for (const w of report.warnings) process.stderr.write(`warning: ${w}\n`);
    (flags.json ? process.stderr : process.stdout).write(`report written to ${report.file}\n`);
  }
}

/** How a resumed run is continued: its session flags, and what to say before it goes on. */
export interface ResumedSession<T extends SessionFlags> {
  flags: T;
  /** Said once training has started: the engine or thread count differs from the run's, so results will too. */
  warnings: string[];
  /** Explains a recorded engine that cannot start here, with how to choose another (null: the user chose it). */
  unavailable: ((reason: string) => string) | null;
}

/**
 * A resumed run continues on the engine and thread count recorded in its run.json, and writes report.html or not
 * as its first command said, so that it ends bitwise as an uninterrupted run would. A --backend, --threads or
 * --report/--no-report given with --resume wins, with a warning where the numbers will then differ. Pure.
 */
export function resumedSession<T extends SessionFlags>(flags: T, record: RunRecord, given: (flag: string) => boolean): ResumedSession<T> {
  const recordedBackend = BACKEND_NAMES.includes(record.backend as BackendName) ? (record.backend as BackendName) : null;
  const recordedThreads = record.threads ?? undefined;
  const backend = given('backend') || recordedBackend === null ? flags.backend : recordedBackend;
  const threads = given('threads') ? flags.threads : recordedBackend === backend ? (recordedThreads ?? flags.threads) : flags.threads;
  const warnings: string[] = [];
  const notBitwise = 'its snapshots will not be bitwise those of an uninterrupted run';
  if (given('backend') && backend !== record.backend) {
    warnings.push(`the run trained on ${record.backend} and resumes on ${backend}: ${notBitwise}`);
  } else if (given('threads') && recordedThreads != null && threads !== recordedThreads) {
    warnings.push(`the run trained on ${recordedThreads} ${record.backend} thread(s) and resumes on ${threads}: ${notBitwise}`);
  }
  const report = given('report') ? flags.report : (record.report ?? true);
  const unavailable = given('backend')
    ? null
    : (reason: string) =>
        `${reason}; the run trained on ${record.backend}: resume it on another engine with --backend NAME (${notBitwise})`;
  return { flags: { ...flags, backend, report, ...(threads === undefined ? {} : { threads }) }, warnings, unavailable };
}

/** A command's session flags: as given for a new run, or as resumedSession makes them for `--resume DIR`. */
export function sessionFlags<T extends SessionFlags>(
  flags: T,
  resumeDir: string | undefined,
  given: (flag: string) => boolean,
): { flags: T; resumed?: ResumedSession<T> } {
  if (resumeDir === undefined) return { flags };
  const resumed = resumedSession(flags, readRunRecord(resumeDir), given);
  return { flags: resumed.flags, resumed };
}
