import path from 'node:path';
import { writeRunReport } from '../report/runReport.js';
import type { RunControl, SnapshotRunResult } from '../training/snapshotRun.js';
import { TrainingInterrupted } from '../training/trainLoop.js';
import { evaluationTable, formatSeconds, regressionTable } from './format.js';
import { startBackend, type BackendFlags } from './backendOption.js';
import { progressReporter, withPreamble } from './progressReporter.js';
import type { ResumedSession } from './resumeSession.js';
import { stopOnSignals } from './signals.js';
import { UserError } from '../util/errors.js';

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
  const evaluation = record.regressionEvaluation ?? result.evaluation;
  if (flags.json) {
    process.stdout.write(JSON.stringify({ runDir, seconds: record.seconds, ...evaluation }, null, 2) + '\n');
  } else {
    if (record.regressionEvaluation != null) process.stdout.write(regressionTable(record.regressionEvaluation) + '\n');
    else if (result.evaluation !== null) process.stdout.write(evaluationTable(result.evaluation, record.swag == null ? 'snapshot' : 'sample') + '\n');
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
