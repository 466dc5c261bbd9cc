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
import { TrainingInterrupted, trainLoop } from '../src/training/trainLoop.js';
import { Rng } from '../src/util/rng.js';
import { tempDir } from './helpers/cli.js';
import type { LoopState } from '../src/schema/training.js';

const dataset = loadIdxDataset(undefined, { trainSize: 96, testSize: 24 });

async function run(seed: number) {
  const config = { ...DEFAULT_TRAIN_CONFIG, seed, batchSize: 32, epochs: 2, cycles: 2, dropout: 0.2, trainSize: 96, testSize: 24 };
  const { record } = await trainSnapshotEnsemble({ config, dataset, outDir: tempDir() });
  return {
    weights: record.snapshots.map((s) => s.sha256['weights.bin']),
    learningRate: record.history.learningRate,
    loss: record.history.loss,
  };
}

/** The example order of the first epoch for a seed, read from a checkpoint taken after one iteration. */
async function firstEpochOrder(seed: number): Promise<number[]> {
  const model = buildModel('cnn', { inputShape: [28, 28, 1], numClasses: 10 }, 1);
  const optimizer = new SgdOptimizer({ learningRate: 0.01 });
  let state: LoopState | undefined;
  await trainLoop({
    model,
    optimizer,
    train: dataset.train,
    head: classificationHead(10),
    normalization: FASHION_MNIST_NORMALIZATION,
    augmentation: null,
    batchSize: 32,
    epochs: 1,
    schedule: constant(0.01),
    snapshotAt: [],
    rng: new Rng(seed),
    shouldStop: () => true,
    hooks: { onCheckpoint: (s) => void (state = s) },
  }).catch((e: unknown) => {
    if (!(e instanceof TrainingInterrupted)) throw e;
  });
  optimizer.dispose();
  model.dispose();
  return state!.order!;
}

describe('determinism', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('the same seed on the same backend gives the same data order, learning rates, losses and weights; another seed does not', async () => {
    const [a, b, c] = [await run(7), await run(7), await run(8)];
    expect(a.weights).toHaveLength(2);
    expect(b).toEqual(a);
    expect(c.learningRate).toEqual(a.learningRate); // the schedule does not depend on the seed
    expect(c.loss).not.toEqual(a.loss);
    c.weights.forEach((w, i) => expect(w).not.toBe(a.weights[i]));

    const [o7, o7again, o8] = [await firstEpochOrder(7), await firstEpochOrder(7), await firstEpochOrder(8)];
    expect(o7).toHaveLength(96);
    expect(o7again).toEqual(o7);
    expect(o8).not.toEqual(o7);
  });
});
