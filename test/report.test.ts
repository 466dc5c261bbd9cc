import { describe, expect, it } from 'vitest';
import { pairwiseCorrelation } from '../src/metrics/diversity.js';
import { evaluateEnsemble } from '../src/metrics/evaluate.js';
import { meanProbabilities } from '../src/metrics/combine.js';
import { reliabilityBins } from '../src/metrics/classification.js';
import { errorChart, learningRateAndLossChart } from '../src/report/charts.js';
import { escapeHtml } from '../src/report/html.js';
import { renderSvg } from '../src/report/renderSvg.js';
import { bestMember, runReportData } from '../src/report/reportData.js';
import { runReportHtml } from '../src/report/runReportHtml.js';
import { sampleTrace, windowMeans } from '../src/report/trace.js';
import { syntheticMembers, syntheticRecord } from './helpers/syntheticRun.js';

/** Every element of an SVG mark group (class "mark-<type> role-mark <name>"), with its aria-label and position. */
function markItems(svg: string, type: string, name: string): { label: string; x: number; y: number }[] {
  const group = new RegExp(`<g class="mark-${type} role-mark ${name}"[^>]*>(.*?)</g>`, 's').exec(svg);
  if (group === null) return [];
  return [...group[1]!.matchAll(/aria-label="([^"]*)"[^>]*?transform="translate\(([-\d.e]+),([-\d.e]+)\)"/g)].map((m) => ({
    label: m[1]!,
    x: Number(m[2]),
    y: Number(m[3]),
  }));
}

describe('report: traces', () => {
  it('sampleTrace keeps the ends and the snapshot points, and takes values unchanged', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => Math.sin(i));
    const points = sampleTrace(values, 100, [3333, 3334, 9999]);
    expect(points.length).toBeLessThanOrEqual(104);
    expect(points[0]).toEqual({ iteration: 1, value: values[0] });
    expect(points[points.length - 1]).toEqual({ iteration: 10_000, value: values[9_999] });
    for (const t of [3333, 3334, 9999, 100, 5000]) expect(points.find((p) => p.iteration === t)?.value).toBe(values[t - 1]);
    expect(points.map((p) => p.iteration)).toEqual([...points.map((p) => p.iteration)].sort((a, b) => a - b));
    expect(sampleTrace([0.5, 0.25], 1500)).toEqual([{ iteration: 1, value: 0.5 }, { iteration: 2, value: 0.25 }]);
  });

  it('windowMeans averages consecutive windows, placing each at its last iteration', () => {
    expect(windowMeans([1, 2, 3, 4, 5], 2)).toEqual([
      { iteration: 2, value: 1.5 },
      { iteration: 4, value: 3.5 },
      { iteration: 5, value: 5 },
    ]);
    expect(windowMeans([4, 8], 1)).toEqual([{ iteration: 1, value: 4 }, { iteration: 2, value: 8 }]);
  });
});

describe('report: numbers', () => {
  const record = syntheticRecord({ totalSteps: 40, cycles: 4, perEpoch: 10 });
  const labels = Array.from({ length: 30 }, (_, i) => i % 3);
  const members = syntheticMembers(4, 30, 3, labels);

  it('holds the evaluation, the best member, reliability bins and correlations of the probabilities given', () => {
    const data = runReportData('demo', record, members, labels);
    const evaluation = evaluateEnsemble(members, labels, 'mean', [1, 2, 3, 4]);
    expect(data.evaluation).toEqual(evaluation);
    const best = bestMember(evaluation.members);
    expect(evaluation.members.every((m) => m.error >= best.error)).toBe(true);
    expect(data.reliability![0].label).toBe(`snapshot ${best.index}`);
    expect(data.reliability![0].bins).toEqual(reliabilityBins(members[best.index - 1]!, labels, 15));
    expect(data.reliability![1].label).toBe('ensemble of last 4');
    expect(data.reliability![1].bins).toEqual(reliabilityBins(meanProbabilities(members), labels, 15));
    expect(data.reliability![1].error).toBe(evaluation.ensembles[3]!.error);
    expect(data.correlation).toEqual(pairwiseCorrelation(members));
    expect(data.learningRate).toHaveLength(40);
    expect(data.loss).toHaveLength(40);
    expect(data.lossWindow).toBe(1);
    expect(data.epochLoss.map((p) => p.iteration)).toEqual([10, 20, 30, 40]);
  });

  it('bestMember breaks ties on NLL', () => {
    const m = (index: number, error: number, nll: number) => ({ index, error, nll, ece: 0, brier: 0 });
    expect(bestMember([m(1, 0.2, 0.5), m(2, 0.1, 0.6), m(3, 0.1, 0.4)]).index).toBe(3);
  });

  it('a run without the per-iteration loss still gets its epoch losses', () => {
    const old = syntheticRecord({ totalSteps: 40, cycles: 4, perEpoch: 10, withLoss: false });
    const data = runReportData('old', old, members, labels);
    expect(data.loss).toBeNull();
    expect(data.epochLoss).toHaveLength(4);
  });
});

describe('report: charts rendered to SVG in Node', () => {
  it("Figure 2 puts each snapshot's point at its iteration and learning rate", async () => {
    const record = syntheticRecord({ totalSteps: 40, cycles: 4, perEpoch: 10 });
    const chart = learningRateAndLossChart({
      learningRate: sampleTrace(record.history.learningRate, 1500),
      loss: windowMeans(record.history.loss!, 1),
      lossWindow: 1,
      epochLoss: record.history.epochs.map((e) => ({ iteration: e.iteration, value: e.loss })),
      snapshots: record.snapshots,
      totalSteps: 40,
    });
    const { svg, warnings } = await renderSvg(chart.spec);
    expect(warnings).toEqual([]);
    const points = markItems(svg, 'symbol', 'concat_0_layer_1_marks');
    expect(points.map((p) => p.label)).toEqual(record.snapshots.map((s) => `iteration: ${s.iteration}; learningRate: ${+s.learningRate.toPrecision(12)}`));
    // x = width * t / T on a [0, T] axis 760 pixels wide
    points.forEach((p, i) => expect(p.x).toBeCloseTo((760 * record.snapshots[i]!.iteration) / 40, 6));
    // every snapshot sits at the bottom of its cycle: lr0 / 2 (cos(pi (L - 1) / L) + 1) with L = 10
    const lr = (0.1 / 2) * (Math.cos((Math.PI * 9) / 10) + 1);
    for (const s of record.snapshots) expect(s.learningRate).toBeCloseTo(lr, 12);
    // the loss panel draws one line through every iteration
    expect(svg).toMatch(/<g class="mark-line role-mark concat_1_layer_0_marks"/);
  });

  it('the error chart has one point per ensemble size and one per snapshot', async () => {
    const labels = Array.from({ length: 30 }, (_, i) => i % 3);
    const evaluation = evaluateEnsemble(syntheticMembers(3, 30, 3, labels), labels);
    const { svg, warnings } = await renderSvg(errorChart([{ name: 'demo', evaluation }]).spec);
    expect(warnings).toEqual([]);
    const diamonds = markItems(svg, 'symbol', 'layer_1_marks');
    expect(diamonds.map((d) => d.label)).toEqual(
      evaluation.members.map((m) => expect.stringContaining(`test error (%): ${+(100 * m.error).toPrecision(12)}`)),
    );
  });

  it('the error chart takes several runs (rows of a comparison), one coloured series of each kind per run', async () => {
    const labels = Array.from({ length: 30 }, (_, i) => i % 3);
    const a = evaluateEnsemble(syntheticMembers(3, 30, 3, labels, 1), labels);
    const b = evaluateEnsemble(syntheticMembers(2, 30, 3, labels, 2), labels);
    const { svg, warnings } = await renderSvg(errorChart([{ name: 'snapshot', evaluation: a }, { name: 'true ensemble', evaluation: b }]).spec);
    expect(warnings).toEqual([]);
    for (const name of ['snapshot: last m', 'snapshot: snapshot k', 'true ensemble: last m', 'true ensemble: snapshot k']) expect(svg).toContain(`>${name}</text>`);
    expect(markItems(svg, 'symbol', 'layer_1_marks')).toHaveLength(5);
  });

  it('the whole page: five charts, no warnings, escaped text, nothing fetched from elsewhere', async () => {
    const record = syntheticRecord({ totalSteps: 40, cycles: 4, perEpoch: 10, name: '<b>fashion & co</b>' });
    const labels = Array.from({ length: 30 }, (_, i) => i % 3);
    const data = runReportData('run <1>', record, syntheticMembers(4, 30, 3, labels), labels);
    const { html, charts, warnings } = await runReportHtml(data, 'footer');
    expect(warnings).toEqual([]);
    expect(charts).toEqual(['learning-rate-and-loss', 'error-against-m', 'correlation', 'disagreement', 'reliability']);
    for (const id of charts) expect(html).toMatch(new RegExp(`<figure class="chart" id="${id}">\\s*<svg[^>]*>.*?role-mark`, 's'));
    expect(html).toContain(escapeHtml('<b>fashion & co</b>'));
    expect(html).not.toContain('<b>fashion');
    expect(html).toContain('run &lt;1&gt;');
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<\?xml/);
    // the metrics table holds every member and every ensemble
    for (const m of data.evaluation.members) expect(html).toContain(`<td>snapshot ${m.index}</td><td>${(100 * m.error).toFixed(2)}%</td>`);
    for (const e of data.evaluation.ensembles) expect(html).toContain(`<td>ensemble of last ${e.m} (mean)</td><td>${(100 * e.error).toFixed(2)}%</td>`);
  });
});
