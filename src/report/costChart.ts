import type { TopLevelSpec } from 'vega-lite';
import type { CompareResult } from '../schema/compare.js';
import { paretoFront } from '../deploy/pareto.js';
import { SCHEMA, WIDE, type Chart } from './charts.js';
import type { CostChartPoint } from './chartTypes.js';

/**
 * Test error against inference cost (FLOPs per image, log scale), every point labelled, with the Pareto front (the
 * points that no other beats on both) joined by a line: what an ensemble's extra passes buy.
 */
export function costChart(points: readonly CostChartPoint[], options: { id: string; caption: string }): Chart {
  const rows = points.map((p) => ({ label: p.label, kind: p.kind, error: 100 * p.error, mflops: p.flopsPerImage / 1e6, front: p.pareto ? 'on the Pareto front' : 'dominated' }));
  const front = rows.filter((r) => r.front === 'on the Pareto front').sort((a, b) => a.mflops - b.mflops);
  const x = { field: 'mflops', type: 'quantitative' as const, title: 'inference cost (MFLOPs per image, log scale)', scale: { type: 'log' as const, nice: false, padding: 20 } };
  const y = { field: 'error', type: 'quantitative' as const, title: 'test error (%)', scale: { zero: false, padding: 12 } };
  return {
    id: options.id,
    caption: options.caption,
    spec: {
      $schema: SCHEMA,
      title: 'Test error against inference cost',
      width: WIDE,
      height: 300,
      layer: [
        { data: { values: front }, mark: { type: 'line', color: '#999', strokeDash: [4, 3], interpolate: 'step-after' }, encoding: { x, y } },
        {
          data: { values: rows },
          mark: { type: 'point', filled: true, size: 80 },
          encoding: { x, y, color: { field: 'kind', type: 'nominal', title: null }, shape: { field: 'front', type: 'nominal', title: null } },
        },
        { data: { values: rows }, mark: { type: 'text', align: 'left', dx: 7, dy: -6, fontSize: 10 }, encoding: { x, y, text: { field: 'label' } } },
      ],
    } as TopLevelSpec,
  };
}

/**
 * A comparison's rows as cost points: each row's mean test error over seeds at its members' FLOPs (m passes of one
 * network of flopsPerImage); null for a compare.json written before the FLOPs were recorded.
 */
export function compareCostPoints(result: CompareResult): CostChartPoint[] | null {
  const flops = result.data.flopsPerImage;
  if (flops === undefined || result.data.task === 'regression') return null;
  const rows = result.rows.filter((r) => r.summary !== null);
  if (rows.length === 0) return null;
  const points = rows.map((r) => ({ label: `${r.key} (${r.members})`, kind: r.members === 1 ? 'one network' : 'ensemble', error: r.summary!.error!.mean, flopsPerImage: r.members * flops }));
  const front = paretoFront(points);
  return points.map((p, i) => ({ ...p, pareto: front[i]! }));
}
