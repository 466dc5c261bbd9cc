import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { classified } from './helpers/runs.js';
import { useBackend } from '../src/backend/backends.js';
import { modelOutputs } from '../src/models/userModel.js';
import { sortedClasses } from '../src/data/csvTable.js';
import { splitIndices } from '../src/data/split.js';
import { channelStatistics } from '../src/data/statistics.js';
import { fileSystem } from '../src/io/fileSystemHandler.js';

import { combineGaussians, gaussianNll, normalCdf, quantileCalibration, regressionMetrics } from '../src/metrics/regression.js';
import { expectOneLineError, ROOT, runCli, tempDir } from './helpers/cli.js';
import { loadPlain, predictPlain } from './helpers/plainModel.js';
import { runTestSet } from '../src/run/runData.js';
import { errorRate } from '../src/metrics/classification.js';
import { probabilityMatrix } from '../src/metrics/probabilities.js';

/** The largest difference `export` printed between the exported model and the m-pass ensemble. */
function largestDifference(stdout: string): number {
  return Number(/largest difference in an? (?:probability|output) (\S+)/.exec(stdout)![1]);
}
import { expectTrainRefused } from './helpers/refused.js';
import type { RunRecord } from '../src/schema/run.js';

const WINE = path.join(ROOT, 'data', 'tables', 'wine.csv');
const DIABETES = path.join(ROOT, 'data', 'tables', 'diabetes.csv');
const FEATURES = readFileSync(WINE, 'utf8').split('\n')[0]!.split(',').slice(0, -1);

function csvFile(text: string): string {
  const file = path.join(tempDir(), 'table.csv');
  writeFileSync(file, text);
  return file;
}

const run = ['--epochs', '30', '--cycles', '3', '--batch-size', '32', '--lr0', '0.05', '--no-report'];

describe('regression metrics (pure)', () => {
  it('Gaussian NLL, RMSE and MAE against hand-computed values', () => {
    // y = [1, 3], mu = [0, 1], sigma^2 = [1, 4]: NLL = mean(0.5 log(2 pi) + 0.5, 0.5 log(8 pi) + 0.5)
    const nll = gaussianNll([0, 1], [1, 4], [1, 3]);
    expect(nll).toBeCloseTo((0.5 * Math.log(2 * Math.PI) + 0.5 + 0.5 * Math.log(8 * Math.PI) + 0.5) / 2, 12);
    const m = regressionMetrics([0, 1], [1, 4], [1, 3]);
    expect(m.rmse).toBeCloseTo(Math.sqrt(2.5), 12);
    expect(m.mae).toBeCloseTo(1.5, 12);
  });

  it('the ensemble is the moment-matched mixture: mean of means, noise plus spread', () => {
    const c = combineGaussians([
      { mean: [1, 0], noiseVariance: 1 },
      { mean: [3, 0], noiseVariance: 3 },
    ]);
    expect(Array.from(c.mean)).toEqual([2, 0]);
    expect(Array.from(c.variance)).toEqual([2 + 1, 2]);
    expect(Array.from(c.spread)).toEqual([1, 0]);
  });

  it('Phi and the quantile calibration of exact Gaussian predictions', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655254, 6);
    // Targets at the 10%, 30%, 50%, 70%, 90% quantiles of N(0, 1): three of them at or below the 60% quantile.
    const y = [-1.2815516, -0.5244005, 0, 0.5244005, 1.2815516];
    const points = quantileCalibration(new Array(5).fill(0), new Array(5).fill(1), y, [0.2, 0.6, 0.95]);
    expect(points.map((p) => p.observed)).toEqual([0.2, 0.6, 1]);
  });
});

describe('data helpers (pure)', () => {
  it('a stratified split holds out round(f n_c) of every class, the same for the same seed', () => {
    const labels = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    const a = splitIndices(15, 0.2, 3, labels);
    expect(a.held.map((i) => labels[i])).toEqual([0, 1, 1]);
    expect(a.kept.length + a.held.length).toBe(15);
    expect(splitIndices(15, 0.2, 3, labels)).toEqual(a);
  });

  it('classes in sorted order: numerically when numbers, else by code point', () => {
    expect(sortedClasses(['10', '2', '1', '2'])).toEqual(['1', '2', '10']);
    expect(sortedClasses(['b', 'B', 'a'])).toEqual(['B', 'a', 'b']);
  });

  it('per-channel statistics of bytes in [0, 1] and of a table in its units', () => {
    const image = { images: Uint8Array.from([0, 255, 255, 255]), labels: new Uint8Array(1), count: 1, height: 1, width: 2, channels: 2 };
    expect(channelStatistics(image)).toEqual({ mean: [0.5, 1], std: [0.5, 1] });
    const table = { images: Float32Array.from([1, 10, 3, 10]), labels: new Uint8Array(2), count: 2, height: 1, width: 1, channels: 2, shape: [2] };
    expect(channelStatistics(table)).toEqual({ mean: [2, 10], std: [1, 1] });
  });
});

describe('CSV tables: classification, regression, predict on a CSV', () => {
  beforeAll(async () => {
    await useBackend('cpu'); // for the exported models, loaded here as a user's code would
  });

  it('classifies the wine table with an MLP; evaluate, predict (one row per input row) and export', async () => {
    const out = path.join(tempDir(), 'wine');
    const r = runCli(['train', '--data', WINE, '--label', 'cultivar', '--model', 'mlp-32x1-bn', '--dropout', '0.1', '--out', out, ...run]);
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as RunRecord;
    expect(record.data.classNames).toEqual(['class_0', 'class_1', 'class_2']);
    expect(record.data.task).toBe('classification');
    expect(record.data.exampleShape).toEqual([13]);
    expect(record.data.augmentation).toBeNull();
    expect(record.data.source).toMatchObject({ kind: 'csv', label: 'cultivar', features: FEATURES, testSplit: 0.2 });
    expect(record.data.testExamples).toBe(36); // round(0.2 x 59, 71, 48) = 12 + 14 + 10
    const norm = record.data.normalization as { mean: number[]; std: number[] };
    expect(norm.mean).toHaveLength(13);
    expect(norm.mean[12]!).toBeGreaterThan(500); // proline, in its units
    const last = classified(record.evaluation).ensembles.at(-1)!;
    expect(last.error).toBeLessThan(0.15); // wine is easy: a linear model errs on a few percent

    const e = runCli(['evaluate', out, '--json']);
    expect(e.code, e.stderr).toBe(0);
    expect((JSON.parse(e.stdout) as { ensembles: { error: number }[] }).ensembles.at(-1)!.error).toBeCloseTo(last.error, 10);

    const rows = readFileSync(WINE, 'utf8').trim().split('\n');
    const header = rows[0]!.split(',').slice(0, -1).join(',');
    const input = csvFile([header, ...[1, 70, 170].map((i) => rows[i]!.split(',').slice(0, -1).join(','))].join('\n') + '\n');
    const p = runCli(['predict', out, input]);
    expect(p.code, p.stderr).toBe(0);
    const lines = p.stdout.trim().split('\n');
    expect(lines[0]).toBe('input,class,label,class_0,class_1,class_2');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(new RegExp(`^${input}:2,\\d,class_\\d,`));

    // export: the per-feature normalisation is one diagonal dense layer; the model gives evaluate's ensemble
    const exported = path.join(tempDir(), 'wine-export');
    const x = runCli(['export', out, '--out', exported]);
    expect(x.code, x.stderr).toBe(0);
    expect(x.stdout).toContain('input: raw feature values, 13; output: class probabilities');
    expect(largestDifference(x.stdout)).toBeLessThan(1e-5);
    const test = await runTestSet(record);
    const model = await loadPlain(exported);
    const probabilities = predictPlain(model, test.images, [test.count, 13]);
    model.dispose();
    expect(errorRate(probabilityMatrix(probabilities, 3), test.labels)).toBeCloseTo(last.error, 10);
  });

  it('regression on the diabetes table: RMSE, MAE, Gaussian NLL per member and per last-m ensemble; export', async () => {
    const out = path.join(tempDir(), 'diabetes');
    const r = runCli(['train', '--data', DIABETES, '--label', 'progression', '--task', 'regression', '--model', 'mlp-16x1', '--weight-decay', '0.01', '--out', out, ...run]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/model +RMSE +MAE +NLL +spread/);
    const record = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as RunRecord;
    expect(record.data.task).toBe('regression');
    expect(record.data.numClasses).toBe(1);
    expect(record.data.targetNormalization!.mean).toBeGreaterThan(140);
    expect(record.data.targetNormalization!.mean).toBeLessThan(165);
    expect(record.snapshots.every((s) => s.noiseVariance! > 0)).toBe(true);

    const e = runCli(['evaluate', out, '--json']);
    expect(e.code, e.stderr).toBe(0);
    const ev = JSON.parse(e.stdout) as { members: { rmse: number; nll: number; noiseVariance: number }[]; ensembles: { m: number; rmse: number; mae: number; nll: number; meanSpread: number }[] };
    expect(ev.members).toHaveLength(3);
    expect(ev.ensembles.map((x) => x.m)).toEqual([1, 2, 3]);
    // The ensemble of the last one is that member, with its own noise variance and no spread.
    expect(ev.ensembles[0]!.rmse).toBeCloseTo(ev.members[2]!.rmse, 8);
    expect(ev.ensembles[0]!.nll).toBeCloseTo(ev.members[2]!.nll, 8);
    expect(ev.ensembles[0]!.meanSpread).toBe(0);
    expect(ev.ensembles[2]!.meanSpread).toBeGreaterThan(0);
    // The standard deviation of the diabetes target is 77; a useful model does clearly better.
    expect(ev.ensembles[2]!.rmse).toBeLessThan(70);
    expect(ev.ensembles[2]!.rmse).toBeGreaterThan(40);

    const rows = readFileSync(DIABETES, 'utf8').trim().split('\n');
    const input = csvFile([rows[0], rows[5], rows[6]].join('\n') + '\n'); // the target column is ignored
    const p = runCli(['predict', out, input]);
    expect(p.code, p.stderr).toBe(0);
    const lines = p.stdout.trim().split('\n');
    expect(lines[0]).toBe('input,progression,std,spread');
    expect(lines).toHaveLength(3);
    const [, mean, std] = lines[1]!.split(',').map(Number);
    expect(mean!).toBeGreaterThan(25);
    expect(std!).toBeGreaterThan(0);

    // export: [mean, variance] of the mixture in the target's units, as evaluate computes them, to float precision
    const exported = path.join(tempDir(), 'diabetes-export');
    const x = runCli(['export', out, '--out', exported]);
    expect(x.code, x.stderr).toBe(0);
    expect(x.stdout).toContain('output: [mean, variance] of progression');
    expect(x.stdout).toMatch(/model +RMSE +MAE +NLL +examples\/s/);
    expect(largestDifference(x.stdout)).toBeLessThan(1e-2); // of values near 150 and variances near 3000: float32
    const model = await loadPlain(exported);
    const test = await runTestSet(record);
    const outputs = predictPlain(model, test.images, [test.count, 10]);
    model.dispose();
    const predicted = Array.from({ length: test.count }, (_, i) => outputs[2 * i]!);
    expect(Math.sqrt(predicted.reduce((s, p, i) => s + (p - test.labels[i]!) ** 2, 0) / test.count)).toBeCloseTo(ev.ensembles[2]!.rmse, 3);
    expect(Array.from({ length: test.count }, (_, i) => outputs[2 * i + 1]!).every((v) => v > 0)).toBe(true);
    expectOneLineError(runCli(['export', out, '--combine', 'geometric', '--out', path.join(tempDir(), 'never')]), /--combine geometric combines class probabilities; a regression ensemble/);
  });

  it('without --model, a table trains the default MLP', () => {
    const out = path.join(tempDir(), 'default-model');
    const r = runCli(['train', '--data', WINE, '--label', 'cultivar', '--out', out, ...run]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('training mlp-64x2 on wine');
    expect((JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as RunRecord).config.model).toBe('mlp-64x2');
  });

  describe('bad tables: one-line errors naming file, line and column; nothing written', () => {
    it('a ragged row', () => {
      expectTrainRefused(['--data', csvFile('a,b,y\n1,2,x\n3,4\n'), '--label', 'y', '--model', 'mlp-4x1'], /table\.csv:3: 2 fields but the header has 3/);
    });
    it('a non-numeric cell', () => {
      expectTrainRefused(['--data', csvFile('a,b,y\n1,2,x\n3,oops,z\n'), '--label', 'y', '--model', 'mlp-4x1'], /table\.csv:3: column 'b' holds 'oops', not a number/);
    });
    it('a missing label column', () => {
      expectTrainRefused(['--data', WINE, '--label', 'colour', '--model', 'mlp-4x1'], /wine\.csv: no label column 'colour' \(columns: alcohol, /);
    });
    it('a regression target that is not a number', () => {
      expectTrainRefused(['--data', WINE, '--label', 'cultivar', '--task', 'regression', '--model', 'mlp-4x1'], /wine\.csv:2: column 'cultivar' holds 'class_0', not a number/);
    });
    it('an image model on a table', () => {
      expectTrainRefused(['--data', WINE, '--label', 'cultivar', '--model', 'cnn'], /model 'cnn' takes H x W x C images.*use mlp-<width>x<depth>/);
    });
  });
});

describe("a user's own TF.js model (model.json)", () => {
  let dir: string;

  beforeAll(async () => {
    await useBackend('cpu');
    dir = tempDir('se-user-model-');
    const build = (features: number) => {
      const m = tfl.sequential({ name: 'mine' });
      m.add(tfl.layers.dense({ inputShape: [features], units: 8, activation: 'relu', name: 'hidden' }));
      m.add(tfl.layers.dense({ units: 3, name: 'logits' }));
      return m;
    };
    await build(13).save(fileSystem(path.join(dir, 'fits')));
    await build(5).save(fileSystem(path.join(dir, 'narrow')));
    // the same network ending in a softmax: as a Softmax layer, and as the dense layer's activation
    const softmaxLayer = build(13);
    softmaxLayer.add(tfl.layers.softmax({ name: 'probabilities' }));
    await softmaxLayer.save(fileSystem(path.join(dir, 'softmax-layer')));
    const softmaxActivation = tfl.sequential({ name: 'mine' });
    softmaxActivation.add(tfl.layers.dense({ inputShape: [13], units: 8, activation: 'relu', name: 'hidden' }));
    softmaxActivation.add(tfl.layers.dense({ units: 3, activation: 'softmax', name: 'probabilities' }));
    await softmaxActivation.save(fileSystem(path.join(dir, 'softmax-activation')));
  });

  it('a model that ends in a softmax trains without it (its logits), and says so', async () => {
    for (const [which, layer] of [['softmax-layer', 'probabilities'], ['softmax-activation', 'probabilities']]) {
      const out = path.join(tempDir(), which!);
      const r = runCli(['train', '--data', WINE, '--label', 'cultivar', '--model', path.join(dir, which!, 'model.json'), '--out', out, ...run]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`the output layer '${layer}' applies a softmax; training the model without it (its logits)`);
      const record = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as RunRecord;
      expect(classified(record.evaluation).ensembles.at(-1)!.error).toBeLessThan(0.3);
      const initial = await tfl.loadLayersModel(fileSystem(path.join(out, 'initial-model')));
      expect(modelOutputs(initial)).toBe('logits');
      initial.dispose();
    }
  });

  it('trains from its own weights and from a fresh initialisation; snapshots load as TF.js models', async () => {
    const model = path.join(dir, 'fits', 'model.json');
    for (const init of ['from-file', 'fresh']) {
      const out = path.join(tempDir(), 'run');
      const r = runCli(['train', '--data', WINE, '--label', 'cultivar', '--model', model, '--init', init, '--out', out, ...run]);
      expect(r.code, r.stderr).toBe(0);
      const record = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as RunRecord;
      expect(record.config.init).toBe(init);
      expect(classified(record.evaluation).ensembles.at(-1)!.error).toBeLessThan(0.3);
      const initial = await tfl.loadLayersModel(fileSystem(path.join(out, 'initial-model')));
      const original = await tfl.loadLayersModel(fileSystem(path.join(dir, 'fits')));
      const same = Array.from(initial.getWeights()[0]!.dataSync()).every((v, i) => v === original.getWeights()[0]!.dataSync()[i]);
      expect(same).toBe(init === 'from-file');
      const snapshot = await tfl.loadLayersModel(fileSystem(path.join(out, 'snapshots', '3')));
      expect(snapshot.outputs[0]!.shape).toEqual([null, 3]);
    }
  });

  it('a model whose input does not fit the data', () => {
    expectTrainRefused(['--data', WINE, '--label', 'cultivar', '--model', path.join(dir, 'narrow', 'model.json')], /narrow\/model\.json: the model takes inputs of shape \[5\] but the data's examples are \[13\]/);
  });
});
