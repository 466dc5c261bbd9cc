import type * as tfl from '@tensorflow/tfjs-layers';
import type { ImageSet } from '../data/dataset.js';
import { scheduleFromConfig } from '../schedules/fromConfig.js';
import type { Augmentation, Normalization } from '../schema/data.js';
import type { RunSpec } from '../schema/runSpec.js';
import type { EpochSummary, LoopState } from '../schema/training.js';
import type { SgdOptimizer } from '../training/sgd.js';
import { updateBatchNorm, WeightAverage, type WeightAverageState } from '../training/swa.js';
import { forEachSwagSample, SwagCollector, type SwagMoments } from '../training/swag.js';
import type { TaskHead } from '../training/taskHead.js';
import { trainLoop, type LoopResult, type TrainingObjective } from '../training/trainLoop.js';
import type { Reporter } from '../util/reporter.js';
import type { Rng } from '../util/rng.js';

/**
 * The one run driver: `trainLoop` with the collectors a run's spec asks for, writing through a sink. Every way a
 * network is trained here goes through it: `train` and its resumption (a run directory), every row of `compare`
 * and `sweep` (in memory on one machine, a run directory on a queue's worker), a distilled student.
 *
 * Members are collected on the loop's hooks and handed to the sink with the model holding their weights:
 * - snapshots: after each of spec.snapshotAt (the paper's cycle ends; FGE's cycle middles; a single model's end);
 * - SWA (spec.swa): the running average of the weights at the ends of epochs startEpoch.., written into the model
 *   when the loop ends, its batch-norm statistics re-estimated on the training examples: one member;
 * - SWAG (spec.swag): the moments of the same iterates; when the loop ends, S weight samples drawn from them with the
 *   run's seed, each with its batch norm re-estimated: S members (a sink that keeps the moments may skip them).
 * The collectors' state (SWA's average, SWAG's moments) goes to the sink with every checkpoint, and comes back on
 * resume, so that a resumed run ends exactly as an uninterrupted one.
 */

export type MemberKind = 'snapshot' | 'swa' | 'swag';

export interface MemberInfo {
  kind: MemberKind;
  /** 1-based among members of its kind. */
  index: number;
  iteration: number;
  epoch: number;
  learningRate: number;
}

/** What the collectors hold at a checkpoint. */
export interface CollectorState {
  swa: WeightAverageState | null;
  swag: SwagMoments | null;
}

/** Where a run's members, checkpoints and history go: a run directory, or memory. */
export interface RunSink {
  /**
   * A member: its weights are the model's now (the sink copies what it keeps). A SWAG sample's weights are replaced
   * by the next sample's as soon as this returns: the sink reads them before it returns (synchronously).
   */
  member(model: tfl.LayersModel, info: MemberInfo): Promise<void> | void;
  /** Whether the driver should draw SWAG's samples when the loop ends (a sink that keeps the moments may not). */
  readonly wantsSwagSamples: boolean;
  /** SWAG's moments when the loop ends (before the samples are drawn). */
  swagMoments?(moments: SwagMoments, startEpoch: number, iteration: number): void;
  /** A checkpoint of the loop, the model, the optimizer and the collectors. */
  checkpoint?(state: LoopState, collectors: CollectorState): Promise<void> | void;
}

/** The examples a run trains on and how they are fed. */
export interface TrainingData {
  train: ImageSet;
  normalization: Normalization;
  augmentation: Augmentation | null;
}

/** How a run is driven, as opposed to what it trains. */
export interface DriveControl {
  reporter?: Reporter;
  /** Asked after every iteration; true stops the loop with a checkpoint (TrainingInterrupted). */
  shouldStop?: () => boolean;
  /** Checkpoint every this many epochs (0: only when stopped); default 1. */
  checkpointEvery?: number;
  /** Called at the end of every epoch (after the collectors). */
  onEpoch?: (summary: EpochSummary) => void;
}

export interface DriveOptions {
  /** What the run trains: its epochs, schedule and members (RunSpec; the id and seed only name it here). */
  spec: Pick<RunSpec, 'epochs' | 'schedule' | 'snapshotAt' | 'swa' | 'swag' | 'seed'>;
  /** The network with its starting weights (or a checkpoint's, restored by the caller); not disposed here. */
  model: tfl.LayersModel;
  optimizer: SgdOptimizer;
  /** The generator for data order and augmentation (on resume, the loop state's generator is used). */
  rng: Rng;
  batchSize: number;
  data: TrainingData;
  head: TaskHead;
  objective?: TrainingObjective;
  sink: RunSink;
  control?: DriveControl;
  /** Continue from a checkpoint: the loop's state and the collectors'. */
  resume?: { loop: LoopState; collectors: CollectorState };
}

export interface DriveResult {
  loop: LoopResult;
  /** SWA's average: the epochs averaged and the batch-norm batches of its re-estimate (null without SWA). */
  swa: { startEpoch: number; averaged: number; batchNormBatches: number } | null;
  /** SWAG: the iterates collected, the deviations kept and the samples drawn (null without SWAG). */
  swag: { startEpoch: number; collected: number; rank: number; samples: number } | null;
}

/** Trains one run with its collectors and hands its members, checkpoints and SWAG moments to the sink. */
export async function driveRun(options: DriveOptions): Promise<DriveResult> {
  const { spec, model, data, sink } = options;
  const control = options.control ?? {};
  const average = spec.swa === null ? null : new WeightAverage(model);
  const swagSpec = spec.swag ?? null;
  const restored = options.resume?.collectors;
  if (average !== null && restored?.swa != null) average.restore(restored.swa);
  const swag = swagSpec === null ? null : new SwagCollector(model, swagSpec.rank, restored?.swag ?? undefined);
  const collectors = (): CollectorState => ({ swa: average?.state() ?? null, swag: swag?.moments ?? null });
  try {
    const loop = await trainLoop({
      model,
      optimizer: options.optimizer,
      train: data.train,
      head: options.head,
      normalization: data.normalization,
      augmentation: data.augmentation,
      batchSize: options.batchSize,
      epochs: spec.epochs,
      schedule: scheduleFromConfig(spec.schedule),
      snapshotAt: spec.snapshotAt,
      rng: options.rng,
      checkpointEvery: control.checkpointEvery ?? 1,
      ...(options.objective === undefined ? {} : { objective: options.objective }),
      ...(control.shouldStop === undefined ? {} : { shouldStop: control.shouldStop }),
      ...(control.reporter === undefined ? {} : { reporter: control.reporter }),
      ...(options.resume === undefined ? {} : { resume: options.resume.loop }),
      hooks: {
        onSnapshot: async ({ index, iteration, epoch, learningRate }) => {
          await sink.member(model, { kind: 'snapshot', index, iteration, epoch, learningRate });
        },
        onEpochEnd: (summary) => {
          if (average !== null && summary.epoch >= spec.swa!.startEpoch) average.update();
          if (swag !== null && summary.epoch >= swagSpec!.startEpoch) swag.update();
          control.onEpoch?.(summary);
        },
        onCheckpoint: (state) => sink.checkpoint?.(state, collectors()),
      },
    });
    const iterations = loop.learningRates.length;
    const end = { iteration: iterations, epoch: spec.epochs, learningRate: loop.learningRates.at(-1) ?? 0 };
    let swaInfo: DriveResult['swa'] = null;
    if (average !== null && average.count > 0) {
      average.applyTo();
      const batchNormBatches = updateBatchNorm(model, data.train, data.normalization);
      swaInfo = { startEpoch: spec.swa!.startEpoch, averaged: average.count, batchNormBatches };
      await sink.member(model, { kind: 'swa', index: 1, ...end });
    }
    let swagInfo: DriveResult['swag'] = null;
    if (swag !== null && swag.moments.count > 0) {
      sink.swagMoments?.(swag.moments, swagSpec!.startEpoch, iterations);
      const pending: Promise<void>[] = [];
      if (sink.wantsSwagSamples) {
        forEachSwagSample(model, swag.moments, { samples: swagSpec!.samples, seed: spec.seed }, data.train, data.normalization, (k) => {
          const done = sink.member(model, { kind: 'swag', index: k, ...end });
          if (done instanceof Promise) pending.push(done);
        });
      }
      await Promise.all(pending);
      swagInfo = { startEpoch: swagSpec!.startEpoch, collected: swag.moments.count, rank: swag.moments.deviations.length, samples: sink.wantsSwagSamples ? swagSpec!.samples : 0 };
    }
    return { loop, swa: swaInfo, swag: swagInfo };
  } finally {
    average?.dispose();
  }
}
