import type { DataSettings, OptimizerSettings } from './settings.js';
import type { Augmentation, Normalization, Task } from './data.js';
import type { Diversity, EnsembleMetrics, Metrics, RegressionEnsembleMetrics, RegressionMetrics } from './metrics.js';
import type { FgeOptions, ScheduleConfig } from './schedules.js';
import type { EpochSummary } from './training.js';

/*
 * The JSON that `compare` writes (compare.json): everything needed to print or plot the paper's Table 1 for a
 * user's model and data. Rates (error, ECE) are fractions in [0, 1]; costs are in training budgets B.
 */

/** The format tag of compare.json. */
export const COMPARE_FORMAT = 'snapshot-ensembles/compare';
/** 2: config.source (the data source) replaces config.dataDir. */
export const COMPARE_FORMAT_VERSION = 2;

/** The files `compare` writes into its output directory. */
export const COMPARE_JSON = 'compare.json';
/** The markdown tables `compare` writes beside compare.json. */
export const COMPARE_MARKDOWN = 'compare.md';

/**
 * The methods of the paper's Table 1 and its references:
 * - single: one model, step schedule (lr0, x0.1 at 50% and 75% of B);
 * - nocycle: M snapshots taken every B/M epochs of that same step-schedule run;
 * - singlecycle: M models trained from fresh initialisations for B/M epochs each, cosine from lr0 to 0;
 * - snapshot: Snapshot Ensemble, M cycles of Eq. 2 in one run of B epochs (one row per lr0);
 * - swa: Stochastic Weight Averaging (Izmailov et al. 2018) in one run of B epochs;
 * - swag: SWA-Gaussian (Maddox et al. 2019): S weight samples from the moments of that same run's iterates;
 * - fge: Fast Geometric Ensembling (Garipov et al. 2018): step-schedule pre-training, then short triangular cycles;
 * - true-ensemble: k single models from independent initialisations (costs k budgets);
 * - dropout: the single model with dropout before the classifier;
 * - distilled: the first snapshot row's members (lr0 = snapshotLr0[0]) distilled into one student network
 *   (Hinton et al. 2015); costs the snapshot run plus the student's iterations.
 */
export type RowName = 'single' | 'nocycle' | 'singlecycle' | 'snapshot' | 'fge' | 'swa' | 'swag' | 'true-ensemble' | 'dropout' | 'distilled';
/** Every row `compare` can run, in table order. */
export const ROW_NAMES: readonly RowName[] = ['single', 'dropout', 'nocycle', 'singlecycle', 'snapshot', 'fge', 'swa', 'swag', 'true-ensemble', 'distilled'];

/** A row asked for, with the seeds it runs with. */
export interface RowRequest {
  row: RowName;
  /** Seeds this row is run with (each gives one independent repetition). */
  seeds: number[];
}

export interface CompareConfig extends OptimizerSettings, DataSettings {
  model: string;
  /** The training budget B in epochs, shared by every row (true-ensemble spends k of them). */
  epochs: number;
  /** M: snapshots of nocycle and snapshot, runs of singlecycle. */
  cycles: number;
  /** Learning rate of the step schedule (single, nocycle, true-ensemble, dropout) and of singlecycle and SWA's first phase. */
  lr0: number;
  /** lr0 of the Snapshot Ensemble rows, one row each (the paper: 0.1 and 0.2). */
  snapshotLr0: number[];
  /** SWA's constant learning rate. */
  swaLr: number;
  /** Fraction of B after which SWA averages (0.75); SWAG collects from the same epoch. */
  swaStart: number;
  /** FGE's cycle length, rates and pre-training split. */
  fge: FgeOptions;
  /** SWAG: K, the deviations kept, and S, the samples drawn (with seed `seed` of the row's seed). */
  swag: { rank: number; samples: number };
  /** k, the size of the true ensemble. */
  ensembleSize: number;
  /** Dropout rate of the dropout row. */
  dropout: number;
  rows: RowRequest[];
  /** The distilled row's student: its budget in epochs (null: B), temperature and alpha; absent: B, 4, 0.9. */
  distill?: { epochs: number | null; temperature: number; alpha: number };
}

/** One training run; rows that need the same run (single, nocycle and the first true-ensemble member) share it. */
export interface RunInfo {
  id: string;
  /** Seed of initialisation, data order and augmentation. */
  seed: number;
  dropout: number;
  epochs: number;
  /** Iterations actually trained. */
  iterations: number;
  schedule: ScheduleConfig;
  /** Iterations after which members were taken. */
  snapshotAt: number[];
  /** SWA's averaging: from the end of epoch startEpoch on, `averaged` weight sets, batch norm re-estimated. */
  swa: { startEpoch: number; averaged: number; batchNormBatches: number } | null;
  /** SWAG's moments: collected at the ends of epochs startEpoch.., `rank` deviations kept, `samples` drawn; absent in older results. */
  swag?: { startEpoch: number; collected: number; rank: number; samples: number } | null;
  seconds: number;
  history: EpochSummary[];
  /** Why the run stopped early (training diverged), or null; rows that need a failed run skip that seed. */
  error: string | null;
  /** For a distilled student: the run whose members taught it, at which iterations, and the loss's settings. */
  distill?: DistillSpec;
}

/** A student run's teacher: the members of another run of the same seed, and the distillation loss's settings. */
export interface DistillSpec {
  teacher: string;
  iterations: number[];
  temperature: number;
  alpha: number;
}

/** One member of a row for one seed: which run and iteration, its metrics and (regression) its noise variance. */
export interface MemberResult {
  /** 1-based position among the row's members (the order in which they are averaged: last-m takes the end). */
  index: number;
  run: string;
  iteration: number;
  epoch: number;
  learningRate: number;
  /** Classification's metrics, or (a regression comparison) those of the member's Gaussian. */
  test: Metrics | RegressionMetrics;
  /** On the held-out validation split, when there is one. */
  validation: Metrics | RegressionMetrics | null;
  /** Regression: the member's sigma^2 (its mean squared error on the validation split, else on the training one). */
  noiseVariance?: number;
}

/** Combinations beyond the paper's last-m mean; the validation-fitted ones only when a validation split exists. */
export interface BeyondPaper {
  /** Normalised geometric mean of the members' softmax outputs = softmax of the mean logits. */
  geometric: Metrics;
  /** The k members with the best validation NLL, k chosen on validation; members are 1-based indices. */
  bestK: { members: number[]; validationNll: number; test: Metrics } | null;
  /** Mixture weights fitted to minimise validation NLL. */
  weighted: { weights: number[]; validationNll: number; test: Metrics } | null;
}

/** One row's result for one seed: cost, members, last-m curve, final metrics, diversity and the combinations beyond the paper. */
export interface RowSeedResult {
  seed: number;
  /** Training cost in budgets: iterations trained by the row's runs over B's iterations. */
  cost: number;
  /** Training seconds of the row's runs (a shared run counts in every row that uses it). */
  seconds: number;
  runs: string[];
  members: MemberResult[];
  /**
   * The paper's curve: ensemble of the last m members on the test set, m = 1..M (mean of softmax outputs; for
   * regression, the mixture of the members' Gaussians).
   */
  ensembles: EnsembleMetrics[] | RegressionEnsembleMetrics[];
  /** The row's result: the ensemble of all its members (the single member for single-model rows). */
  final: Metrics | RegressionMetrics;
  /** The members' pairwise correlation and disagreement (classification, two members or more). */
  diversity: Diversity | null;
  beyondPaper: BeyondPaper | null;
}

/** A mean and the sample standard deviation over seeds. */
export interface Spread {
  mean: number;
  /** Sample standard deviation over seeds; null with one seed. */
  std: number | null;
}

/** A row's final metrics over its seeds: mean and sample standard deviation. */
export interface RowSummary {
  seeds: number;
  cost: number;
  nll: Spread;
  /** Classification (null for regression). */
  error: Spread | null;
  ece: Spread | null;
  brier: Spread | null;
  /** Regression (absent for classification), in the target's units. */
  rmse?: Spread;
  mae?: Spread;
  meanCorrelation: Spread | null;
}

/** One row of the table: what it is, its planned cost, its result for each seed and their summary. */
export interface RowResult {
  /** Unique key, e.g. 'single' or 'snapshot-lr0.2'. */
  key: string;
  row: RowName;
  label: string;
  /** Number of members of the row's ensemble. */
  members: number;
  /** Cost in budgets as planned (the cost of each seed is measured in `seeds`). */
  cost: number;
  seeds: RowSeedResult[];
  summary: RowSummary | null;
  /** Seeds for which one of the row's runs failed (diverged), with the reason; they are not in `seeds`. */
  failures: { seed: number; run: string; error: string }[];
}

/** compare.json: a comparison's configuration, data, runs and rows, written as it goes. */
export interface CompareResult {
  format: typeof COMPARE_FORMAT;
  version: number;
  /** 'interrupted': stopped by a signal; the runs and rows finished before it are complete. */
  status: 'running' | 'completed' | 'failed' | 'interrupted';
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
  backend: string;
  config: CompareConfig;
  data: {
    name: string;
    trainExamples: number;
    validationExamples: number;
    testExamples: number;
    inputShape: [number, number, number];
    numClasses: number;
    /** Absent in older files: classification. */
    task?: Task;
    /** Regression: the target column. */
    target?: string;
    normalization: Normalization;
    augmentation: Augmentation | null;
    /** Forward FLOPs of one image through the model (absent in older files). */
    flopsPerImage?: number;
  };
  iterationsPerEpoch: number;
  /** T = B x iterationsPerEpoch: one budget in iterations. */
  budgetIterations: number;
  runs: RunInfo[];
  rows: RowResult[];
  seconds: number | null;
}
