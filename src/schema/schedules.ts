/** The paper's Eq. 2: lr0, the iterations T and the cycles M. */
export interface SnapshotCosineConfig {
  /** Initial (and restart) learning rate alpha_0. */
  lr0: number;
  /** Total number of training iterations T. */
  totalSteps: number;
  /** Number of cycles M; each cycle lasts ceil(T / M) iterations. */
  cycles: number;
}

/** SGDR's warm restarts (Loshchilov and Hutter), as PyTorch's CosineAnnealingWarmRestarts takes them. */
export interface SgdrConfig {
  /** eta_max: learning rate at the start of every cycle. */
  lrMax: number;
  /** eta_min: learning rate the cosine anneals to (default 0). */
  lrMin?: number;
  /** T_0: length of the first cycle, in iterations. */
  t0: number;
  /** T_mult: each cycle is T_mult times longer than the one before (integer >= 1, default 1). */
  tMult?: number;
}

/** Smith's cyclical learning rates, as PyTorch's CyclicLR takes them. */
export interface CyclicConfig {
  baseLr: number;
  maxLr: number;
  /** Iterations in the increasing half of a cycle. */
  stepSize: number;
  /** Iterations in the decreasing half (default: stepSize). */
  stepSizeDown?: number;
  mode?: CyclicMode;
  /** Decay per iteration for 'exp_range' (default 1). */
  gamma?: number;
}

/** The single model's step schedule: lr0, times gamma at each milestone iteration. */
export interface StepDecayConfig {
  lr0: number;
  /** Iterations after which the rate is multiplied by gamma (PyTorch MultiStepLR milestones). */
  milestones: readonly number[];
  /** Factor applied at each milestone (default 0.1). */
  gamma?: number;
}

/** SWA's schedule: lr0, down to the constant swaLr reached at swaStart. */
export interface SwaScheduleConfig {
  /** Learning rate of the first half of the pre-averaging phase. */
  lr0: number;
  /** The constant learning rate of the averaging phase, reached at 90% of swaStart. */
  swaLr: number;
  /** Iterations before averaging starts (S); the averaging phase runs from S + 1 on. */
  swaStart: number;
}

/** Fast Geometric Ensembling's schedule: the step schedule while pre-training, then triangular cycles. */
export interface FgeScheduleConfig extends FgeCycleConfig {
  /** Learning rate of the pre-training phase (the project's step schedule: x0.1 at 50% and 75% of it). */
  lr0: number;
  /** Iterations of pre-training before the first FGE cycle. */
  pretrainSteps: number;
}

/** A schedule described as plain JSON (as stored in run.json), from which scheduleFromConfig rebuilds it. */
export type ScheduleConfig =
  | ({ name: 'snapshotCosine' } & SnapshotCosineConfig)
  | ({ name: 'sgdr' } & SgdrConfig)
  | ({ name: 'cyclic' } & CyclicConfig)
  | ({ name: 'stepDecay' } & StepDecayConfig)
  | ({ name: 'swa' } & SwaScheduleConfig)
  | ({ name: 'fge' } & FgeScheduleConfig)
  | { name: 'constant'; lr: number };

/**
 * The cyclic schedules `train --schedule` offers: the first three take a snapshot at the end of every cycle, FGE at
 * the middle of every cycle.
 */
export type CycleScheduleName = 'snapshot' | 'sgdr' | 'cyclic' | 'fge' | 'swag';

/** The schedules `train --schedule` takes. */
export const CYCLE_SCHEDULES: readonly CycleScheduleName[] = ['snapshot', 'sgdr', 'cyclic', 'fge', 'swag'];

/** SWAG's settings (train --swag-*): collection from round(start x B) with the SWA schedule, K, and S for evaluation. */
export interface SwagOptions {
  /** Fraction of the budget after which the moments are collected, once per epoch (default 0.75, as SWA). */
  start: number;
  /** The constant learning rate of the collection phase (default lr0 / 2). */
  lr: number;
  /** K: deviations of the last K epochs kept (default 20). */
  rank: number;
  /** S: weight samples drawn when the run is evaluated (default 10). */
  samples: number;
}

/** Fast Geometric Ensembling's settings (train --fge-*). */
export interface FgeOptions {
  /** c: epochs per cycle (the paper: 2 to 4; any c with c x iterations per epoch >= 2 here). */
  cycleEpochs: number;
  /** alpha_1 and alpha_2. */
  lr1: number;
  lr2: number;
  /** Fraction of the budget pre-trained with the ordinary step schedule (default 0.8). */
  pretrain: number;
}

/** The shape of Smith's cycles: triangular, triangular with halving amplitude, or exponentially decaying. */
export type CyclicMode = 'triangular' | 'triangular2' | 'exp_range';

/** One of FGE's triangular cycles: from lr1 down to lr2 and back, over cycleSteps iterations. */
export interface FgeCycleConfig {
  /** alpha_1: the rate at the start and end of every cycle. */
  lr1: number;
  /** alpha_2: the rate at the middle of every cycle, where a member is collected. */
  lr2: number;
  /** Iterations per cycle: c epochs x iterations per epoch. */
  cycleSteps: number;
}
