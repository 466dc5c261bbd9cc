import type { InferenceCost } from '../deploy/inferenceCost.js';

import { evaluationRows, REGRESSION_HEADER, regressionRows, type MemberKind } from '../metrics/formatMetrics.js';
import { textTable } from '../util/tables.js';
import type { EnsembleEvaluation, RegressionEvaluation } from '../schema/metrics.js';

/** The table `train` and `evaluate` print: every snapshot alone, then the ensemble of the last m for each m. */
export function evaluationTable(evaluation: EnsembleEvaluation, kind: MemberKind = 'snapshot'): string {
  const header = ['model', 'error', 'NLL', 'ECE', 'Brier'];
  const rows = evaluationRows(evaluation, kind);
  return textTable(header, rows);
}

/** Error, NLL, ECE, FLOPs and images/s of every way to answer the test set; * marks the Pareto front. */
export function costTable(cost: InferenceCost): string {
  const rows = cost.points.map((p, i) => [
    `${cost.pareto[i] ? '* ' : '  '}${p.label}`,
    String(p.passes),
    `${(100 * p.error).toFixed(2)}%`,
    p.nll.toFixed(4),
    `${(100 * p.ece).toFixed(2)}%`,
    (p.flopsPerImage / 1e6).toFixed(1),
    p.imagesPerSecond.toFixed(0),
  ]);
  return textTable(['model', 'passes', 'error', 'NLL', 'ECE', 'MFLOPs/image', 'images/s'], rows);
}

/** The table `train` and `evaluate` print for a regression run: RMSE, MAE, Gaussian NLL, and the ensembles' spread. */
export function regressionTable(evaluation: RegressionEvaluation): string {
  return textTable([...REGRESSION_HEADER], regressionRows(evaluation));
}

/** Pairwise correlation of the members' softmax outputs as a matrix, with the mean correlation and disagreement. */
export function diversityTable(evaluation: EnsembleEvaluation): string {
  const d = evaluation.diversity;
  if (d === undefined || evaluation.members.length < 2) return '';
  const names = evaluation.members.map((m) => `${m.index}`);
  const rows = d.correlation.map((row, i) => [`snapshot ${names[i]}`, ...row.map((r) => (Number.isFinite(r) ? r.toFixed(3) : '-'))]);
  return [
    'correlation of softmax outputs',
    textTable(['', ...names], rows),
    `mean pairwise correlation ${d.meanCorrelation.toFixed(3)}, mean pairwise disagreement ${(100 * d.meanDisagreement).toFixed(2)}%`,
  ].join('\n');
}

export function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(rest).padStart(2, '0')}s` : `${rest}s`;
}

/** A compact UTC time stamp for default output names, e.g. 20261129-031500. */
export function timeStamp(date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** A size in bytes as B, kB or MB (powers of 10). */
export function formatBytes(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`;
}
