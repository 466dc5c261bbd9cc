import { describe, expect, it } from 'vitest';
import { paretoFront } from '../src/deploy/pareto.js';
import { compareCostPoints, costChart } from '../src/report/costChart.js';
import { renderSvg } from '../src/report/renderSvg.js';
import type { CompareResult } from '../src/schema/compare.js';

describe('error against inference cost', () => {
  it('the Pareto front keeps the points no other beats on both error and FLOPs', () => {
    const points = [
      { error: 0.2, flopsPerImage: 1 }, // cheapest
      { error: 0.25, flopsPerImage: 1 }, // as cheap, worse
      { error: 0.15, flopsPerImage: 2 }, // better for more
      { error: 0.15, flopsPerImage: 3 }, // as good, dearer
      { error: 0.1, flopsPerImage: 3 }, // best
      { error: 0.2, flopsPerImage: 1 }, // a tie with the first: both stay
    ];
    expect(paretoFront(points)).toEqual([true, false, true, false, true, true]);
  });

  it("a comparison's rows cost their members' passes; the chart renders without warnings", async () => {
    const row = (key: string, members: number, error: number) => ({ key, members, summary: { error: { mean: error, std: null } } });
    const result = { data: { flopsPerImage: 2e6 }, rows: [row('single', 1, 0.2), row('snapshot-lr0.1', 2, 0.18), row('distilled', 1, 0.19), { key: 'swa', members: 1, summary: null }] } as unknown as CompareResult;
    const points = compareCostPoints(result)!;
    expect(points.map((p) => [p.label, p.flopsPerImage, p.pareto])).toEqual([
      ['single (1)', 2e6, false],
      ['snapshot-lr0.1 (2)', 4e6, true],
      ['distilled (1)', 2e6, true],
    ]);
    expect(compareCostPoints({ ...result, data: {} } as unknown as CompareResult)).toBeNull();
    const { svg, warnings } = await renderSvg(costChart(points, { id: 'cost', caption: '' }).spec);
    expect(warnings).toEqual([]);
    for (const label of ['single (1)', 'snapshot-lr0.1 (2)', 'distilled (1)']) expect(svg).toContain(`>${label}</text>`);
  });
});
