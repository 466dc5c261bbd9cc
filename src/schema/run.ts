import type { Augmentation, DataSourceSpec, Normalization, Task } from './data.js';
import type { EnsembleEvaluation, Metrics, RegressionEvaluation, RegressionMetrics } from './metrics.js';
import type { CycleScheduleName, FgeOptions, ScheduleConfig, SwagOptions } from './schedules.js';
import type { EpochSummary } from './training.js';

/** What run.json records about a run's SWAG moments (the numbers themselves are in swag/moments.bin). */
export interface SwagRecord {
  /** Directory of moments.bin, relative to the run directory. */
  path: string;
  /** Moments collected at the end of every epoch from this one on. */
  startEpoch: number;
  /** K: the most deviations kept. */
  maxRank: number;
  /** n: weight sets collected. */
  count: number;
  /** Deviations held, min(n, K). */
  rank: number;
  /** P: trainable weights of the model. */
  parameters: number;
  /** The loop's iteration when the file was written (a checkpoint's, or the run's last). */
  savedAt: number;
  /** sha256 of moments.bin. */
  sha256: Record<string, string>;
}

/** Where a SWAG run keeps its moments, relative to the run directory. */
export const SWAG_DIR = 'swag';

export const SWAG_MOMENTS_FILE = 'moments.bin';

/** How a user's model starts: with the weights of its file, or re-initialised from the run's seed. */
export type ModelInit = 'from-file' | 'fresh';

export const MODEL_INITS: readonly ModelInit[] = ['from-file', 'fresh'];

export const RUN_JSON = 'run.json';

export const SNAPSHOTS_DIR = 'snapshots';

export const RUN_FORMAT = 'snapshot-ensembles/run';

export const RUN_FORMAT_VERSION = 1;

/** Everything needed to rebuild a run's data pipeline, model and schedule. */
export interface TrainConfig {
  model: string;
  dropout: number;
  /** Directory of the four IDX files; null for the embedded Fashion-MNIST. */
  dataDir: string | null;
  trainSize: number | null;
  /** The last N of the trainSize examples held out, not trained on (compare --val-size); absent means 0. */
  valSize?: number;
  testSize: number | null;
  epochs: number;
  batchSize: number;
  cycles: number;
  lr0: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  augment: boolean;
  seed: number;
  /** Cyclic schedule (train --schedule); absent in older runs, which used 'snapshot' (Eq. 2). */
  schedule?: CycleScheduleName;
  /** SGDR's T_mult (train --t-mult); absent means 1. */
  tMult?: number;
  /** Lowest learning rate of sgdr and cyclic (train --lr-min); absent means 0. */
  lrMin?: number;
  /** Fast Geometric Ensembling's cycle length, rates and pre-training split (train --schedule fge). */
  fge?: FgeOptions;
  /** SWAG's start, rate, rank K and samples S (train --schedule swag). */
  swag?: SwagOptions;
  /** Present when the run is a student distilled from another run's snapshots (`distill`). */
  distill?: DistillConfig;
  /**
   * A user's model (train --model FILE.json, or a tf.LayersModel given to trainSnapshotEnsemble): how it started.
   * Its architecture and starting weights are kept in RUN_DIR/initial-model/, from which a resume rebuilds it.
   */
  init?: ModelInit;
}

/** What a distilled student was taught by: the teacher run's snapshots, as verified, and the loss's settings. */
export interface DistillConfig {
  /** The teacher's run directory, absolute. */
  teacherRun: string;
  /** The teacher's snapshots (its last m) and the sha256 of their files when distillation started. */
  teachers: { index: number; sha256: Record<string, string> }[];
  temperature: number;
  alpha: number;
}

export interface DataRecord {
  name: string;
  trainExamples: number;
  testExamples: number;
  /** Height, width, channels of an example as stored ([1, 1, F] for a table of F features). */
  inputShape: [number, number, number];
  /** The shape of an example as the model takes it, when not inputShape (a table: [F]). */
  exampleShape?: number[];
  /** 1 for regression. */
  numClasses: number;
  /** Classes in order; a regression's target column. */
  classNames: string[];
  /** Per-channel (a table: per-feature) mean and std of the training examples. */
  normalization: Normalization;
  /**
   * How the examples are stored, which says how they are normalised: bytes (x / 255 - mean) / std, or numbers
   * (x - mean) / std. Absent in older runs: numbers for a CSV table, bytes otherwise.
   */
  values?: ExampleValues;
  augmentation: Augmentation | null;
  /** Where the examples come from, to read them again; absent in older runs (the IDX files of config.dataDir). */
  source?: DataSourceSpec;
  /** Absent means classification. */
  task?: Task;
  /** Regression: mean and std of the training targets (the model learns the standardised target). */
  targetNormalization?: { mean: number; std: number };
}

export interface SnapshotRecord {
  /** 1-based snapshot number. */
  index: number;
  iteration: number;
  epoch: number;
  learningRate: number;
  /** Directory of model.json + weights.bin, relative to the run directory. */
  path: string;
  /** sha256 of model.json and weights.bin. */
  sha256: Record<string, string>;
  /** Metrics on the test set, when it was evaluated during training (classification). */
  test: Metrics | null;
  /** Regression: the snapshot's mean squared error on the training set, its noise variance sigma^2 in the Gaussian NLL. */
  noiseVariance?: number;
  /** Regression: metrics on the test set, when it was evaluated during training. */
  regressionTest?: RegressionMetrics | null;
}

export interface RunRecord {
  format: typeof RUN_FORMAT;
  version: number;
  /** 'interrupted': stopped by a signal with a checkpoint; 'failed': diverged or crashed with an error. */
  status: 'running' | 'completed' | 'failed' | 'interrupted';
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
  /** The engine the run trains on (a resume continues on it): tf.getBackend() of its latest training session. */
  backend: string;
  /** That engine's thread count (native, wasm), null where it has none to set; absent in older runs. */
  threads?: number | null;
  /** Whether the command that trains it writes report.html when training ends (train --no-report); absent: yes. */
  report?: boolean;
  config: TrainConfig;
  data: DataRecord;
  schedule: ScheduleConfig;
  /** Iterations after which snapshots are taken. */
  snapshotAt: number[];
  iterationsPerEpoch: number;
  totalSteps: number;
  snapshots: SnapshotRecord[];
  /** Per-epoch summaries; the learning rate and the batch's training loss of every iteration t, at index t - 1. */
  history: { epochs: EpochSummary[]; learningRate: number[]; loss: number[] };
  seconds: number | null;
  /** Members and last-m ensembles on the test set, written when training ends (classification). */
  evaluation: EnsembleEvaluation | null;
  /** The same for a regression run. */
  regressionEvaluation?: RegressionEvaluation | null;
  /** A SWAG run's moments (in swag/moments.bin); its members are samples drawn from them. Absent for other runs. */
  swag?: SwagRecord | null;
}

/** Bytes (images, scaled by 1 / 255 before normalising) or numbers (a table's features, or arrays of floats). */
export type ExampleValues = 'bytes' | 'numbers';
