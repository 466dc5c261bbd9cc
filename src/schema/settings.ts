import type { DataSourceSpec } from './data.js';

/**
 * The settings every kind of run shares, composed into each configuration that trains networks (TrainConfig,
 * CompareConfig, a queued run's job, a sweep's), so that a setting is written, checked and defaulted in one place.
 */

/** SGD as the paper trains: mini-batches, momentum (Nesterov's by default) and L2 weight decay. */
export interface OptimizerSettings {
  batchSize: number;
  momentum: number;
  nesterov: boolean;
  /** L2 weight decay, added to the gradient as PyTorch's SGD does. */
  weightDecay: number;
}

/** Which examples of a data source a run uses. */
export interface SplitSettings {
  /** The first N training examples (null: all). */
  trainSize: number | null;
  /** The last N of those held out for validation, not trained on (0: none). */
  valSize: number;
  /** The first N test examples (null: all). */
  testSize: number | null;
}

/** Where a run's examples come from, which of them it uses, and whether images are augmented in training. */
export interface DataSettings extends SplitSettings {
  source: DataSourceSpec;
  /** Random crops and flips of training images (tables are never augmented). */
  augment: boolean;
}
