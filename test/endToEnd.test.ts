import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { writePng } from './helpers/imageFolder.js';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Metrics } from '../src/schema/metrics.js';
import { classificationHead } from '../src/training/taskHead.js';
import { useBackend } from '../src/backend/backends.js';
import { FASHION_MNIST_NORMALIZATION } from '../src/data/batch.js';
import { loadIdxDataset } from '../src/data/loadIdxDataset.js';
import { predictProbabilities } from '../src/models/predict.js';
import { fileSystem } from '../src/io/fileSystemHandler.js';

import { buildModel } from '../src/models/registry.js';
import { SgdOptimizer } from '../src/training/sgd.js';
import { saveSnapshot } from '../src/run/runDirectory.js';
import { planSnapshotCosine } from '../src/training/snapshotPlan.js';
import { scheduleFromConfig } from '../src/schedules/fromConfig.js';
import { trainLoop } from '../src/training/trainLoop.js';
import { Rng } from '../src/util/rng.js';
import { runCli, tempDir } from './helpers/cli.js';
import { idxBytes } from './helpers/idx.js';
import type { RunRecord } from '../src/schema/run.js';

describe('snapshot ensembles end to end', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('snapshots saved during training reload with tf.loadLayersModel and predict exactly as before saving', async () => {
    const data = loadIdxDataset(undefined, { trainSize: 256, testSize: 100 });
    const dir = tempDir();
    const model = buildModel('cnn', { inputShape: [28, 28, 1], numClasses: 10 }, 3);
    const plan = planSnapshotCosine(8, 2, 0.05);
    const live: Float32Array[] = [];
    const optimizer = new SgdOptimizer({ learningRate: 0.05 });
    await trainLoop({
      model,
      optimizer,
      train: data.train,
      head: classificationHead(10),
      normalization: FASHION_MNIST_NORMALIZATION,
      augmentation: { pad: 2, flip: true },
      batchSize: 64,
      epochs: 2,
      schedule: scheduleFromConfig(plan.schedule),
      snapshotAt: plan.snapshotAt,
      rng: new Rng(1),
      hooks: {
        onSnapshot: async ({ index }) => {
          live.push(predictProbabilities(model, data.test, FASHION_MNIST_NORMALIZATION, 10).data);
          await saveSnapshot(model, path.join(dir, String(index)));
        },
      },
    });
    model.dispose();
    optimizer.dispose();
    expect(live).toHaveLength(2);
    for (const [i, probs] of live.entries()) {
      const snapshotDir = path.join(dir, String(i + 1));
      expect(existsSync(path.join(snapshotDir, 'model.json'))).toBe(true);
      expect(existsSync(path.join(snapshotDir, 'weights.bin'))).toBe(true);
      const loaded = await tfl.loadLayersModel(fileSystem(snapshotDir));
      const again = predictProbabilities(loaded, data.test, FASHION_MNIST_NORMALIZATION, 10).data;
      expect(Array.from(again)).toEqual(Array.from(probs));
      loaded.dispose();
    }
    // the two snapshots are different networks
    expect(Array.from(live[0]!)).not.toEqual(Array.from(live[1]!));
    expect(tf.memory().numTensors).toBe(0);
  });

  it('train then evaluate --json from the command line: M = 2 members and ensembles, as recorded', async () => {
    const out = path.join(tempDir(), 'run');
    const train = runCli(['train', '--train-size', '320', '--test-size', '200', '--epochs', '2', '--cycles', '2', '--lr0', '0.05', '--out', out]);
    expect(train.stderr).toContain('snapshot 2 saved');
    expect(train.code).toBe(0);
    expect(train.stdout).toMatch(/ensemble of last 2 \(mean\)/);
    const record = JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')) as RunRecord;
    expect(record.status).toBe('completed');
    expect(record.totalSteps).toBe(10);
    expect(record.snapshots.map((s) => s.iteration)).toEqual([5, 10]);
    expect(record.history.learningRate).toHaveLength(10);
    expect(record.history.epochs).toHaveLength(2);

    const evaluate = runCli(['evaluate', out, '--json']);
    expect(evaluate.code).toBe(0);
    const result = JSON.parse(evaluate.stdout) as {
      members: { index: number; error: number; nll: number; ece: number; brier: number }[];
      ensembles: { m: number; error: number; nll: number; ece: number; brier: number }[];
    };
    expect(result.members.map((m) => m.index)).toEqual([1, 2]);
    expect(result.ensembles.map((e) => e.m)).toEqual([1, 2]);
    for (const m of [...result.members, ...result.ensembles]) {
      for (const v of [m.error, m.ece]) expect(v >= 0 && v <= 1).toBe(true);
    }
    // reloaded snapshots score exactly as they did when they were taken
    result.members.forEach((m, i) => {
      expect(m.error).toBe((record.snapshots[i]!.test as Metrics).error);
      expect(m.nll).toBeCloseTo(record.snapshots[i]!.test!.nll, 10);
    });

    const vote = runCli(['evaluate', out, '--json', '--combine', 'vote', '--last', '1']);
    expect(vote.code).toBe(0);
    const voted = JSON.parse(vote.stdout) as { members: unknown[]; ensembles: { error: number }[] };
    expect(voted.members).toHaveLength(1);
    expect(voted.ensembles[0]!.error).toBe(result.members[1]!.error);

    // predict: a small IDX file and a PNG of its first image give the same probabilities
    const images = tempDir();
    const test = loadIdxDataset(undefined, { testSize: 20 }).test;
    const idxFile = path.join(images, 'few.idx.gz');
    writeFileSync(idxFile, gzipSync(idxBytes([20, 28, 28], test.images)));
    const pngFile = path.join(images, 'first.png');
    // as RGB: decoding turns it grey again (BT.601 luma of equal R, G and B is that value)
    await writePng(pngFile, Uint8Array.from(Array.from(test.images.subarray(0, 784)).flatMap((v) => [v, v, v])), 28, 28, 3);
    const predict = runCli(['predict', out, idxFile, pngFile, '--last', '2']);
    expect(predict.code).toBe(0);
    const lines = predict.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(lines).toHaveLength(21);
    expect(lines[0]![0]).toBe(`${idxFile}#0`);
    expect(lines[20]![0]).toBe(pngFile);
    const probs = lines[0]![3]!.split(' ').map(Number);
    expect(probs).toHaveLength(10);
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(lines[20]!.slice(1)).toEqual(lines[0]!.slice(1));
    expect(Number(lines[0]![1])).toBe(probs.indexOf(Math.max(...probs)));
  });
});
