import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { rootMeanSquaredError } from '../src/metrics/regression.js';
import { predictValues } from '../src/models/predict.js';
import { loadRunSplits } from '../src/run/runData.js';
import { readRunRecord } from '../src/run/runRecord.js';
import { loadSnapshotModel } from '../src/run/snapshots.js';
import type { CompareResult } from '../src/schema/compare.js';
import type { Metrics, RegressionMetrics } from '../src/schema/metrics.js';
import { expectOneLineError, ROOT, runCli, tempDir } from './helpers/cli.js';
import { writeImageFolder } from './helpers/imageFolder.js';

const DIABETES = path.join(ROOT, 'data', 'tables', 'diabetes.csv');
const quick = ['--epochs', '4', '--cycles', '2', '--batch-size', '16', '--lr0', '0.05', '--backend', 'wasm'];

describe('--val-split: validation examples held out of every data source', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('IDX files and an image folder: the last examples held out, each snapshot measured on them', async () => {
    const folder = path.join(tempDir('se-val-'), 'clothes');
    await writeImageFolder(folder, { train: 8, test: 4, formats: ['png'] });
    for (const [data, trained, held] of [
      [['--train-size', '100'], 80, 20],
      [['--data', folder, '--image-size', '28', '--channels', '1'], 19, 5],
    ] as const) {
      const out = path.join(tempDir(), 'run');
      const r = runCli(['train', ...data, '--model', 'mlp-16x1', '--val-split', '0.2', '--out', out, '--no-report', ...quick]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`validation ${held}`);
      const record = readRunRecord(out);
      expect(record.config.valSize).toBe(held);
      expect(record.data.trainExamples).toBe(trained);
      for (const s of record.snapshots) {
        const v = s.validation as Metrics;
        expect(v.error).toBeGreaterThanOrEqual(0);
        expect(v.error).toBeLessThanOrEqual(1);
      }
      // the examples read back for the run are the same split
      const { dataset, validation } = await loadRunSplits(record);
      expect(dataset.train.count).toBe(trained);
      expect(validation!.count).toBe(held);
    }
    expectOneLineError(runCli(['train', '--val-split', '0.2', '--val-size', '5', ...quick]), /--val-size and --val-split both say how many examples to hold out: give one/);
  });

  it("a CSV regression: each member's noise variance is its mean squared error on the validation rows, not on the training rows", async () => {
    const out = path.join(tempDir(), 'diabetes');
    const r = runCli(['train', '--data', DIABETES, '--label', 'progression', '--task', 'regression', '--model', 'mlp-16x1', '--val-split', '0.25', '--out', out, '--no-report', ...quick]);
    expect(r.code, r.stderr).toBe(0);
    const record = readRunRecord(out);
    const { dataset, validation } = await loadRunSplits(record);
    expect(validation!.count).toBe(Math.round(0.25 * (dataset.train.count + validation!.count)));
    const target = record.data.targetNormalization!;
    for (const s of record.snapshots) {
      const model = await loadSnapshotModel(out, s);
      const onValidation = rootMeanSquaredError(predictValues(model, validation!, record.data.normalization, target), validation!.labels) ** 2;
      const onTraining = rootMeanSquaredError(predictValues(model, dataset.train, record.data.normalization, target), dataset.train.labels) ** 2;
      model.dispose();
      expect(s.noiseVariance).toBeCloseTo(onValidation, 6);
      expect(Math.abs(s.noiseVariance! - onTraining)).toBeGreaterThan(1);
      expect((s.validation as RegressionMetrics).rmse).toBeCloseTo(Math.sqrt(onValidation), 4);
    }
  });

  it('compare --task regression: every row on a table, RMSE, MAE and the Gaussian NLL per row', () => {
    const out = path.join(tempDir(), 'compare');
    const r = runCli(['compare', '--data', DIABETES, '--label', 'progression', '--task', 'regression', '--model', 'mlp-16x1', '--val-split', '0.2', '--rows', 'single,snapshot,swa,true-ensemble', '--snapshot-lr0', '0.05', '--ensemble-size', '2', '--out', out, ...quick]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Table 1: test RMSE, MAE, Gaussian NLL of each method at the same budget/);
    expect(r.stdout).toMatch(/method +members +cost \(budgets\) +seeds +test RMSE +MAE +NLL/);
    const result = JSON.parse(readFileSync(path.join(out, 'compare.json'), 'utf8')) as CompareResult;
    expect(result.data.task).toBe('regression');
    expect(result.data.target).toBe('progression');
    for (const row of result.rows) {
      expect(row.summary!.rmse!.mean).toBeGreaterThan(30);
      expect(row.summary!.rmse!.mean).toBeLessThan(120);
      expect(row.summary!.error).toBeNull();
      expect(row.seeds[0]!.members.every((m) => m.noiseVariance! > 0)).toBe(true);
    }
    const report = readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(report).toContain('test RMSE');
  });
});
