import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { FUSED_KERNELS } from '../src/backend/fusedKernelNames.js';
import { buildModel } from '../src/models/registry.js';
import { Rng } from '../src/util/rng.js';
import { maxRelativeError } from './helpers/kernels.js';
import { nativeLoad, nativeSkipReason, oneDnnInstalled, runOn } from './helpers/native.js';

// Worst relative error (max |native - cpu| / max |cpu|) of each kernel over its cases, printed at the end.
const worst: Record<string, number> = {};
const TOLERANCE = 1e-4;

// Every output array of a native kernel is recycled, filled with NaN, when its tensor is disposed (read when the
// backend starts): `compare` runs each native kernel twice, so the second run writes into poisoned arrays, and a
// kernel that leaves an element unwritten shows a NaN.
process.env.SE_NATIVE_POISON_POOL = '1';

async function compare(kernel: string, inputs: Record<string, tf.Tensor> | tf.Tensor[], attrs: object = {}): Promise<void> {
  await runOn('native', kernel, inputs, attrs);
  const ours = await runOn('native', kernel, inputs, attrs);
  const reference = await runOn('cpu', kernel, inputs, attrs);
  expect(ours.length).toBe(reference.length);
  ours.forEach((o, i) => {
    expect(o.shape).toEqual(reference[i]!.shape);
    const error = maxRelativeError(o.values, reference[i]!.values);
    worst[kernel] = Math.max(worst[kernel] ?? 0, error);
    expect(error, kernel).toBeLessThan(TOLERANCE);
  });
}

const rng = new Rng(31);
const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
const normal = (shape: number[]) => tf.randomNormal(shape, 0, 1, 'float32', rng.int(1 << 30));

it('the native addon is built wherever oneDNN is installed', () => {
  if (oneDnnInstalled) expect(nativeSkipReason).toBeNull();
});

describe.skipIf(!nativeLoad.ok)(`native kernels match the cpu backend (${nativeSkipReason ?? 'addon loaded'})`, () => {
  beforeAll(async () => {
    await useBackend('cpu');
    await useBackend('native', { threads: 2 });
  });
  afterAll(() => {
    console.log(`worst relative error against cpu:\n${Object.entries(worst).map(([k, v]) => `  ${k}: ${v.toExponential(2)}`).join('\n')}`);
  });

  it('a tensor cast from int32 or bool to float32 reads as its numbers, not as the bits of its Int32Array or Uint8Array', async () => {
    // The cpu backend's Cast (which the native backend inherits) keeps an int32 or bool tensor's storage when the
    // cast loses nothing: issue 19 saw relu(cast([1, 2, 3])) = [1.4e-45, 2.8e-45, 4.2e-45] and exp of it [1, 1, 1].
    await tf.setBackend('native');
    const ints = tf.cast(tf.tensor1d([1, 2, 3], 'int32'), 'float32');
    const bools = tf.cast(tf.greater(tf.tensor1d([1, -2, 3]), 0), 'float32');
    expect(Array.from(tf.relu(ints).dataSync())).toEqual([1, 2, 3]);
    expect(Array.from(tf.exp(ints).dataSync())).toEqual(Array.from(Float32Array.from([1, 2, 3], Math.exp)));
    expect(Array.from(tf.relu(bools).dataSync())).toEqual([1, 0, 1]);
    expect(Array.from(tf.add(ints, bools).dataSync())).toEqual([2, 2, 4]);
    expect(Array.from(tf.matMul(tf.reshape(ints, [1, 3]), tf.reshape(bools, [3, 1])).dataSync())).toEqual([4]);
    expect(Array.from(tf.sum(ints).dataSync())).toEqual([6]);
    // The loss of model.fit with tf.oneHot labels (int32, cast to float32 by the loss), as on cpu.
    const loss = async (backend: string) => {
      await tf.setBackend(backend);
      return tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3), tf.tensor2d([[2, 1, 0], [0, 1, 3]])).dataSync()[0]!);
    };
    expect(await loss('native')).toBeCloseTo(await loss('cpu'), 6);
    tf.dispose([ints, bools]);
  });

  const convCases = Array.from({ length: 16 }, (_, i) => {
    const k = pick([1, 2, 3, 5]);
    const h = k + rng.int(9);
    const ci = 1 + rng.int(9);
    return {
      x: [1 + rng.int(3), h, h + rng.int(4), ci],
      filter: [k, i % 4 === 0 ? 1 : k, ci, 1 + rng.int(12)],
      stride: 1 + rng.int(3),
      pad: i % 6 === 5 ? 1 : pick(['same', 'valid'] as const),
      dilation: i % 8 === 7 ? 2 : 1,
    };
  }).map((c) => (c.dilation === 2 ? { ...c, stride: 1 } : c)); // TF.js takes a dilation or a stride, not both

  it.each(convCases)('Conv2D, FusedConv2D (bias, relu) and both gradients %j', async ({ x, filter, stride, pad, dilation }) => {
    const input = normal(x);
    const w = normal(filter);
    const attrs = { strides: [stride, stride], pad, dataFormat: 'NHWC', dilations: [dilation, dilation] };
    await compare('Conv2D', { x: input, filter: w }, attrs);
    await tf.setBackend('cpu');
    const y = tf.conv2d(input as tf.Tensor4D, w as tf.Tensor4D, stride, pad, 'NHWC', dilation);
    const bias = normal([filter[3]!]);
    await compare('FusedConv2D', { x: input, filter: w, bias }, { ...attrs, activation: 'relu' });
    if (dilation !== 1) return; // TF.js's convolution gradients take no dilation
    const dy = normal(y.shape);
    await compare('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: x });
    await compare('Conv2DBackpropFilter', { x: input, dy }, { ...attrs, filterShape: filter });
  });

  const poolCases = Array.from({ length: 16 }, () => {
    const size = 1 + rng.int(3);
    const h = size + rng.int(8);
    return { x: [1 + rng.int(3), h, h + rng.int(3), 1 + rng.int(6)], size, stride: 1 + rng.int(3), pad: pick(['same', 'valid'] as const), ties: rng.next() < 0.5 };
  });

  // Channels in multiples of 8 take the addon's 8-lane max pooling (blocked activations pool 8 or 16 channels to a
  // block): 2x2 tiles as the cnn has them, odd sizes that leave a row and a column outside every tile, and overlapping
  // or padded windows. Shapes from their own generator, so that the cases after these keep theirs.
  const shapes8 = new Rng(37);
  const poolCases8 = Array.from({ length: 8 }, (_, i) => {
    const size = i < 4 ? 2 : 1 + shapes8.int(3);
    const h = size + shapes8.int(8);
    const channels = [8, 16, 24][shapes8.int(3)]!;
    const stride = i < 4 ? 2 : 1 + shapes8.int(3);
    const pad = i < 4 ? ('valid' as const) : (['same', 'valid'] as const)[shapes8.int(2)]!;
    return { x: [1 + shapes8.int(3), h, h + shapes8.int(3), channels], size, stride, pad, ties: i % 2 === 0 };
  });

  it.each([...poolCases, ...poolCases8])('MaxPool, AvgPool and their gradients %j', async ({ x, size, stride, pad, ties }) => {
    // Integers in -2..2 give windows of negative maxima and ties (the first maximum takes the gradient).
    const input = ties ? tf.tidy(() => tf.round(tf.mul(normal(x), 1.5))) : normal(x);
    const attrs = { filterSize: [size, size], strides: [stride, stride], pad };
    await compare('MaxPool', { x: input }, attrs);
    await compare('AvgPool', { x: input }, attrs);
    await tf.setBackend('cpu');
    const y = tf.maxPool(input as tf.Tensor4D, size, stride, pad);
    const dy = normal(y.shape);
    await compare('MaxPoolGrad', { dy, input, output: y }, attrs);
    if (pad === 'valid') await compare('AvgPoolGrad', { dy, input }, attrs);
  });

  it('MaxPoolGrad with a window of 2^31 positions or more runs as the cpu kernel (the addon keeps positions as int32)', async () => {
    const input = normal([1, 1, 1, 2]);
    const attrs = { filterSize: [65536, 65536], strides: [1, 1], pad: 'same' as const };
    await tf.setBackend('cpu');
    const y = tf.maxPool(input as tf.Tensor4D, [65536, 65536], 1, 'same');
    await compare('MaxPoolGrad', { dy: normal(y.shape), input, output: y }, attrs);
  });

  const matMulCases = Array.from({ length: 16 }, (_, i) => {
    const [m, k, n] = [1 + rng.int(40), 1 + rng.int(200), 1 + rng.int(70)];
    const batch = i % 3 === 0 ? [2 + rng.int(2)] : [];
    const broadcast = i % 6 === 0;
    const transposeA = (i & 1) === 1;
    const transposeB = (i & 2) === 2;
    return {
      a: [...batch, ...(transposeA ? [k, m] : [m, k])],
      b: [...(broadcast ? [] : batch), ...(transposeB ? [n, k] : [k, n])],
      transposeA,
      transposeB,
    };
  });

  it.each(matMulCases)('BatchMatMul and _FusedMatMul (bias, relu) %j', async ({ a, b, transposeA, transposeB }) => {
    const [ta, tb] = [normal(a), normal(b)];
    await compare('BatchMatMul', { a: ta, b: tb }, { transposeA, transposeB });
    const n = transposeB ? b[b.length - 2]! : b[b.length - 1]!;
    await compare('_FusedMatMul', { a: ta, b: tb, bias: normal([n]) }, { transposeA, transposeB, activation: 'relu' });
  });

  it('FusedBatchNorm with per-channel and missing parameters', async () => {
    const x = normal([3, 5, 4, 7]);
    const c = () => normal([7]);
    const variance = tf.tidy(() => tf.abs(c()));
    await compare('FusedBatchNorm', { x, mean: c(), variance, offset: c(), scale: c() }, { varianceEpsilon: 1e-3 });
    await compare('FusedBatchNorm', { x, mean: c(), variance }, { varianceEpsilon: 1e-5 });
  });

  it('unary maps, negative inputs and zeros included', async () => {
    const x = tf.concat([normal([2000]), tf.zeros([10])]);
    for (const kernel of ['Relu', 'Square', 'Exp', 'Neg', 'Floor', 'Abs', 'Sigmoid', 'Tanh', 'Relu6']) await compare(kernel, { x });
    await compare('Step', { x }, { alpha: 0 });
    await compare('Step', { x }, { alpha: 0.1 });
    const positive = tf.tidy(() => tf.add(tf.abs(normal([2000])), 0.01));
    for (const kernel of ['Log', 'Sqrt', 'Rsqrt']) await compare(kernel, { x: positive });
  });

  it.each([
    [[4, 6], [4, 6]],
    [[4, 6], []],
    [[], [4, 6]],
    [[64, 10], [10]],
    [[64, 10], [64, 1]],
    [[2, 1, 5], [3, 1]],
    [[3, 1, 4, 5], [1, 6, 1, 5]],
    [[70000], [70000]],
    [[300, 300], [300]],
  ])('binary maps broadcast %j with %j', async (sa, sb) => {
    const a = normal(sa);
    const b = tf.tidy(() => tf.add(tf.abs(normal(sb)), 0.5)); // divisors away from 0
    for (const kernel of ['Add', 'Sub', 'Multiply', 'RealDiv', 'Maximum', 'Minimum', 'SquaredDifference']) await compare(kernel, { a, b });
  });

  it.each([
    [[5, 7], [1]],
    [[5, 7], [0]],
    [[5, 7], [0, 1]],
    [[4, 6, 6, 8], [1, 2]],
    [[4, 6, 6, 8], [0, 1, 2]],
    [[3, 4, 5], [0, 2]],
    [[100000], [0]],
  ])('reductions of %j over axes %j, with and without keepDims', async (shape, axis) => {
    const x = normal(shape);
    for (const keepDims of [false, true]) {
      for (const kernel of ['Sum', 'Mean', 'Prod']) await compare(kernel, { x: kernel === 'Prod' ? tf.tidy(() => tf.add(tf.mul(x, 0.01), 1)) : x }, { axis, keepDims });
      await compare('Max', { x }, { reductionIndices: axis, keepDims }); // Max names its axes reductionIndices, Min axis
      await compare('Min', { x }, { axis, keepDims });
    }
  });

  it('softmax over the last axis', async () => {
    await compare('Softmax', { logits: tf.tidy(() => tf.mul(normal([64, 10]), 5)) }, { dim: -1 });
    await compare('Softmax', { logits: normal([2, 3, 7]) }, { dim: 2 });
  });

  it('transpose, concat, split, slice and pad', async () => {
    const x = normal([3, 4, 5, 6]);
    for (const perm of [[0, 3, 1, 2], [3, 2, 1, 0], [1, 0, 2, 3], [0, 1, 3, 2]]) await compare('Transpose', { x }, { perm });
    for (const axis of [0, 2, 3, -1]) {
      const parts = [normal([3, 4, 5, 6].map((d, i) => (i === (axis + 4) % 4 ? 2 : d))), x];
      await compare('Concat', parts, { axis });
      await compare('SplitV', { x }, { numOrSizeSplits: [1, 2, -1].map((s) => (s === -1 ? [3, 4, 5, 6][(axis + 4) % 4]! - 3 : s)), axis });
    }
    await compare('Slice', { x }, { begin: [1, 0, 2, 1], size: [2, 4, 2, -1] });
    await compare('PadV2', { x }, { paddings: [[0, 0], [1, 2], [2, 1], [0, 3]], constantValue: 0.5 });
  });

  it('fused batch-norm statistics and gradient equal the composed formulas on cpu', async () => {
    const x = normal([200, 9]);
    const moments = await runOn('native', FUSED_KERNELS.batchNormMoments, { x }, {});
    await tf.setBackend('cpu');
    const ref = tf.moments(x, [0]);
    expect(maxRelativeError(moments[0]!.values, ref.mean.dataSync())).toBeLessThan(1e-5);
    expect(maxRelativeError(moments[1]!.values, ref.variance.dataSync())).toBeLessThan(1e-5);
    const [mean, variance, gamma, dy] = [ref.mean, ref.variance, normal([9]), normal([200, 9])];
    const eps = 1e-3;
    const grad = await runOn('native', FUSED_KERNELS.batchNormGrad, { dy, x, mean, variance, gamma }, { epsilon: eps });
    await tf.setBackend('cpu');
    // Reference: the chain rule through the plain formula y = gamma (x - mean) / sqrt(var + eps).
    const g = tf.grads((xs: tf.Tensor, gs: tf.Tensor) => {
      const m = tf.moments(xs, [0]);
      return tf.sum(tf.mul(tf.mul(tf.div(tf.sub(xs, m.mean), tf.sqrt(tf.add(m.variance, eps))), gs), dy)) as tf.Scalar;
    });
    const [dx, dgamma] = g([x, gamma]);
    expect(maxRelativeError(grad[0]!.values, dx!.dataSync())).toBeLessThan(1e-4);
    expect(maxRelativeError(grad[1]!.values, dgamma!.dataSync())).toBeLessThan(1e-4);
    expect(maxRelativeError(grad[2]!.values, tf.sum(dy, 0).dataSync())).toBeLessThan(1e-5);
  });

  it('the fused SGD step equals PyTorch\'s formula', async () => {
    const [w, grad, buffer] = [normal([50]), normal([50]), normal([50])];
    const attrs = { learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4, nesterov: true };
    const [next, nextBuffer] = await runOn('native', FUSED_KERNELS.sgdStep, { w, grad, buffer }, attrs);
    const [wv, gv, bv] = [w.dataSync(), grad.dataSync(), buffer.dataSync()];
    for (let i = 0; i < 50; i++) {
      const g = gv[i]! + 1e-4 * wv[i]!;
      const b = 0.9 * bv[i]! + g;
      expect(nextBuffer!.values[i]).toBeCloseTo(b, 5);
      expect(next!.values[i]).toBeCloseTo(wv[i]! - 0.1 * (g + 0.9 * b), 5);
    }
  });

  it.each(['cnn', 'resnet20', 'wrn-10-2', 'densenet40'])('whole-model gradients of %s (with dropout) match the cpu backend', async (name) => {
    const grads = async (backend: string) => {
      await tf.setBackend(backend);
      // The deep families at 12 x 12 (strides and poolings still meet odd and even sizes): at 28 x 28 the pure-JS cpu
      // reference alone takes most of a minute. The random kernel tests above cover the larger shapes.
      const side = name === 'cnn' ? 28 : 12;
      const model = buildModel(name, { inputShape: [side, side, 1], numClasses: 10, dropout: 0.2 }, 5);
      const x = tf.randomNormal([2, side, side, 1], 0, 1, 'float32', 9);
      const y = tf.oneHot(tf.tensor1d([1, 3], 'int32'), 10);
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, variables);
      const values = variables.map((v) => grads[v.name]!.dataSync() as Float32Array);
      tf.dispose([x, y, ...Object.values(grads)]);
      model.dispose();
      return values;
    };
    const ours = await grads('native');
    const reference = await grads('cpu');
    expect(ours.length).toBe(reference.length);
    let error = 0;
    ours.forEach((g, i) => (error = Math.max(error, maxRelativeError(g, reference[i]!))));
    worst[`gradients of ${name}`] = error;
    expect(error).toBeLessThan(TOLERANCE);
  });
});
