import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { snapshotCosine } from '../src/schedules/snapshotCosine.js';
import { predictSnapshotEnsemble, snapshotEnsembleCallback } from '../src/training/callback.js';
import { SgdOptimizer } from '../src/training/sgd.js';

function tinyModel(): tfl.LayersModel {
  const model = tfl.sequential({
    layers: [tfl.layers.dense({ inputShape: [4], units: 8, activation: 'relu' }), tfl.layers.dense({ units: 3 })],
  });
  return model;
}

describe('snapshotEnsembleCallback on a user model.fit()', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it.each([
    ['our SgdOptimizer', () => new SgdOptimizer({ learningRate: 0.1 })],
    ['tf.train.momentum', () => tf.train.momentum(0.1, 0.9, true)],
    ['tf.train.adam', () => tf.train.adam(0.01)],
  ])('sets Eq. 2 every batch and snapshots every cycle with %s', async (_name, makeOptimizer) => {
    const model = tinyModel();
    model.compile({
      optimizer: makeOptimizer(),
      loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred),
    });
    const x = tf.randomNormal([50, 4], 0, 1, 'float32', 1);
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: 50 }, (_, i) => i % 3), 'int32'), 3);
    const seenSnapshots: number[] = [];
    const cb = snapshotEnsembleCallback({
      lr0: 0.1,
      cycles: 3,
      onSnapshot: (index, m, info) => {
        seenSnapshots.push(index);
        // a Sequential model trains through its inner functional model, which is what the callback sees
        expect(m.getWeights().map((w) => w.shape)).toEqual(model.getWeights().map((w) => w.shape));
        expect(info.iteration).toBe(10 * index);
      },
    });
    // 50 samples, batch 10 -> 5 iterations an epoch, 6 epochs -> T = 30, cycles of 10
    await model.fit(x, y, { epochs: 6, batchSize: 10, callbacks: [cb], verbose: 0, shuffle: false });
    const schedule = snapshotCosine({ lr0: 0.1, totalSteps: 30, cycles: 3 });
    expect(cb.learningRates).toHaveLength(30);
    cb.learningRates.forEach((lr, i) => expect(lr).toBeCloseTo(schedule(i + 1), 12));
    expect(seenSnapshots).toEqual([1, 2, 3]);
    expect(cb.snapshots).toHaveLength(3);
    expect(Array.from(cb.snapshots[0]![0]!.dataSync())).not.toEqual(Array.from(cb.snapshots[2]![0]!.dataSync()));

    // the ensemble of the last 2 is the mean of the two snapshots' softmax outputs
    const ensemble = predictSnapshotEnsemble(model, cb.snapshots, x, { last: 2 });
    const manual = cb.snapshots.slice(1).map((w) => {
      model.setWeights(w);
      return tf.softmax(model.predict(x) as tf.Tensor).dataSync();
    });
    const mean = manual[0]!.map((v, i) => (v + manual[1]![i]!) / 2);
    expect(Array.from(ensemble.dataSync())).toEqual(Array.from(mean).map((v) => expect.closeTo(v, 6)));
    expect(() => predictSnapshotEnsemble(model, cb.snapshots, x, { last: 4 })).toThrow(/1\.\.3/);
    tf.dispose([x, y, ensemble]);
    cb.dispose();
    model.dispose();
  });
});
