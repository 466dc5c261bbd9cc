

import type { Spread } from '../schema/compare.js';
import type { SweepConfig, SweepPoint } from './plan.js';
import type { Metrics, EnsembleMetrics } from '../schema/metrics.js';

export const SWEEP_FORMAT = 'snapshot-ensembles/sweep';
export const SWEEP_JSON = 'sweep.json';
export const SWEEP_MARKDOWN = 'sweep.md';
export const SWEEP_CHART = 'sweep.svg';

/** One seed of one grid point: the ensemble of all its snapshots, its last snapshot alone, every last-m ensemble. */
export interface SweepSeedResult {
  seed: number;
  run: string;
  /** Why the run stopped (training diverged), or null. */
  error: string | null;
  ensemble: Metrics | null;
  lastSnapshot: Metrics | null;
  lastM: EnsembleMetrics[];
  seconds: number;
}

/** One point of a sweep: its settings, each seed's result and their mean. */
export interface SweepPointResult extends Omit<SweepPoint, 'runs'> {
  seeds: SweepSeedResult[];
  /** Over the seeds that finished: the ensemble's test error and NLL, and the last snapshot's test error. */
  error: Spread | null;
  nll: Spread | null;
  lastSnapshotError: Spread | null;
}

/** sweep.json: a sweep's configuration, data and points, written as it goes. */
export interface SweepResult {
  format: typeof SWEEP_FORMAT;
  version: 1;
  status: 'running' | 'completed' | 'failed' | 'interrupted';
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
  backend: string;
  config: SweepConfig;
  data: { name: string; trainExamples: number; testExamples: number };
  iterationsPerEpoch: number;
  points: SweepPointResult[];
  seconds: number | null;
}
