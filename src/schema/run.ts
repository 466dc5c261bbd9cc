import type { Augmentation, DataSourceSpec, Normalization, Task } from './data.js';
import type { EnsembleEvaluation, Metrics, RegressionEvaluation, RegressionMetrics } from './metrics.js';
import type { CycleScheduleName, FgeOptions, ScheduleConfig, SwagOptions } from './schedules.js';
import type { EpochSummary } from './training.js';
import type { OptimizerSettings, SplitSettings } from './settings.js';

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

/** 2: config holds no data directory (data.source says where the examples are) and always a valSize. */
export const RUN_FORMAT_VERSION = 2;

/**
 * Everything needed to rebuild a run's model, schedule and optimiser, and which examples of its data source
 * (run.json's data.source) it used.
 */
export interface TrainConfig extends OptimizerSettings, SplitSettings {
  model: string;
  dropout: number;
  epochs: number;
  cycles: number;
  lr0: number;
  /** Random crops and flips of training images. */
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

/** What run.json records about a run's examples: where they are, their shape, classes, statistics and task. */
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

/** One member of a run saved under snapshots/: when it was taken, its files' sha256 and its metrics. */
export interface SnapshotRecord {
  /** 1-based snapshot number. */
  index: number;
  /** A snapshot of the weights (absent in older runs), or SWA's average of them, batch norm re-estimated. */
  kind?: 'snapshot' | 'swa';
  iteration: number;
  epoch: number;
  learningRate: number;
  /** Directory of model.json + weights.bin, relative to the run directory. */
  path: string;
  /** sha256 of model.json and weights.bin. */
  sha256: Record<string, string>;
  /** Metrics on the test set, when it was evaluated during training: classification's, or a regression's. */
  test: Metrics | RegressionMetrics | null;
  /** The same on the validation examples (SplitSettings.valSize), when there are any. */
  validation?: Metrics | RegressionMetrics | null;
  /**
   * Regression: the snapshot's sigma^2 in its Gaussian N(mu, sigma^2), its mean squared error on the validation
   * examples where there are any, else on the training examples.
   */
  noiseVariance?: number;
}

/** The members a run collects besides its snapshots (RunSpec's swa and swag), as planned. */
export interface MemberPlan {
  /** SWA: the weights averaged from the end of this epoch on; the average is one more member. */
  swa: { startEpoch: number } | null;
  /** SWAG: moments from the end of this epoch on, K deviations kept, S samples drawn to evaluate. */
  swag: { startEpoch: number; rank: number; samples: number } | null;
}

/** run.json: everything about a run, kept current while it trains. */
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
  /** SWA and SWAG as planned (absent in older runs: SWAG from config.swag, no SWA). */
  members?: MemberPlan;
  /** SWA's average when it was taken: the epochs averaged and the batch-norm batches of its re-estimate. */
  swa?: { startEpoch: number; averaged: number; batchNormBatches: number } | null;
  /** Members and last-m ensembles on the test set, written when training ends (tagged by task). */
  evaluation: EnsembleEvaluation | RegressionEvaluation | null;
  /** A SWAG run's moments (in swag/moments.bin); its members are samples drawn from them. Absent for other runs. */
  swag?: SwagRecord | null;
}

/** Bytes (images, scaled by 1 / 255 before normalising) or numbers (a table's features, or arrays of floats). */
export type ExampleValues = 'bytes' | 'numbers';
