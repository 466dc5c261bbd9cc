import * as tf from '@tensorflow/tfjs-core';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Metrics } from '../src/schema/metrics.js';
import { useBackend } from '../src/backend/backends.js';
import type { CompareResult, RowResult } from '../src/schema/compare.js';
import { DEFAULT_COMPARE_CONFIG, runCompare } from '../src/compare/runCompare.js';
import { compareText } from '../src/compare/table.js';
import { loadIdxDataset } from '../src/data/loadIdxDataset.js';
import { compareReportData, meanMatrix } from '../src/report/compareReportData.js';
import { compareSummary } from '../src/report/compareReportHtml.js';
import { compareCorrelationChart, compareErrorChart, compareTrainingChart, configurationLabel } from '../src/report/compareCharts.js';
import { wrapWords } from '../src/report/heatmaps.js';
import { renderSvg } from '../src/report/renderSvg.js';
import { runCli, tempDir, type CliResult } from './helpers/cli.js';

/**
 * One small real comparison through the command line: 64 training images (+32 for validation), batch 32, so one
 * epoch is 2 iterations; B = 2 epochs (T = 4 iterations), M = 2, a true ensemble of k = 2, single with 2 seeds.
 */
describe('compare: the paper\'s Table 1 on a small subset', () => {
  let out: string;
  let run: CliResult;
  let result: CompareResult;
  const row = (key: string): RowResult => result.rows.find((r) => r.key === key)!;

  beforeAll(() => {
    out = path.join(tempDir(), 'cmp');
    run = runCli([
      'compare',
      ...['--train-size', '96', '--val-size', '32', '--test-size', '60', '--batch-size', '32'],
      ...['--epochs', '2', '--cycles', '2', '--ensemble-size', '2', '--lr0', '0.05', '--snapshot-lr0', '0.05,0.1', '--swa-lr', '0.02'],
      ...['--rows', 'single:2,dropout,nocycle,singlecycle,snapshot,swa,true-ensemble', '--out', out],
    ]);
    result = JSON.parse(readFileSync(path.join(out, 'compare.json'), 'utf8')) as CompareResult;
  });

  it('produces every row, at the right cost in budgets, measured from the iterations its runs trained', () => {
    expect(run.stderr).not.toMatch(/^error/m);
    expect(run.code).toBe(0);
    expect(result.status).toBe('completed');
    expect(result.budgetIterations).toBe(4);
    expect(result.data).toMatchObject({ trainExamples: 64, validationExamples: 32, testExamples: 60 });
    const costs = Object.fromEntries(result.rows.map((r) => [r.key, r.seeds.map((s) => s.cost)]));
    expect(costs).toEqual({
      single: [1, 1],
      dropout: [1],
      nocycle: [1],
      singlecycle: [1],
      'snapshot-lr0.05': [1],
      'snapshot-lr0.1': [1],
      swa: [1],
      'true-ensemble': [2],
    });
    expect(result.rows.map((r) => r.members)).toEqual([1, 1, 2, 2, 2, 2, 1, 2]);
    // 10 runs: seed 1 trains the step run once for single, nocycle and the ensemble's first member
    expect(result.runs.map((r) => r.id).sort()).toEqual(
      [
        'step-seed1',
        'step-dropout0.2-seed1',
        'cosine0.05-1ep-seed1',
        'cosine0.05-1ep-seed10008',
        'snapshot-lr0.05-M2-seed1',
        'snapshot-lr0.1-M2-seed1',
        'swa-lr0.02-from1-seed1',
        'step-seed10008',
        'step-seed2',
      ].sort(),
    );
    expect(result.runs.find((r) => r.id === 'step-seed1')!.snapshotAt).toEqual([2, 4]);
    expect(result.runs.find((r) => r.id === 'step-seed2')!.snapshotAt).toEqual([4]);
  });

  it('rows that share a run share its members; SingleCycle\'s first model is the Snapshot Ensemble\'s first cycle', () => {
    const single = row('single').seeds[0]!;
    const nocycle = row('nocycle').seeds[0]!;
    expect(single.members[0]!.test).toEqual(nocycle.members[1]!.test);
    expect(row('true-ensemble').seeds[0]!.members[0]!.test).toEqual(single.members[0]!.test);
    // same seed, same first cosine cycle from lr0 0.05 over 2 iterations: the same network
    expect(row('singlecycle').seeds[0]!.members[0]!.test).toEqual(row('snapshot-lr0.05').seeds[0]!.members[0]!.test);
    expect(row('singlecycle').seeds[0]!.members[1]!.test).not.toEqual(row('snapshot-lr0.05').seeds[0]!.members[1]!.test);
    // SWA averaged the weights at the ends of epochs 1..2 (round(0.75 * 2) = 2, moved to B - 1 so that two sets are
    // averaged), then re-estimated batch norm in one pass
    expect(result.runs.find((r) => r.id.startsWith('swa'))!.swa).toEqual({ startEpoch: 1, averaged: 2, batchNormBatches: 1 });
  });

  it('records per-member metrics, last-m curves, diversity and the combinations beyond the paper', () => {
    for (const r of result.rows) {
      for (const s of r.seeds) {
        expect(s.members).toHaveLength(r.members);
        expect(s.ensembles.map((e) => e.m)).toEqual(Array.from({ length: r.members }, (_, i) => i + 1));
        const { m: _m, ...last } = s.ensembles.at(-1)!;
        expect(s.final).toEqual(last);
        for (const m of s.members) {
          expect((m.test as Metrics).error >= 0 && (m.test as Metrics).error <= 1).toBe(true);
          expect(m.validation).not.toBeNull();
        }
        if (r.members === 1) {
          expect(s.diversity).toBeNull();
          expect(s.final).toEqual(s.members[0]!.test);
        } else {
          expect(s.diversity!.correlation).toHaveLength(r.members);
          expect(s.diversity!.correlation[0]![0]).toBe(1);
          expect(s.diversity!.disagreement[1]![0]).toBe(s.diversity!.disagreement[0]![1]);
          const b = s.beyondPaper!;
          expect(b.weighted!.weights.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 9);
          expect(b.bestK!.members.length).toBeGreaterThanOrEqual(1);
        }
      }
    }
    // several seeds give a mean and a standard deviation
    const s = row('single').summary!;
    expect(s.seeds).toBe(2);
    const errors = row('single').seeds.map((x) => (x.final as Metrics).error);
    expect(s.error!.mean).toBeCloseTo((errors[0]! + errors[1]!) / 2, 12);
    expect(s.error!.std).toBeCloseTo(Math.abs(errors[0]! - errors[1]!) / Math.SQRT2, 12);
    expect(row('nocycle').summary!.error!.std).toBeNull();
  });

  it('prints the table as text, writes it as markdown, and refuses to overwrite a comparison', () => {
    for (const r of result.rows) expect(run.stdout).toContain(r.label);
    expect(run.stdout).toMatch(/True ensemble of 2 single models \(costs 2 budgets\)\s+2\s+2\s+1\s/);
    const markdown = readFileSync(path.join(out, 'compare.md'), 'utf8');
    expect(markdown).toContain('| method | members | cost (budgets) | seeds | test error (%) | NLL | ECE (%) | mean corr. |');
    expect(markdown).toMatch(/\| Single model \(step lr 0\.05, x0\.1 at 50% and 75%\) \| 1 \| 1 \| 2 \| [\d.]+ ± [\d.]+ \|/);
    const before = readFileSync(path.join(out, 'compare.json'), 'utf8');
    const again = runCli(['compare', '--rows', 'single', '--train-size', '64', '--epochs', '1', '--cycles', '1', '--out', out]);
    expect(again.code).not.toBe(0);
    expect(again.stderr.trim()).toMatch(/^error: .*already holds a comparison; choose another --out or pass --overwrite$/);
    expect(readFileSync(path.join(out, 'compare.json'), 'utf8')).toBe(before);
  });
});

describe('the report of a comparison', () => {
  let out: string;
  let result: CompareResult;

  beforeAll(() => {
    out = path.join(tempDir(), 'cmp-report');
    const run = runCli([
      'compare',
      ...['--train-size', '64', '--test-size', '40', '--batch-size', '32', '--epochs', '2', '--cycles', '2'],
      ...['--lr0', '0.05', '--snapshot-lr0', '0.05', '--rows', 'single:2,nocycle,snapshot:2', '--out', out],
    ]);
    expect(run.stderr).not.toMatch(/^error/m);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(`report written to ${path.join(out, 'report.html')}`);
    result = JSON.parse(readFileSync(path.join(out, 'compare.json'), 'utf8')) as CompareResult;
  });

  it('holds every row with several members as a last-m curve, the one-model rows as levels, and the mean diversity', () => {
    const data = compareReportData('cmp', result);
    expect(data.curves.map((c) => c.key)).toEqual(['nocycle', 'snapshot-lr0.05']);
    const snapshot = result.rows.find((r) => r.key === 'snapshot-lr0.05')!;
    const curve = data.curves.find((c) => c.key === 'snapshot-lr0.05')!;
    expect(curve.seeds.map((s) => s.seed)).toEqual([1, 2]);
    for (let m = 1; m <= 2; m++) {
      const errors = snapshot.seeds.map((s) => (s.ensembles[m - 1] as Metrics).error);
      expect(curve.mean[m - 1]).toBeCloseTo((errors[0]! + errors[1]!) / 2, 12);
    }
    expect(data.references).toEqual([{ key: 'single', label: result.rows[0]!.label, seeds: 2, error: result.rows[0]!.summary!.error!.mean }]);
    const diversity = data.diversity.find((d) => d.key === 'snapshot-lr0.05')!;
    expect(diversity.seeds).toBe(2);
    const r = snapshot.seeds.map((s) => s.diversity!.correlation[0]![1]!);
    expect(diversity.correlation[0]![1]).toBeCloseTo((r[0]! + r[1]!) / 2, 12);
    expect(diversity.correlation[0]![0]).toBe(1);
    // the step runs of both seeds are one configuration; its members are nocycle's snapshots and the single model
    const step = data.configurations.find((c) => c.name === 'step')!;
    expect(step.runs.sort()).toEqual(['step-seed1', 'step-seed2']);
    expect(step.rows).toEqual(['single', 'nocycle']);
    expect(step.members.map((m) => m.iteration)).toEqual([2, 4]);
    expect(step.loss).toHaveLength(4);
    expect(data.best!.error).toBe(Math.min(...result.rows.map((x) => x.summary!.error!.mean)));
  });

  it('compare wrote it, and report rewrites it from compare.json alone, with no backend and no test set', () => {
    const written = readFileSync(path.join(out, 'report.html'), 'utf8');
    for (const id of ['compare-error-against-m', 'compare-training', 'compare-error-against-cost', 'compare-correlation', 'compare-disagreement']) {
      expect(written).toContain(`<figure class="chart" id="${id}">`);
    }
    for (const r of result.rows) expect(written).toContain(r.label);
    const other = path.join(tempDir(), 'elsewhere', 'cmp.html');
    const again = runCli(['report', out, '--out', other]);
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe(`report with 5 charts written to ${other}`);
    expect(again.stderr).not.toMatch(/backend/);
    expect(readFileSync(other, 'utf8').match(/<svg/g)).toHaveLength(5);
    const bad = runCli(['report', out, '--test-size', '10']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim()).toMatch(/^error: .*holds a comparison, whose report uses the test set it was run on: drop --data and --test-size$/);
  });

  it('the summary says which ensemble of snapshots beats the single model, or that none does', () => {
    const data = compareReportData('cmp', result);
    const single = data.single!.error;
    const withCurve = (mean: number[]) =>
      compareSummary({ ...data, curves: data.curves.map((c) => (c.key === 'snapshot-lr0.05' ? { ...c, mean } : c)) });
    expect(withCurve([single + 0.01, single - 0.01])).toContain('the ensemble of its last 2 snapshots already beats it');
    expect(withCurve([single - 0.02, single + 0.01])).toMatch(/its last snapshot alone beats it \([\d.]+%\), but no ensemble of two or more of its snapshots does/);
    expect(withCurve([single + 0.01, single + 0.02])).toContain('no ensemble of its snapshots beats it at this budget');
  });

  it('the error chart of one seed and no one-model rows renders without warnings (no empty layer)', async () => {
    const curve = { key: 'snapshot-lr0.1', label: 'Snapshot Ensemble', members: 2, seeds: [{ seed: 1, errors: [0.2, 0.1] }], mean: [0.2, 0.1] };
    const rendered = await renderSvg(compareErrorChart([curve], []).spec);
    expect(rendered.warnings).toEqual([]);
    expect(rendered.svg).toContain('role-mark');
  });

  it('gives every row one colour in every chart, and heatmap titles that are not cut', async () => {
    const data = compareReportData('cmp', result);
    type Scale = { domain: string[]; range: string[] };
    const colourOf = (scale: Scale, name: string) => scale.range[scale.domain.indexOf(name)];
    const errorSpec = compareErrorChart(data.curves, data.references, data.colours).spec as unknown as { layer: { encoding: { color: { scale: Scale } } }[] };
    const trainingSpec = compareTrainingChart(data.configurations, data.colours).spec as unknown as { vconcat: { layer?: { encoding: { color: { scale: Scale } } }[] }[] };
    const errorScale = errorSpec.layer[0]!.encoding.color.scale;
    const trainingScale = trainingSpec.vconcat[0]!.layer![0]!.encoding.color.scale;
    const label = (key: string) => result.rows.find((r) => r.key === key)!.label;
    // the step run serves single and nocycle: it takes single's colour; the snapshot run takes the snapshot row's
    const step = data.configurations.find((c) => c.name === 'step')!;
    const snapshot = data.configurations.find((c) => c.name.startsWith('snapshot'))!;
    expect(colourOf(trainingScale, configurationLabel(step))).toBe(colourOf(errorScale, label('single')));
    expect(colourOf(trainingScale, configurationLabel(snapshot))).toBe(colourOf(errorScale, label('snapshot-lr0.05')));
    expect(new Set(errorScale.range).size).toBe(errorScale.range.length);
    expect(new Set(trainingScale.range).size).toBe(trainingScale.range.length);

    const titled = data.diversity.find((r) => r.key === 'snapshot-lr0.05')!;
    expect(titled.seeds).toBe(2);
    const { svg, warnings } = await renderSvg(compareCorrelationChart(data.diversity).spec);
    expect(warnings).toEqual([]);
    expect(svg).not.toContain('\u2026');
    // a title of several lines is one <text> of <tspan>s
    const titleText = [...svg.matchAll(/<text[^>]*>(.*?)<\/text>/gs)].map((m) => m[1]!.replace(/<[^>]+>/g, ' ')).join(' ');
    for (const word of `${titled.label}, mean of 2 seeds`.split(' ')) expect(titleText).toContain(word);
    expect(wrapWords('Snapshot Ensemble (lr0 0.05, 2 cycles), mean of 2 seeds', 25)).toEqual(['Snapshot Ensemble (lr0', '0.05, 2 cycles), mean of', '2 seeds']);
  });

  it('meanMatrix averages entry by entry and leaves undefined entries undefined', () => {
    expect(meanMatrix([[[1, 0.5], [0.5, 1]], [[1, 0.25], [0.25, 1]]])).toEqual([[1, 0.375], [0.375, 1]]);
    expect(meanMatrix([[[1, null], [NaN, 1]], [[1, 0.2], [0.2, 1]]])).toEqual([[1, null], [null, 1]]);
    expect(meanMatrix([])).toEqual([]);
  });

  it('a comparison still running gets a report of the rows done so far; a file that is not a comparison is named', () => {
    const partial: CompareResult = { ...result, status: 'running', rows: result.rows.map((r, i) => (i === 0 ? r : { ...r, seeds: [], summary: null })) };
    const data = compareReportData('partial', partial);
    expect(data.curves).toEqual([]);
    expect(data.references.map((r) => r.key)).toEqual(['single']);
    const dir = path.join(tempDir(), 'not-a-comparison');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'compare.json'), '{"format": "something else"}');
    const run = runCli(['report', dir]);
    expect(run.code).not.toBe(0);
    expect(run.stderr.trim()).toBe(`error: ${path.join(dir, 'compare.json')}: not a snapshot-ensembles comparison`);
  });
});

describe('compare reports a diverging row instead of failing the whole comparison', () => {
  it('records the failed run, leaves it out of the means, and finishes the other rows', async () => {
    await useBackend('wasm');
    const dataset = loadIdxDataset(undefined, { trainSize: 32, testSize: 20 });
    const result = await runCompare({
      config: { ...DEFAULT_COMPARE_CONFIG, epochs: 2, cycles: 1, batchSize: 16, snapshotLr0: [0.05, 1e30], rows: [{ row: 'snapshot', seeds: [1] }] },
      dataset,
      outDir: null,
    });
    expect(result.status).toBe('completed');
    const [ok, diverged] = result.rows;
    expect(ok!.seeds).toHaveLength(1);
    expect(diverged!.seeds).toHaveLength(0);
    expect(diverged!.summary).toBeNull();
    expect(diverged!.failures).toEqual([{ seed: 1, run: 'snapshot-lr1e+30-M1-seed1', error: expect.stringMatching(/^training diverged: loss is NaN/) }]);
    expect(result.runs.find((r) => r.id === 'snapshot-lr1e+30-M1-seed1')!.error).toMatch(/diverged/);
    expect(compareText(result)).toMatch(/Snapshot Ensemble \(lr0 1e\+30, 1 cycle\)\s+1\s+1\s+0\s+diverged/);
  });
});

describe("compare's distilled row", () => {
  it('trains the snapshot run once for both rows, then the student from its members; costs both runs; keeps no tensor', async () => {
    await useBackend('wasm');
    const dataset = loadIdxDataset(undefined, { trainSize: 32, testSize: 20 });
    const before = tf.memory().numTensors;
    const result = await runCompare({
      config: {
        ...DEFAULT_COMPARE_CONFIG,
        epochs: 2,
        cycles: 2,
        batchSize: 16,
        snapshotLr0: [0.05],
        rows: [{ row: 'snapshot', seeds: [1] }, { row: 'distilled', seeds: [1] }],
        distill: { epochs: 1, temperature: 2, alpha: 0.5 },
      },
      dataset,
      outDir: null,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.runs.map((r) => [r.id, r.iterations])).toEqual([
      ['snapshot-lr0.05-M2-seed1', 4],
      ['distilled-T2-a0.5-1ep-from-snapshot-lr0.05-M2-seed1', 2],
    ]);
    expect(result.runs[1]!.distill).toEqual({ teacher: 'snapshot-lr0.05-M2-seed1', iterations: [2, 4], temperature: 2, alpha: 0.5 });
    const distilled = result.rows.find((r) => r.key === 'distilled')!;
    expect(distilled.members).toBe(1);
    expect(distilled.seeds[0]!.cost).toBe(1.5);
    expect(distilled.seeds[0]!.runs).toEqual(['snapshot-lr0.05-M2-seed1', 'distilled-T2-a0.5-1ep-from-snapshot-lr0.05-M2-seed1']);
    expect(distilled.summary!.error!.mean).toBeGreaterThan(0);
    expect(result.data.flopsPerImage).toBeGreaterThan(1e7);
  });
});
