import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ImageSet } from '../data/dataset.js';
import { buildModel } from '../models/registry.js';
import { driveRun } from '../run/driver.js';
import { MemorySink, type RunMember } from '../run/memorySink.js';
import type { RunInfo } from '../schema/compare.js';
import type { Augmentation, Normalization } from '../schema/data.js';
import type { RunSpec } from '../schema/runSpec.js';
import type { EpochSummary } from '../schema/training.js';
import type { OptimizerSettings } from '../schema/settings.js';
import { distillationObjective, type DistillationObjective } from '../training/distillation.js';
import { SgdOptimizer } from '../training/sgd.js';
import type { TaskHead } from '../training/taskHead.js';
import { DivergenceError } from '../training/trainLoop.js';
import type { Reporter } from '../util/reporter.js';
import { Rng } from '../util/rng.js';

export type { RunMember };

/** The examples of a comparison, as every run of it sees them. */
export interface RunData {
  train: ImageSet;
  validation: ImageSet | null;
  test: ImageSet;
  numClasses: number;
  normalization: Normalization;
  augmentation: Augmentation | null;
  /** What the runs learn (classification or regression). */
  head: TaskHead;
}

/** The network and optimiser every run of a comparison shares. */
export interface RunSettings extends OptimizerSettings {
  model: string;
}

/** A trained run of a comparison: what its record says, and its members' outputs. */
export interface ExecutedRun {
  info: RunInfo;
  /** The members taken after iterations (snapshots, SWA's average at the last), by iteration. */
  members: Map<number, RunMember>;
  /** SWAG's members: the S weight samples drawn at the end of the run, in order (empty for other runs). */
  samples: RunMember[];
  /** The weights of each member, by iteration, when spec.keepWeights (the caller disposes them). */
  weights: Map<number, tf.Tensor[]>;
}

/** What a run is, as its record says whatever happens to it. */
function described(spec: RunSpec): Pick<RunInfo, 'id' | 'seed' | 'dropout' | 'epochs' | 'schedule'> {
  return { id: spec.id, seed: spec.seed, dropout: spec.dropout, epochs: spec.epochs, schedule: spec.schedule };
}

/** A run that diverged (too large a learning rate for this model): a result too, with no members. */
export function divergedRun(spec: RunSpec, e: DivergenceError, seconds: number, history: EpochSummary[]): ExecutedRun {
  return {
    info: { ...described(spec), iterations: e.iteration, snapshotAt: [], swa: null, swag: null, seconds, history, error: e.message },
    members: new Map(),
    samples: [],
    weights: new Map(),
  };
}

/**
 * Trains one planned run here, in memory, with the one run driver: its members (snapshots, SWA's average, SWAG's
 * samples) kept as their outputs on the test and validation examples; a student learns from the teachers' weights.
 */
export async function executeRun(
  spec: RunSpec,
  settings: RunSettings,
  data: RunData,
  reporter?: Reporter,
  shouldStop?: () => boolean,
  teacherWeights: readonly tf.Tensor[][] = [],
): Promise<ExecutedRun> {
  const rng = new Rng(spec.seed);
  const inputShape = [data.train.height, data.train.width, data.train.channels];
  const shape = data.train.shape === undefined ? inputShape : [...data.train.shape];
  const model = buildModel(settings.model, { inputShape: shape, numClasses: data.numClasses, dropout: spec.dropout }, rng.nextUint32());
  // a student's teachers: the same network with the members' weights
  const teachers: tfl.LayersModel[] = teacherWeights.map((weights) => {
    const teacher = buildModel(settings.model, { inputShape: shape, numClasses: data.numClasses }, 0);
    teacher.setWeights(weights);
    return teacher;
  });
  const objective: DistillationObjective | undefined = spec.distill === undefined ? undefined : distillationObjective(teachers, spec.distill);
  const optimizer = new SgdOptimizer({ learningRate: 0, momentum: settings.momentum, nesterov: settings.nesterov, weightDecay: settings.weightDecay });
  const sink = new MemorySink({ test: data.test, validation: data.validation, train: data.train, normalization: data.normalization, head: data.head, keepWeights: spec.keepWeights === true });
  const started = performance.now();
  // kept here as well as in the loop's result, so that a run that diverges still shows its loss curve
  const history: EpochSummary[] = [];
  let keepWeights = false;
  try {
    const result = await driveRun({
      spec,
      model,
      optimizer,
      rng,
      batchSize: settings.batchSize,
      data: { train: data.train, normalization: data.normalization, augmentation: data.augmentation },
      head: data.head,
      sink,
      ...(objective === undefined ? {} : { objective }),
      control: { checkpointEvery: 0, onEpoch: (s) => history.push(s), ...(reporter === undefined ? {} : { reporter }), ...(shouldStop === undefined ? {} : { shouldStop }) },
    });
    keepWeights = true;
    return {
      info: {
        ...described(spec),
        iterations: result.loop.learningRates.length,
        snapshotAt: [...sink.members.keys()],
        swa: result.swa,
        swag: result.swag,
        seconds: result.loop.seconds,
        history: result.loop.epochs,
        error: null,
        ...(spec.distill === undefined ? {} : { distill: spec.distill }),
      },
      members: sink.members,
      samples: sink.samples,
      weights: sink.weights,
    };
  } catch (e) {
    if (!(e instanceof DivergenceError)) throw e;
    return divergedRun(spec, e, (performance.now() - started) / 1000, history);
  } finally {
    objective?.dispose();
    teachers.forEach((t) => t.dispose());
    if (!keepWeights) sink.dispose();
    optimizer.dispose();
    model.dispose();
  }
}
