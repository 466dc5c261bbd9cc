import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { FASHION_MNIST_NORMALIZATION } from '../src/data/batch.js';
import { loadIdxDataset } from '../src/data/loadIdxDataset.js';
import { buildModel } from '../src/models/registry.js';
import { constant } from '../src/schedules/constant.js';
import { SgdOptimizer } from '../src/training/sgd.js';
import { DEFAULT_TRAIN_CONFIG, trainSnapshotEnsemble } from '../src/training/snapshotRun.js';
import { trainLoop } from '../src/training/trainLoop.js';
import { Rng } from '../src/util/rng.js';
import { tempDir } from './helpers/cli.js';

describe('no tensor leaks', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('tf.memory().numTensors is the same at the end of every epoch', async () => {
    const data = loadIdxDataset(undefined, { trainSize: 96, testSize: 10 });
    const model = buildModel('resnet20', { inputShape: [28, 28, 1], numClasses: 10 }, 1);
    const optimizer = new SgdOptimizer({ learningRate: 0.01 });
    const counts: number[] = [];
    await trainLoop({
      model,
      optimizer,
      train: data.train,
      numClasses: 10,
      normalization: FASHION_MNIST_NORMALIZATION,
      augmentation: { pad: 2, flip: true },
      batchSize: 32,
      epochs: 4,
      schedule: constant(0.01),
      snapshotAt: [],
      rng: new Rng(1),
      hooks: { onEpochEnd: () => void counts.push(tf.memory().numTensors) },
    });
    expect(counts).toHaveLength(4);
    expect(new Set(counts).size).toBe(1);
    optimizer.dispose();
    model.dispose();
  });

  it('a whole snapshot run leaves no tensors behind', async () => {
    const before = tf.memory().numTensors;
    const dataset = loadIdxDataset(undefined, { trainSize: 64, testSize: 20 });
    await trainSnapshotEnsemble({
      config: { ...DEFAULT_TRAIN_CONFIG, epochs: 2, cycles: 2, trainSize: 64, testSize: 20 },
      dataset,
      outDir: tempDir(),
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
