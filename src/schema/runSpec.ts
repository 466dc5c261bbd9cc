import type { DistillSpec } from './compare.js';
import type { ScheduleConfig } from './schedules.js';

/** One training run of the loop. */
export interface RunSpec {
  /** Identifies the run by what it trains; rows asking for the same run share it. */
  id: string;
  seed: number;
  dropout: number;
  epochs: number;
  schedule: ScheduleConfig;
  /** Iterations after which the loop's onSnapshot hook takes a member (empty for SWA). */
  snapshotAt: number[];
  /** Average weights from the end of this epoch on; the run's one member is the average. */
  swa: { startEpoch: number } | null;
  /** SWAG's moments from the end of this epoch on, K deviations kept; its members are S samples (absent: none). */
  swag?: { startEpoch: number; rank: number; samples: number } | null;
  /** Keep the weights of the members taken (a distilled student learns from them). */
  keepWeights?: boolean;
  /** Train as a student of another run's members (that run comes first in the seed's runs). */
  distill?: DistillSpec;
}
