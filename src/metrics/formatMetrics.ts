

import type { Metrics, RegressionMetrics } from '../schema/metrics.js';

/** A member's or an ensemble's metrics as table cells: error and ECE in percent, NLL and Brier to 4 decimals. */
export function metricCells(m: Metrics): string[] {
  return [`${(100 * m.error).toFixed(2)}%`, m.nll.toFixed(4), `${(100 * m.ece).toFixed(2)}%`, m.brier.toFixed(4)];
}

/** What a run's members are: snapshots of its weights, or (SWAG) weight samples drawn from its moments. */
export type MemberKind = 'snapshot' | 'sample';

/** The rows of a metrics table: every member alone, then the ensemble of the last m for every m. */
export function evaluationRows(
  evaluation: {
    members: readonly ({ index: number } & Metrics)[];
    ensembles: readonly ({ m: number } & Metrics)[];
    combine: string;
  },
  kind: MemberKind = 'snapshot',
): string[][] {
  const member = kind === 'snapshot' ? 'snapshot' : 'SWAG sample';
  const last = (m: number) => (kind === 'snapshot' ? `last ${m}` : `${m} sample${m === 1 ? '' : 's'}`);
  return [
    ...evaluation.members.map((m) => [`${member} ${m.index}`, ...metricCells(m)]),
    ...evaluation.ensembles.map((e) => [`ensemble of ${last(e.m)} (${evaluation.combine})`, ...metricCells(e)]),
  ];
}

/** Significant digits for RMSE, MAE and spread, which are in the target's units. */
function units(x: number): string {
  return Number.isFinite(x) ? x.toPrecision(4) : String(x);
}

/** The rows of a regression metrics table: RMSE, MAE, Gaussian NLL and (ensembles) the members' mean spread. */
export function regressionRows(evaluation: {
  members: readonly ({ index: number } & RegressionMetrics)[];
  ensembles: readonly ({ m: number; meanSpread: number } & RegressionMetrics)[];
}): string[][] {
  const cells = (m: RegressionMetrics) => [units(m.rmse), units(m.mae), m.nll.toFixed(4)];
  return [
    ...evaluation.members.map((m) => [`snapshot ${m.index}`, ...cells(m), '-']),
    ...evaluation.ensembles.map((e) => [`ensemble of last ${e.m} (mean)`, ...cells(e), units(e.meanSpread)]),
  ];
}

export const REGRESSION_HEADER = ['model', 'RMSE', 'MAE', 'NLL', 'spread'] as const;
