import type { TopLevelSpec } from 'vega-lite';
import { SCHEMA, WIDE } from '../report/charts.js';
import type { SweepResult } from './result.js';

/**
 * The sweep's chart: the ensemble's test error (mean over seeds) against lr0 on a log axis, one line per schedule,
 * budget and number of cycles, each seed as a faint point.
 */
export function sweepChart(result: SweepResult): TopLevelSpec {
  const series = (p: SweepResult['points'][number]) => `${p.schedule}, B = ${p.epochs}, M = ${p.cycles}`;
  const means = result.points.filter((p) => p.error !== null).map((p) => ({ series: series(p), lr0: p.lr0, error: 100 * p.error!.mean }));
  const seeds = result.points.flatMap((p) => p.seeds.filter((s) => s.ensemble !== null).map((s) => ({ series: series(p), lr0: p.lr0, error: 100 * s.ensemble!.error })));
  const x = { field: 'lr0', type: 'quantitative' as const, title: 'lr0', scale: { type: 'log' as const } };
  const y = { field: 'error', type: 'quantitative' as const, title: 'ensemble test error (%)', scale: { zero: false } };
  const color = { field: 'series', type: 'nominal' as const, title: null, legend: { orient: 'bottom' as const, columns: 1, labelLimit: 600 } };
  return {
    $schema: SCHEMA,
    title: `Snapshot Ensembles of ${result.config.model}: test error against lr0`,
    width: WIDE,
    height: 320,
    layer: [
      { data: { values: seeds }, mark: { type: 'point', opacity: 0.4 }, encoding: { x, y, color } },
      { data: { values: means }, mark: { type: 'line', point: true, strokeWidth: 2 }, encoding: { x, y, color } },
    ],
  } as TopLevelSpec;
}
