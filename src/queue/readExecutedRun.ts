import type { ExecutedRun, RunData } from '../compare/executeRun.js';
import type { RunMember } from '../run/memorySink.js';
import { memberOutputs } from '../run/memberOutputs.js';
import { buildRunModel } from '../run/runModel.js';
import { readRunRecord, runMemberPlan } from '../run/runRecord.js';
import { loadSnapshotModel } from '../run/snapshots.js';
import { readSwagMoments } from '../run/swagState.js';
import type { RunInfo } from '../schema/compare.js';
import type { RunRecord } from '../schema/run.js';
import type { RunSpec } from '../schema/runSpec.js';
import { forEachSwagSample } from '../training/swag.js';
import { UserError } from '../util/errors.js';

/**
 * A finished run of a comparison, read back from the run directory a worker trained it in: its record as
 * executeRun gives it, and each member's outputs on the comparison's test and validation examples: its snapshots
 * and SWA's average (verified against their sha256), SWAG's samples drawn from its saved moments with the run's
 * seed, each batch norm re-estimated on the comparison's training examples, as executeRun draws them in memory.
 */
export async function readExecutedRun(runDir: string, spec: RunSpec, data: RunData): Promise<ExecutedRun> {
  const record = readRunRecord(runDir);
  if (record.status !== 'completed') throw new UserError(`${runDir}: the run is ${record.status}, not completed`);
  if (record.data.trainExamples !== data.train.count || record.data.testExamples !== data.test.count) {
    throw new UserError(
      `${runDir}: trained on ${record.data.trainExamples} examples (test ${record.data.testExamples}) but this comparison has ${data.train.count} (test ${data.test.count})`,
    );
  }
  const outputs = (model: Parameters<typeof memberOutputs>[0], at: { iteration: number; epoch: number; learningRate: number }, noiseVariance?: number): RunMember => ({
    ...at,
    test: memberOutputs(model, data.test, data.normalization, data.head),
    validation: data.validation === null ? null : memberOutputs(model, data.validation, data.normalization, data.head),
    ...(noiseVariance === undefined ? {} : { noiseVariance }),
  });
  const members = new Map<number, RunMember>();
  for (const snapshot of record.snapshots) {
    const model = await loadSnapshotModel(runDir, snapshot);
    try {
      const { iteration, epoch, learningRate } = snapshot;
      members.set(iteration, outputs(model, { iteration, epoch, learningRate }, snapshot.noiseVariance));
    } finally {
      model.dispose();
    }
  }
  const samples: RunMember[] = [];
  const swag = runMemberPlan(record).swag;
  if (swag !== null && record.swag != null) {
    const moments = readSwagMoments(runDir, record.swag);
    const { model } = await buildRunModel(record.config, { train: data.train, numClasses: data.numClasses }, runDir);
    const end = { iteration: record.totalSteps, epoch: record.config.epochs, learningRate: record.history.learningRate.at(-1) ?? 0 };
    try {
      forEachSwagSample(model, moments, { samples: swag.samples, seed: record.config.seed }, data.train, data.normalization, () => samples.push(outputs(model, end)));
    } finally {
      model.dispose();
    }
  }
  return { info: runInfoOf(spec, record, null), members, samples, weights: new Map() };
}

/** The comparison's record of a run, from its run.json (or from its spec alone when it has none). */
export function runInfoOf(spec: RunSpec, record: RunRecord | null, error: string | null): RunInfo {
  const swag = record === null ? null : runMemberPlan(record).swag;
  return {
    id: spec.id,
    seed: spec.seed,
    dropout: spec.dropout,
    epochs: spec.epochs,
    schedule: spec.schedule,
    iterations: record === null ? 0 : error === null ? record.totalSteps : record.history.learningRate.length,
    snapshotAt: error === null && record !== null ? record.snapshots.map((s) => s.iteration) : [],
    swa: error === null ? (record?.swa ?? null) : null,
    swag:
      error === null && swag !== null && record?.swag != null
        ? { startEpoch: swag.startEpoch, collected: record.swag.count, rank: record.swag.rank, samples: swag.samples }
        : null,
    seconds: record?.seconds ?? 0,
    history: record?.history.epochs ?? [],
    error,
    ...(spec.distill === undefined ? {} : { distill: spec.distill }),
  };
}
