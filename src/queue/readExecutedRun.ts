import { predictProbabilities } from '../models/predict.js';
import type { ExecutedRun, RunData, RunMember } from '../compare/executeRun.js';
import type { RunSpec } from '../compare/plan.js';
import type { RunInfo } from '../schema/compare.js';
import { readRunRecord } from '../run/runRecord.js';
import { loadSnapshotModel } from '../run/snapshots.js';
import { UserError } from '../util/errors.js';
import type { RunRecord } from '../schema/run.js';

/**
 * A finished run of a comparison, read back from the run directory a worker trained it in: its record as
 * executeRun gives it, and each member's softmax outputs on the comparison's test and validation images, from the
 * run's snapshots (verified against their sha256) as executeRun takes them from the weights in memory.
 */
export async function readExecutedRun(runDir: string, spec: RunSpec, data: RunData): Promise<ExecutedRun> {
  const record = readRunRecord(runDir);
  if (record.status !== 'completed') throw new UserError(`${runDir}: the run is ${record.status}, not completed`);
  if (record.data.trainExamples !== data.train.count || record.data.testExamples !== data.test.count) {
    throw new UserError(
      `${runDir}: trained on ${record.data.trainExamples} images (test ${record.data.testExamples}) but this comparison has ${data.train.count} (test ${data.test.count})`,
    );
  }
  const members = new Map<number, RunMember>();
  for (const snapshot of record.snapshots) {
    const model = await loadSnapshotModel(runDir, snapshot);
    try {
      members.set(snapshot.iteration, {
        iteration: snapshot.iteration,
        epoch: snapshot.epoch,
        learningRate: snapshot.learningRate,
        test: predictProbabilities(model, data.test, data.normalization, data.numClasses),
        validation: data.validation === null ? null : predictProbabilities(model, data.validation, data.normalization, data.numClasses),
      });
    } finally {
      model.dispose();
    }
  }
  return { info: runInfoOf(spec, record, null), members, samples: [], weights: new Map() };
}

/** The comparison's record of a run, from its run.json (or from its spec alone when it has none). */
export function runInfoOf(spec: RunSpec, record: RunRecord | null, error: string | null): RunInfo {
  return {
    id: spec.id,
    seed: spec.seed,
    dropout: spec.dropout,
    epochs: spec.epochs,
    schedule: spec.schedule,
    iterations: record === null ? 0 : error === null ? record.totalSteps : record.history.learningRate.length,
    snapshotAt: error === null && record !== null ? record.snapshots.map((s) => s.iteration) : [],
    swa: null,
    swag: null,
    seconds: record?.seconds ?? 0,
    history: record?.history.epochs ?? [],
    error,
  };
}
