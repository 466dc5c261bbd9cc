import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { classificationHead } from '../src/training/taskHead.js';
import { useBackend } from '../src/backend/backends.js';
import { normalizedBatch } from '../src/data/batch.js';
import type { ImageSet } from '../src/data/dataset.js';
import { predictProbabilities } from '../src/models/predict.js';
import { buildModel, checkModelName } from '../src/models/registry.js';
import { constant } from '../src/schedules/constant.js';
import { SgdOptimizer } from '../src/training/sgd.js';
import { trainLoop } from '../src/training/trainLoop.js';
import { UserError } from '../src/util/errors.js';
import { Rng } from '../src/util/rng.js';

const CIFAR = [32, 32, 3] as const;
const MNIST = [28, 28, 1] as const;

function trainableParameters(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((sum, w) => sum + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
}

/**
 * Trainable parameters of our CIFAR ResNet of depth 6n + 2, counted by hand: stem conv + BN, three stages of n
 * basic blocks (two 3x3 convs + two BNs each), a 1x1 conv + BN shortcut at the start of stages 2 and 3, and the
 * dense classifier.
 */
function resnetParameters(depth: number, channels: number, classes = 10): number {
  const n = (depth - 2) / 6;
  const bn = (c: number) => 2 * c;
  let total = 9 * channels * 16 + bn(16);
  let inC = 16;
  for (const c of [16, 32, 64]) {
    for (let b = 0; b < n; b++) {
      total += 9 * inC * c + bn(c) + 9 * c * c + bn(c);
      if (inC !== c) total += inC * c + bn(c);
      inC = c;
    }
  }
  return total + 64 * classes + classes;
}

describe('model zoo', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('ResNets of depth 6n + 2: the published option-A counts plus our two 1x1 conv + BN shortcuts (2752 parameters)', () => {
    // He et al. 2016 / the common PyTorch CIFAR ResNets with option-A (parameter-free) shortcuts
    const optionA: Record<string, number> = { resnet20: 269_722, resnet32: 464_154, resnet56: 853_018, resnet110: 1_727_962 };
    const shortcuts = 16 * 32 + 2 * 32 + 32 * 64 + 2 * 64;
    expect(shortcuts).toBe(2752);
    for (const [name, published] of Object.entries(optionA)) {
      const depth = Number(name.slice('resnet'.length));
      const model = buildModel(name, { inputShape: CIFAR, numClasses: 10 }, 1);
      expect(trainableParameters(model)).toBe(published + shortcuts);
      expect(trainableParameters(model)).toBe(resnetParameters(depth, 3));
      model.dispose();
    }
    const mnist = buildModel('resnet32', { inputShape: MNIST, numClasses: 10 }, 1);
    expect(trainableParameters(mnist)).toBe(resnetParameters(32, 1));
    mnist.dispose();
  });

  it('Wide ResNets: wrn-28-10 has the paper\'s 36.5M parameters, and counts match a PyTorch build of the authors\' layout', () => {
    // counts of the authors' WRN layout (pre-activation blocks, bias-free 1x1 shortcut convs) built in PyTorch 1.13
    const expected: [string, readonly [number, number, number], number][] = [
      ['wrn-28-10', CIFAR, 36_479_194],
      ['wrn-16-4', CIFAR, 2_748_890],
      ['wrn-10-1', MNIST, 77_562],
    ];
    for (const [name, inputShape, count] of expected) {
      const model = buildModel(name, { inputShape, numClasses: 10 }, 1);
      expect(trainableParameters(model)).toBe(count);
      expect(model.outputs[0]!.shape).toEqual([null, 10]);
      model.dispose();
    }
  });

  it('DenseNet-BC: densenet100 has the paper\'s 0.8M parameters; densenet40 counted in PyTorch for both input sizes', () => {
    const expected: [string, readonly [number, number, number], number][] = [
      ['densenet100', CIFAR, 769_162],
      ['densenet40', CIFAR, 176_122],
      ['densenet40', MNIST, 175_690],
    ];
    for (const [name, inputShape, count] of expected) {
      const model = buildModel(name, { inputShape, numClasses: 10 }, 1);
      expect(trainableParameters(model)).toBe(count);
      model.dispose();
    }
  });

  it('every model takes an optional dropout before the classifier', () => {
    for (const name of ['cnn', 'resnet20', 'wrn-10-1', 'densenet40']) {
      const plain = buildModel(name, { inputShape: MNIST, numClasses: 10 }, 1);
      const dropped = buildModel(name, { inputShape: MNIST, numClasses: 10, dropout: 0.3 }, 1);
      expect(plain.layers.some((l) => l.getClassName() === 'Dropout')).toBe(false);
      const dropout = dropped.layers.filter((l) => l.getClassName() === 'Dropout');
      expect(dropout).toHaveLength(1);
      expect(dropout[0]!.getConfig()['rate']).toBe(0.3);
      // it feeds the classifier
      const logits = dropped.getLayer('logits');
      expect(logits.inboundNodes[0]!.inboundLayers[0]!.name).toBe(dropout[0]!.name);
      expect(trainableParameters(dropped)).toBe(trainableParameters(plain));
      plain.dispose();
      dropped.dispose();
    }
  });

  it('refuses malformed names with a user error naming the rule', () => {
    expect(checkModelName('resnet110')).toBe('resnet110');
    expect(checkModelName('wrn-40-4')).toBe('wrn-40-4');
    expect(() => checkModelName('resnet21')).toThrow(/ResNet depth must be 6n \+ 2/);
    expect(() => checkModelName('wrn-15-4')).toThrow(/Wide ResNet depth must be 6n \+ 4/);
    expect(() => checkModelName('wrn-16-0')).toThrow(/widening factor/);
    expect(() => checkModelName('vgg16')).toThrow(UserError);
  });

  it.each([
    ['wrn-10-1', MNIST],
    ['densenet40', MNIST],
    ['wrn-10-1', CIFAR],
  ] as const)('%s on %j trains a step on wasm: finite loss, every weight moves, no tensors left behind', async (name, shape) => {
    const rng = new Rng(5);
    const count = 8;
    const [h, w, c] = shape;
    const images = new Uint8Array(count * h * w * c).map(() => rng.int(256));
    const labels = new Uint8Array(count).map((_, i) => i % 10);
    const set: ImageSet = { images, labels, count, height: h, width: w, channels: c };
    const before = tf.memory().numTensors;
    const model = buildModel(name, { inputShape: shape, numClasses: 10 }, 2);
    const start = model.trainableWeights.map((v) => v.read().dataSync().slice());
    const optimizer = new SgdOptimizer({ learningRate: 0.05 });
    const result = await trainLoop({
      model,
      optimizer,
      train: set,
      head: classificationHead(10),
      normalization: { mean: 0.5, std: 0.25 },
      augmentation: null,
      batchSize: count,
      epochs: 1,
      schedule: constant(0.05),
      snapshotAt: [],
      rng,
    });
    expect(Number.isFinite(result.epochs[0]!.loss)).toBe(true);
    expect(result.epochs[0]!.loss).toBeGreaterThan(0);
    model.trainableWeights.forEach((v, i) => {
      const now = v.read().dataSync();
      expect(now.some((x, j) => x !== start[i]![j]), v.name).toBe(true);
    });
    // inference (with batch norm folded into the convolutions it follows) equals the layers model's own predict
    const norm = { mean: 0.5, std: 0.25 };
    const folded = predictProbabilities(model, set, norm, 10).data;
    const plain = tf.tidy(() => tf.softmax(model.predict(tf.tensor4d(normalizedBatch(set, Int32Array.from({ length: count }, (_, i) => i), norm), [count, h, w, c])) as tf.Tensor).dataSync());
    folded.forEach((v, j) => expect(v).toBeCloseTo(plain[j]!, 5));
    optimizer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
