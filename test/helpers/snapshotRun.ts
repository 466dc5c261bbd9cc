import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { fileSystem } from '../../src/io/fileSystemHandler.js';
import { snapshotPath } from '../../src/run/runRecord.js';
import { Rng } from '../../src/util/rng.js';
import { syntheticRecord } from './syntheticRun.js';
import type { RunRecord } from '../../src/schema/run.js';

/**
 * Gives every batch-norm layer statistics and an affine map far from a fresh layer's (gamma and the variance in
 * [0.5, 1.5], beta and the mean in [-0.2, 0.2]), so that folding them into the convolutions is not the identity.
 */
export function randomizeBatchNorms(model: tfl.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const names = layer.weights.map((w) => w.originalName.split('/').pop()!);
    const weights = layer.getWeights().map((w, i) => {
      const positive = names[i] === 'gamma' || names[i] === 'moving_variance';
      return tf.tensor1d(Array.from({ length: w.size }, () => (positive ? 0.5 + rng.next() : 0.4 * rng.next() - 0.2)));
    });
    layer.setWeights(weights);
    tf.dispose(weights);
  }
}

/**
 * A completed run directory on the embedded Fashion-MNIST test split (its first `testSize` images) whose snapshots
 * are the given models, without training: what export and evaluate read, made in seconds. Snapshots carry no
 * sha256, so they are not verified.
 */
export async function writeSnapshotRun(runDir: string, models: readonly tfl.LayersModel[], options: { model: string; dropout?: number; testSize: number }): Promise<RunRecord> {
  const base = syntheticRecord({ totalSteps: 10 * models.length, cycles: models.length, perEpoch: 10, numClasses: 10 });
  const record: RunRecord = {
    ...base,
    config: { ...base.config, model: options.model, dropout: options.dropout ?? 0, testSize: options.testSize },
    data: { ...base.data, testExamples: options.testSize, classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] },
  };
  mkdirSync(runDir, { recursive: true });
  for (const [i, m] of models.entries()) await m.save(fileSystem(path.join(runDir, snapshotPath(i + 1))));
  writeFileSync(path.join(runDir, 'run.json'), JSON.stringify(record, null, 2));
  return record;
}
