import { createHash } from 'node:crypto';
import type { CompareConfig } from '../schema/compare.js';
import type { MemberPlan, TrainConfig } from '../schema/run.js';
import type { RunSpec } from '../schema/runSpec.js';
import type { DataSettings, OptimizerSettings } from '../schema/settings.js';
import type { SnapshotPlan } from '../training/snapshotPlan.js';
import { UserError } from '../util/errors.js';

export const RUN_JOB_FORMAT = 'snapshot-ensembles/run-job';
export const RUN_JOB_VERSION = 2;

/** The settings of a comparison that a run needs besides its RunSpec: the network, the optimiser and the data. */
export interface RunJobSettings extends OptimizerSettings, DataSettings {
  model: string;
}

/**
 * One planned run of a comparison as a job of the queue: plain JSON, everything a worker on another machine needs
 * to train it: the run (schedule, members, SWA and SWAG), the optimiser, and where its examples are (any data
 * source, with the same sizes and validation split). `run` names its run directory and its job: the run's id and
 * a hash of everything it trains, so the same run enqueued twice (the same compare started again) is one job, and
 * two comparisons share only the runs that are exactly the same. A distilled student names its teacher's job.
 */
export interface RunJob {
  format: typeof RUN_JOB_FORMAT;
  version: typeof RUN_JOB_VERSION;
  run: string;
  spec: RunSpec;
  settings: RunJobSettings;
  /** A student's teacher: the job whose run's snapshots (at spec.distill.iterations) it learns from. */
  teacher?: string;
}

/** The job of one run of a comparison (a student's with its teacher's job name). */
export function runJobOf(spec: RunSpec, config: CompareConfig, teacher?: string): RunJob {
  if (spec.distill !== undefined && teacher === undefined) throw new Error(`queue: the student ${spec.id} needs its teacher's job`);
  const settings: RunJobSettings = {
    model: config.model,
    batchSize: config.batchSize,
    momentum: config.momentum,
    nesterov: config.nesterov,
    weightDecay: config.weightDecay,
    source: config.source,
    augment: config.augment,
    trainSize: config.trainSize,
    valSize: config.valSize,
    testSize: config.testSize,
  };
  const { keepWeights: _, ...trained } = spec;
  void _;
  const hash = createHash('sha256').update(JSON.stringify({ spec: trained, settings, teacher })).digest('hex').slice(0, 12);
  return { format: RUN_JOB_FORMAT, version: RUN_JOB_VERSION, run: `${spec.id}-${hash}`, spec, settings, ...(teacher === undefined ? {} : { teacher }) };
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

/** What `train` records for the run: the same model, seed, optimiser and data as the one-machine comparison uses. */
export function trainConfigOf(job: RunJob): TrainConfig {
  const { spec, settings } = job;
  return {
    model: settings.model,
    dropout: spec.dropout,
    trainSize: settings.trainSize,
    valSize: settings.valSize,
    testSize: settings.testSize,
    epochs: spec.epochs,
    batchSize: settings.batchSize,
    cycles: Math.max(1, spec.snapshotAt.length),
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

/** The run's SWA and SWAG. */
export function memberPlanOf(job: RunJob): MemberPlan {
  return { swa: job.spec.swa, swag: job.spec.swag ?? null };
}

/** Checks that a job read from the queue is one of ours; a one-line error otherwise. */
export function checkRunJob(data: unknown): RunJob {
  const job = data as RunJob;
  if (job?.format !== RUN_JOB_FORMAT || job.version !== RUN_JOB_VERSION || typeof job.run !== 'string' || job.spec === undefined) {
    throw new UserError(`the job is not a snapshot-ensembles run (format ${RUN_JOB_FORMAT}, version ${RUN_JOB_VERSION})`);
  }
  return job;
}
