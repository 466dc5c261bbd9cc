import { createHash } from 'node:crypto';
import type { RunSpec } from '../compare/plan.js';
import type { CompareConfig } from '../schema/compare.js';

import type { SnapshotPlan } from '../training/snapshotPlan.js';
import { UserError } from '../util/errors.js';
import type { TrainConfig } from '../schema/run.js';

export const RUN_JOB_FORMAT = 'snapshot-ensembles/run-job';

/** The settings of a comparison that a run needs besides its RunSpec: model, optimiser and data. */
export type RunJobSettings = Pick<
  CompareConfig,
  'model' | 'batchSize' | 'momentum' | 'nesterov' | 'weightDecay' | 'augment' | 'dataDir' | 'trainSize' | 'valSize' | 'testSize'
>;

/**
 * One planned run of a comparison as a job of the queue: plain JSON, everything a worker on another machine needs
 * to train it. `run` names its run directory and its job: the run's id and a hash of everything it trains, so the
 * same run enqueued twice (the same compare started again) is one job, and two comparisons share only the runs
 * that are exactly the same.
 */
export interface RunJob {
  format: typeof RUN_JOB_FORMAT;
  version: 1;
  run: string;
  spec: RunSpec;
  settings: RunJobSettings;
}

/** The job of one run of a comparison. SWA's weight average is not checkpointed, so it cannot be handed over. */
export function runJobOf(spec: RunSpec, config: CompareConfig): RunJob {
  if (spec.distill !== undefined) {
    throw new UserError(`--queue: the distilled row cannot be queued (its student needs the teacher's weights in the coordinator); leave it out of --rows`);
  }
  if (spec.swa !== null) {
    throw new UserError(`--queue: the swa and swag rows cannot be queued (their running weight average is not checkpointed); leave them out of --rows`);
  }
  const settings: RunJobSettings = {
    model: config.model,
    batchSize: config.batchSize,
    momentum: config.momentum,
    nesterov: config.nesterov,
    weightDecay: config.weightDecay,
    augment: config.augment,
    dataDir: config.dataDir,
    trainSize: config.trainSize,
    valSize: config.valSize,
    testSize: config.testSize,
  };
  const hash = createHash('sha256').update(JSON.stringify({ spec, settings })).digest('hex').slice(0, 12);
  return { format: RUN_JOB_FORMAT, version: 1, run: `${spec.id}-${hash}`, spec, settings };
}

/** The schedule's first learning rate (the optimizer's initial one; the loop sets it before every iteration). */
function firstRate(spec: RunSpec): number {
  const s = spec.schedule;
  switch (s.name) {
    case 'sgdr':
      return s.lrMax;
    case 'cyclic':
      return s.baseLr;
    case 'constant':
      return s.lr;
    default:
      return s.lr0;
  }
}

/** What `train` records for the run: the same model, seed, optimiser and data as executeRun would use. */
export function trainConfigOf(job: RunJob): TrainConfig {
  const { spec, settings } = job;
  return {
    model: settings.model,
    dropout: spec.dropout,
    dataDir: settings.dataDir,
    trainSize: settings.trainSize,
    valSize: settings.valSize,
    testSize: settings.testSize,
    epochs: spec.epochs,
    batchSize: settings.batchSize,
    cycles: spec.snapshotAt.length,
    lr0: firstRate(spec),
    momentum: settings.momentum,
    nesterov: settings.nesterov,
    weightDecay: settings.weightDecay,
    augment: settings.augment,
    seed: spec.seed,
  };
}

/** The run's schedule and the iterations after which its members are saved as snapshots. */
export function snapshotPlanOf(job: RunJob): SnapshotPlan {
  return { schedule: job.spec.schedule, snapshotAt: [...job.spec.snapshotAt], notes: [] };
}

/** Checks that a job read from the queue is one of ours; a one-line error otherwise. */
export function checkRunJob(data: unknown): RunJob {
  const job = data as RunJob;
  if (job?.format !== RUN_JOB_FORMAT || job.version !== 1 || typeof job.run !== 'string' || job.spec === undefined) {
    throw new UserError('the job is not a snapshot-ensembles run (format snapshot-ensembles/run-job, version 1)');
  }
  return job;
}
