import type { ReliabilityBin } from '../metrics/classification.js';

/** One reliability diagram of the report: whose, its bins, its ECE and its error. */
export interface ReliabilityPanel {
  /** 'snapshot k' or 'ensemble of last m'. */
  label: string;
  bins: ReliabilityBin[];
  ece: number;
  error: number;
}

/** One way to answer the test set in a cost chart: its test error and its FLOPs per image. */
export interface CostChartPoint {
  label: string;
  /** Colours the point: snapshot, ensemble, exported, student, or a comparison's row. */
  kind: string;
  error: number;
  flopsPerImage: number;
  pareto: boolean;
}
