import type { CompareResult } from '../schema/compare.js';
import type { Task } from '../schema/data.js';
import type { Metrics, RegressionMetrics } from '../schema/metrics.js';

/** A comparison's task (older files: classification). */
export function compareTask(result: Pick<CompareResult, 'data'>): Task {
  return result.data.task ?? 'classification';
}

/**
 * The one number a comparison ranks its rows by: the test error of a classifier, the test RMSE of a regression
 * (in the target's units). Lower is better for both.
 */
export function headline(metrics: Metrics | RegressionMetrics): number {
  return 'rmse' in metrics ? metrics.rmse : metrics.error;
}

/** How the headline is named and printed for a task: error in percent, RMSE to four significant digits. */
export function headlineFormat(task: Task): { name: string; short: string; format: (x: number) => string } {
  return task === 'regression'
    ? { name: 'test RMSE', short: 'RMSE', format: (x) => x.toPrecision(4) }
    : { name: 'test error (%)', short: 'error (%)', format: (x) => (100 * x).toFixed(2) };
}

/** A row's mean headline over its seeds: test error, or a regression's test RMSE. */
export function rowHeadline(summary: { error: { mean: number } | null; rmse?: { mean: number } }): number {
  return (summary.rmse ?? summary.error!).mean;
}
