import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { classificationHead } from '../src/training/taskHead.js';
import { useBackend } from '../src/backend/backends.js';
import { FASHION_MNIST_NORMALIZATION } from '../src/data/batch.js';
import { loadIdxDataset } from '../src/data/loadIdxDataset.js';
import { buildModel } from '../src/models/registry.js';
import { constant } from '../src/schedules/constant.js';
import { SgdOptimizer } from '../src/training/sgd.js';
import { DEFAULT_TRAIN_CONFIG } from '../src/schema/defaults.js';
import { trainSnapshotEnsemble } from '../src/run/train.js';
import { trainLoop } from '../src/training/trainLoop.js';
import { Rng } from '../src/util/rng.js';
import { tempDir } from './helpers/cli.js';

describe('no tensor leaks', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('over 400 iterations, tf.memory().numTensors is the same at every epoch end and resident memory levels off', async () => {
    const data = loadIdxDataset(undefined, { trainSize: 40, testSize: 10 });
    const model = buildModel('cnn', { inputShape: [28, 28, 1], numClasses: 10 }, 1);
    const optimizer = new SgdOptimizer({ learningRate: 0.01 });
    const counts: number[] = [];
    const rss: number[] = [];
    await trainLoop({
      model,
      optimizer,
      train: data.train,
      head: classificationHead(10),
      normalization: FASHION_MNIST_NORMALIZATION,
      augmentation: { pad: 2, flip: true },
      batchSize: 4,
      epochs: 40,
      schedule: constant(0.01),
      snapshotAt: [],
      rng: new Rng(1),
      hooks: {
        onEpochEnd: () => {
          counts.push(tf.memory().numTensors);
          rss.push(process.memoryUsage().rss);
        },
      },
    });
    expect(counts).toHaveLength(40); // 10 iterations an epoch
    expect(new Set(counts).size).toBe(1);
    // After a warm-up (the wasm heap grows to its working size and stays), the last 30 epochs add under 32 MiB.
    expect(Math.max(...rss.slice(10)) - rss[10]!).toBeLessThan(32 * 2 ** 20);
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
