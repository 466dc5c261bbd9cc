import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { snapshotCosine } from '../src/schedules/snapshotCosine.js';
import { modelOutputs, predictSnapshotEnsemble, snapshotEnsembleCallback } from '../src/training/callback.js';
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

  it.each([
    ['a dense layer with a softmax activation', () => [tfl.layers.dense({ inputShape: [4], units: 8, activation: 'relu' }), tfl.layers.dense({ units: 3, activation: 'softmax' })]],
    ['a Softmax layer', () => [tfl.layers.dense({ inputShape: [4], units: 3 }), tfl.layers.softmax()]],
    ['an Activation layer', () => [tfl.layers.dense({ inputShape: [4], units: 3 }), tfl.layers.activation({ activation: 'softmax' })]],
  ])('averages the outputs of a model that ends in %s as they are (no second softmax)', async (_name, layers) => {
    const model = tfl.sequential({ layers: layers() });
    expect(modelOutputs(model)).toBe('probabilities');
    expect(modelOutputs(tinyModel())).toBe('logits');
    model.compile({ optimizer: new SgdOptimizer({ learningRate: 0.1 }), loss: 'categoricalCrossentropy' });
    const x = tf.randomNormal([20, 4], 0, 1, 'float32', 2);
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: 20 }, (_, i) => i % 3), 'int32'), 3);
    const cb = snapshotEnsembleCallback({ lr0: 0.1, cycles: 2 });
    await model.fit(x, y, { epochs: 4, batchSize: 10, callbacks: [cb], verbose: 0, shuffle: false });
    const ensemble = predictSnapshotEnsemble(model, cb.snapshots, x);
    const outputs = cb.snapshots.map((w) => {
      model.setWeights(w);
      return (model.predict(x) as tf.Tensor).dataSync();
    });
    const mean = outputs[0]!.map((v, i) => (v + outputs[1]![i]!) / 2);
    expect(Array.from(ensemble.dataSync())).toEqual(Array.from(mean).map((v) => expect.closeTo(v, 6)));
    // rows are probabilities: the mean of the members' own probabilities, not a softmax of them
    const forced = predictSnapshotEnsemble(model, cb.snapshots, x, { outputs: 'logits' });
    expect(Math.max(...forced.dataSync())).toBeLessThan(Math.max(...ensemble.dataSync()));
    tf.dispose([x, y, ensemble, forced]);
    cb.dispose();
    model.dispose();
  });

  it('refuses more cycles than the fit has iterations, with the message train gives', async () => {
    const model = tinyModel();
    model.compile({ optimizer: new SgdOptimizer({ learningRate: 0.1 }), loss: (a: tf.Tensor, b: tf.Tensor) => tf.losses.softmaxCrossEntropy(a, b) });
    const x = tf.randomNormal([8, 4], 0, 1, 'float32', 3);
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: 8 }, (_, i) => i % 3), 'int32'), 3);
    const cb = snapshotEnsembleCallback({ lr0: 0.1, cycles: 10 });
    // 8 examples, batch 1, one epoch: T = 8 iterations for 10 cycles
    await expect(model.fit(x, y, { epochs: 1, batchSize: 1, callbacks: [cb], verbose: 0 })).rejects.toThrow('--cycles 10 is more than the 8 training iterations');
    expect(cb.snapshots).toHaveLength(0);
    // T = 9, M = 4: cycles of ceil(9/4) = 3 make only 3 cycles, refused as train refuses it
    const short = snapshotEnsembleCallback({ lr0: 0.1, cycles: 4, totalSteps: 9 });
    await expect(model.fit(x, y, { epochs: 1, batchSize: 1, callbacks: [short], verbose: 0 })).rejects.toThrow('which makes only 3 cycles');
    tf.dispose([x, y]);
    model.dispose();
  });
});
