import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import type { RowName } from '../src/schema/compare.js';
import { DEFAULT_COMPARE_CONFIG, runCompare } from '../src/compare/runCompare.js';
import { loadIdxDataset } from '../src/data/loadIdxDataset.js';
import { readSwagMoments, writeSwagMoments } from '../src/run/swagState.js';
import { planCycles } from '../src/training/snapshotPlan.js';
import { addSwagIterate, emptySwagMoments, readTrainable, swagSample, SwagCollector, writeTrainable } from '../src/training/swag.js';
import { Rng, standardNormal } from '../src/util/rng.js';
import { DEFAULT_TRAIN_CONFIG } from '../src/schema/defaults.js';
import { trainSnapshotEnsemble } from '../src/run/train.js';
import { resumeSnapshotEnsemble } from '../src/run/resume.js';
import { TrainingInterrupted } from '../src/training/trainLoop.js';

import { runCli, tempDir } from './helpers/cli.js';
import { fileSha, readRecord } from './helpers/runs.js';
import type { TrainConfig } from '../src/schema/run.js';

describe('SWAG moments (Maddox et al. 2019) on a tiny model, against a direct computation', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  function tinyModel(): tfl.LayersModel {
    const input = tfl.input({ shape: [3] });
    const out = tfl.layers.dense({ units: 2 }).apply(input) as tfl.SymbolicTensor;
    return tfl.model({ inputs: input, outputs: out });
  }

  it('mean, second moment and the last K deviations theta_i - mean_i of 5 iterates with K = 3', () => {
    const before = tf.memory().numTensors;
    const model = tinyModel();
    const collector = new SwagCollector(model, 3);
    const rng = new Rng(7);
    const iterates: number[][] = [];
    for (let n = 0; n < 5; n++) {
      const theta = Float32Array.from({ length: 8 }, () => rng.next() * 2 - 1);
      writeTrainable(model, theta);
      expect(Array.from(readTrainable(model))).toEqual(Array.from(theta));
      iterates.push(Array.from(theta));
      collector.update();
    }
    const { moments } = collector;
    expect(moments.count).toBe(5);
    const meanOf = (k: number) => Array.from({ length: 8 }, (_, i) => iterates.slice(0, k).reduce((s, t) => s + t[i]!, 0) / k);
    const mean = meanOf(5);
    mean.forEach((v, i) => expect(moments.mean[i]).toBeCloseTo(v, 6));
    iterates[0]!.forEach((_, i) => expect(moments.sqMean[i]).toBeCloseTo(iterates.reduce((s, t) => s + t[i]! ** 2, 0) / 5, 6));
    // D keeps iterates 3, 4, 5, each minus the running mean just after it was added
    expect(moments.deviations).toHaveLength(3);
    [3, 4, 5].forEach((k, j) => {
      const m = meanOf(k);
      iterates[k - 1]!.forEach((w, i) => expect(moments.deviations[j]![i]).toBeCloseTo(w - m[i]!, 6));
    });
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a sample is mean + sqrt(1/2) (sigma z1 + D z2 / sqrt(K - 1)), z1 drawn before z2', () => {
    const moments = emptySwagMoments(4, 3);
    const rng = new Rng(3);
    const iterates = [0, 1, 2, 3].map(() => Float32Array.from({ length: 4 }, () => rng.next()));
    iterates.forEach((t) => addSwagIterate(moments, t));
    const sample = swagSample(moments, new Rng(11));
    const z = new Rng(11);
    const z1 = [0, 1, 2, 3].map(() => standardNormal(z));
    const z2 = [0, 1, 2].map(() => standardNormal(z));
    for (let i = 0; i < 4; i++) {
      const sigma = Math.sqrt(Math.max(moments.sqMean[i]! - moments.mean[i]! ** 2, 0));
      const low = moments.deviations.reduce((s, d, k) => s + d[i]! * z2[k]!, 0) / Math.sqrt(2);
      expect(sample[i]).toBeCloseTo(moments.mean[i]! + Math.SQRT1_2 * (sigma * z1[i]! + low), 6);
    }
    // with one iterate there is no covariance: the sample is the iterate itself
    const one = emptySwagMoments(4, 3);
    addSwagIterate(one, iterates[0]!);
    expect(Array.from(swagSample(one, new Rng(1)))).toEqual(Array.from(iterates[0]!));
  });

  it('moments.bin round-trips bit for bit, and a damaged file is refused', () => {
    const dir = tempDir();
    const moments = emptySwagMoments(5, 2);
    const rng = new Rng(5);
    for (let n = 0; n < 3; n++) addSwagIterate(moments, Float32Array.from({ length: 5 }, () => rng.next()));
    const record = writeSwagMoments(dir, moments, 4, 30);
    expect(record).toMatchObject({ path: 'swag', startEpoch: 4, maxRank: 2, count: 3, rank: 2, parameters: 5, savedAt: 30 });
    const back = readSwagMoments(dir, record);
    expect(back).toEqual(moments);
    const file = path.join(dir, 'swag', 'moments.bin');
    const bytes = readFileSync(file);
    bytes[0] = bytes[0]! ^ 1;
    writeFileSync(file, bytes);
    expect(() => readSwagMoments(dir, record)).toThrow(/moments\.bin: damaged \(sha256 differs from run\.json\)/);
  });

  it('plans the SWA schedule and no snapshots', () => {
    const plan = planCycles({ schedule: 'swag', totalSteps: 40, cycles: 1, lr0: 0.1, iterationsPerEpoch: 4 });
    // 10 epochs, collection from round(0.75 x 10) = 8
    expect(plan.schedule).toEqual({ name: 'swa', lr0: 0.1, swaLr: 0.05, swaStart: 32 });
    expect(plan.snapshotAt).toEqual([]);
  });
});

describe('train --schedule swag: saved, reloaded and evaluated', () => {
  it('evaluate draws the same samples as training did with the same seed, other ones with another seed', () => {
    const out = path.join(tempDir(), 'swag');
    // 32 images / 8 = 4 iterations per epoch, 4 epochs; collection from epoch round(0.6 x 4) = 2: three weight sets
    const train = runCli(['train', '--train-size', '32', '--test-size', '30', '--batch-size', '8', '--epochs', '4', '--schedule', 'swag', '--swag-start', '0.6', '--swag-samples', '3', '--out', out, '--json']);
    expect(train.code).toBe(0);
    // the run report (written by train) draws the same samples
    expect(train.stderr).not.toMatch(/warning/);
    const record = readRecord(out);
    expect(record.config.swag).toEqual({ start: 0.6, lr: 0.05, rank: 20, samples: 3 });
    expect(record.swag).toMatchObject({ path: 'swag', startEpoch: 2, count: 3, rank: 3, savedAt: 16 });
    expect(record.snapshots).toEqual([]);
    expect(record.evaluation!.members).toHaveLength(3);
    const evaluate = runCli(['evaluate', out, '--json']);
    expect(evaluate.code).toBe(0);
    const again = JSON.parse(evaluate.stdout) as NonNullable<typeof record.evaluation>;
    expect(again.members).toEqual(record.evaluation!.members);
    expect(again.ensembles).toEqual(record.evaluation!.ensembles);
    const other = JSON.parse(runCli(['evaluate', out, '--json', '--swag-seed', '99', '--swag-samples', '2']).stdout) as typeof again;
    expect(other.members).toHaveLength(2);
    expect(other.members[0]!.nll).not.toBe(again.members[0]!.nll);
    const last = runCli(['evaluate', out, '--last', '1']);
    expect(last.stderr).toMatch(/^error: --last applies to snapshots; .* is a SWAG run/m);
  });
});

describe('compare rows fge, swa and swag: one loop, one budget', () => {
  it('SWA and SWAG share one run; SWAG has S members with a curve and diversity; FGE members at cycle middles', async () => {
    await useBackend('wasm');
    const dataset = loadIdxDataset(undefined, { trainSize: 32, testSize: 20 });
    const result = await runCompare({
      config: {
        ...DEFAULT_COMPARE_CONFIG,
        epochs: 4,
        cycles: 1,
        batchSize: 8,
        fge: { cycleEpochs: 0.5, lr1: 0.05, lr2: 0.0005, pretrain: 0.5 },
        swag: { rank: 20, samples: 3 },
        rows: ['fge', 'swa', 'swag'].map((row) => ({ row: row as RowName, seeds: [1] })),
      },
      dataset,
      outDir: null,
    });
    expect(result.status).toBe('completed');
    // FGE, and the one run SWA and SWAG share
    expect(result.runs.map((r) => r.id)).toEqual(['fge-c0.5-lr0.05-0.0005-seed1', 'swa-lr0.05-from3-seed1']);
    const [fge, swa, swag] = result.rows;
    // T = 16, C = 2: pre-training 8, members after 10, 12, 14, 16, all at alpha_2
    expect(fge!.seeds[0]!.members.map((m) => [m.iteration, m.learningRate])).toEqual([10, 12, 14, 16].map((t) => [t, 0.0005]));
    expect(swa!.seeds[0]!.cost).toBe(1);
    expect(swag!.seeds[0]!.cost).toBe(1);
    expect(result.runs[1]!.swag).toEqual({ startEpoch: 3, collected: 2, rank: 2, samples: 3 });
    expect(swag!.seeds[0]!.members).toHaveLength(3);
    expect(swag!.seeds[0]!.ensembles).toHaveLength(3);
    expect(swag!.seeds[0]!.diversity!.correlation).toHaveLength(3);
    // the samples differ from one another and from the SWA average
    const nll = swag!.seeds[0]!.members.map((m) => m.test.nll);
    expect(new Set([...nll, swa!.seeds[0]!.final.nll]).size).toBe(4);
  });
});

describe('a SWAG run stopped and resumed', () => {
  it('continues with the moments saved beside its checkpoint and ends with the same moments, bit for bit', async () => {
    await useBackend('wasm');
    const dataset = loadIdxDataset(undefined, { trainSize: 32, testSize: 20 });
    const config: TrainConfig = {
      ...DEFAULT_TRAIN_CONFIG,
      trainSize: 32,
      testSize: 20,
      epochs: 4,
      batchSize: 8,
      cycles: 1,
      schedule: 'swag',
      swag: { start: 0.5, lr: 0.05, rank: 20, samples: 2 },
    };
    const root = tempDir();
    const reference = path.join(root, 'reference');
    await trainSnapshotEnsemble({ config, dataset, outDir: reference, evaluate: false });
    const stopped = path.join(root, 'stopped');
    let n = 0;
    // 4 iterations per epoch: stopped inside epoch 4, after the moments of epochs 2 and 3
    await expect(trainSnapshotEnsemble({ config, dataset, outDir: stopped, evaluate: false, shouldStop: () => ++n === 14 })).rejects.toThrow(TrainingInterrupted);
    expect(readRecord(stopped).swag).toMatchObject({ count: 2, savedAt: 14 });
    await resumeSnapshotEnsemble(stopped, { evaluate: false });
    const moments = (dir: string) => fileSha(path.join(dir, 'swag', 'moments.bin'));
    expect(readRecord(stopped).swag).toMatchObject({ count: 3, savedAt: 16 });
    expect(moments(stopped)).toBe(moments(reference));
  });
});
