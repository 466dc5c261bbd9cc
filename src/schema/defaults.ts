import type { CompareConfig } from './compare.js';
import type { TrainConfig } from './run.js';
import type { FgeOptions, SwagOptions } from './schedules.js';
import type { OptimizerSettings, SplitSettings } from './settings.js';

/** The paper's optimiser: SGD with Nesterov momentum 0.9, weight decay 1e-4, batch 64. */
export const DEFAULT_OPTIMIZER: OptimizerSettings = { batchSize: 64, momentum: 0.9, nesterov: true, weightDecay: 1e-4 };

/** Every example of the source, no validation split. */
export const DEFAULT_SPLIT: SplitSettings = { trainSize: null, valSize: 0, testSize: null };

/** FGE's settings for a run whose top learning rate is lr0 (Garipov et al.'s: cycles of 2 epochs, lr0/2 down to lr0/200, 80% pre-training). */
export function defaultFgeOptions(lr0: number): FgeOptions {
  return { cycleEpochs: 2, lr1: lr0 / 2, lr2: lr0 / 200, pretrain: 0.8 };
}

/** SWAG's settings for a run whose top learning rate is lr0 (Maddox et al.'s: from 75% of the budget at lr0/2, K = 20, S = 10). */
export function defaultSwagOptions(lr0: number): SwagOptions {
  return { start: 0.75, lr: lr0 / 2, rank: 20, samples: 10 };
}

/**
 * `train`'s defaults: the paper's settings, with a budget that trains the embedded Fashion-MNIST in about ten minutes
 * on two cores with the native engine (about 850 images/s): 9 epochs in M = 3 cycles of 2,814 iterations, over the
 * cycle length at which the ensemble starts to pay (training/budgetHint.ts).
 */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  ...DEFAULT_OPTIMIZER,
  ...DEFAULT_SPLIT,
  model: 'cnn',
  dropout: 0,
  epochs: 9,
  cycles: 3,
  lr0: 0.1,
  augment: true,
  seed: 1,
};

/** `compare`'s defaults: the paper's Table 1 settings at `train`'s budget. */
export const DEFAULT_COMPARE_CONFIG: CompareConfig = {
  ...DEFAULT_OPTIMIZER,
  ...DEFAULT_SPLIT,
  model: DEFAULT_TRAIN_CONFIG.model,
  source: { kind: 'idx', dir: null },
  augment: DEFAULT_TRAIN_CONFIG.augment,
  epochs: DEFAULT_TRAIN_CONFIG.epochs,
  cycles: DEFAULT_TRAIN_CONFIG.cycles,
  lr0: DEFAULT_TRAIN_CONFIG.lr0,
  snapshotLr0: [0.1, 0.2],
  swaLr: 0.05,
  swaStart: 0.75,
  fge: defaultFgeOptions(DEFAULT_TRAIN_CONFIG.lr0),
  swag: { rank: 20, samples: 10 },
  ensembleSize: 3,
  dropout: 0.2,
  rows: [],
};
