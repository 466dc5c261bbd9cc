import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import ort from 'onnxruntime-node';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import type { ImageSet } from '../src/data/dataset.js';
import { ensembleOnnx, ONNX_OPSET, type OnnxEnsembleSpec } from '../src/deploy/onnx/ensembleOnnx.js';
import { exportOnnxRun } from '../src/deploy/onnx/exportOnnxRun.js';
import { decodeModel } from '../src/deploy/onnx/protobuf.js';
import { combine } from '../src/ensemble/combine.js';
import { runTestSet, snapshotGaussians, snapshotProbabilities } from '../src/ensemble/evaluateRun.js';
import { predictProbabilities } from '../src/ensemble/predict.js';
import { readRunRecord } from '../src/io/runRecord.js';
import { combineGaussians } from '../src/metrics/regression.js';
import { buildModel } from '../src/models/registry.js';
import { UserError } from '../src/util/errors.js';
import { Rng } from '../src/util/rng.js';
import { expectOneLineError, ROOT, runCli, tempDir } from './helpers/cli.js';
import { randomizeBatchNorms, writeSnapshotRun } from './helpers/snapshotRun.js';

/*
 * The exported .onnx file run the way a user's code would: onnxruntime-node's InferenceSession on raw pixels or
 * feature values, no import of this library on that side. The reference is what `evaluate` computes.
 */

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** Raw examples of a set as the file's input (N x H x W x C, or N x C x H x W). */
function inputOf(set: ImageSet, layout: 'nhwc' | 'nchw' = 'nhwc'): ort.Tensor {
  const raw = Float32Array.from(set.images);
  if (set.shape !== undefined) return new ort.Tensor('float32', raw, [set.count, ...set.shape]);
  const { count: n, height: h, width: w, channels: c } = set;
  if (layout === 'nhwc') return new ort.Tensor('float32', raw, [n, h, w, c]);
  const data = new Float32Array(raw.length);
  for (let i = 0; i < n; i++) for (let p = 0; p < h * w; p++) for (let ch = 0; ch < c; ch++) data[i * h * w * c + ch * h * w + p] = raw[i * h * w * c + p * c + ch]!;
  return new ort.Tensor('float32', data, [n, c, h, w]);
}

/** Every output of a model file on a set, through onnxruntime-node. */
async function runFile(model: string | Uint8Array, set: ImageSet, layout: 'nhwc' | 'nchw' = 'nhwc', options: ort.InferenceSession.SessionOptions = {}): Promise<Record<string, Float32Array>> {
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
  try {
    const out = await session.run({ [session.inputNames[0]!]: inputOf(set, layout) });
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await session.release();
  }
}

function randomImages(n: number, shape: [number, number, number], seed: number): ImageSet {
  const rng = new Rng(seed);
  const [height, width, channels] = shape;
  return { images: Uint8Array.from({ length: n * height * width * channels }, () => rng.int(256)), labels: new Uint8Array(n), count: n, height, width, channels };
}

const CLASSES = Array.from({ length: 10 }, (_, k) => `class ${k}`);

/** A user's model using every layer kind the exporter converts, for RGB images: 10 logits. */
function everyLayerModel(seed: number): tfl.LayersModel {
  const rng = new Rng(seed);
  const init = () => tfl.initializers.glorotUniform({ seed: rng.nextUint32() });
  const input = tfl.input({ shape: [12, 12, 3], name: 'rgb' });
  const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => layer.apply(x) as tfl.SymbolicTensor;
  let x = apply(tfl.layers.rescaling({ scale: 1.5, offset: -0.1 }), input);
  x = apply(tfl.layers.zeroPadding2d({ padding: [[1, 0], [0, 2]] }), x);
  const a = apply(tfl.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', useBias: true, activation: 'relu6', kernelInitializer: init() }), x);
  const bn = apply(tfl.layers.batchNormalization({}), a); // conv with bias and an activation: not folded
  const b = apply(tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'tanh', depthwiseInitializer: init() }), bn);
  const c = apply(tfl.layers.separableConv2d({ filters: 12, kernelSize: 3, padding: 'same', activation: 'swish', depthwiseInitializer: init(), pointwiseInitializer: init() }), bn);
  const folded = apply(tfl.layers.batchNormalization({}), apply(tfl.layers.conv2d({ filters: 12, kernelSize: 1, useBias: false, kernelInitializer: init() }), bn));
  let y = apply(tfl.layers.add({}), [b, c]);
  y = apply(tfl.layers.leakyReLU({ alpha: 0.2 }), apply(tfl.layers.multiply({}), [y, apply(tfl.layers.activation({ activation: 'sigmoid' }), folded)]));
  y = apply(tfl.layers.concatenate({}), [apply(tfl.layers.maximum({}), [y, folded]), apply(tfl.layers.minimum({}), [y, folded]), apply(tfl.layers.average({}), [y, folded])]);
  y = apply(tfl.layers.elu({}), apply(tfl.layers.dropout({ rate: 0.3 }), y));
  const pooled = apply(tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }), y);
  const averaged = apply(tfl.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }), pooled);
  const g1 = apply(tfl.layers.globalMaxPooling2d({}), averaged);
  const g2 = apply(tfl.layers.globalAveragePooling2d({}), apply(tfl.layers.activation({ activation: 'softplus' }), averaged));
  // 4 x 4 x 36 as 64 x 9, a dense layer on its last axis (MatMul), flattened
  const rows = apply(tfl.layers.dense({ units: 8, activation: 'selu', kernelInitializer: init() }), apply(tfl.layers.reshape({ targetShape: [64, 9] }), averaged));
  let z = apply(tfl.layers.concatenate({}), [g1, g2, apply(tfl.layers.flatten({}), rows)]);
  z = apply(tfl.layers.batchNormalization({}), apply(tfl.layers.dense({ units: 16, activation: 'hardSigmoid', kernelInitializer: init() }), z));
  z = apply(tfl.layers.reLU({}), apply(tfl.layers.activation({ activation: 'elu' }), z));
  const logits = apply(tfl.layers.dense({ units: 10, kernelInitializer: init() }), z);
  const model = tfl.model({ inputs: input, outputs: logits, name: 'every_layer' });
  randomizeBatchNorms(model, seed + 100);
  return model;
}

describe('export --format onnx: the ensemble as one ONNX file in ONNX Runtime', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  describe('the graph, from models in memory', () => {
    it('a user model of every layer kind the exporter converts, RGB with per-channel statistics, geometric mean, NCHW input: ONNX Runtime equals TF.js within 1e-5', async () => {
      const members = [everyLayerModel(1), everyLayerModel(2)];
      const normalization = { mean: [0.2, 0.5, 0.7], std: [0.3, 0.2, 0.25] };
      const set = randomImages(40, [12, 12, 3], 5);
      const spec: OnnxEnsembleSpec = { inputShape: [12, 12, 3], input: { kind: 'pixels', range: [0, 255] }, normalization, head: { task: 'classification', combine: 'geometric', classNames: CLASSES } };
      const reference = combine(members.map((m) => predictProbabilities(m, set, normalization, 10)), 'geometric');
      for (const layout of ['nhwc', 'nchw'] as const) {
        const built = ensembleOnnx(members, { ...spec, layout });
        expect(built.input).toEqual({ name: 'pixels', shape: layout === 'nhwc' ? ['batch', 12, 12, 3] : ['batch', 3, 12, 12] });
        const out = await runFile(built.bytes, set, layout);
        expect(maxDifference(out['probabilities']!, reference.data)).toBeLessThan(1e-5);
      }
      members.forEach((m) => m.dispose());
    });

    it('weights stored as uint8 (DequantizeLinear) and float16 (Cast): a quarter and half the bytes, outputs close to float32', async () => {
      const members = [1, 2].map((s) => buildModel('cnn', { inputShape: [28, 28, 1], numClasses: 10 }, s));
      members.forEach((m, i) => randomizeBatchNorms(m, i));
      const spec: OnnxEnsembleSpec = { inputShape: [28, 28, 1], input: { kind: 'pixels', range: [0, 255] }, normalization: { mean: 0.286, std: 0.353 }, head: { task: 'classification', combine: 'mean', classNames: CLASSES } };
      const set = randomImages(30, [28, 28, 1], 9);
      const full = ensembleOnnx(members, spec);
      const float32 = (await runFile(full.bytes, set))['probabilities']!;
      for (const [storage, op, ratio, tolerance] of [['uint8', 'DequantizeLinear', 4, 0.1], ['float16', 'Cast', 2, 5e-3]] as const) {
        const small = ensembleOnnx(members, { ...spec, weights: storage });
        expect(small.weights.float32Bytes).toBe(full.weights.float32Bytes);
        expect(small.weights.storedBytes).toBe(full.weights.float32Bytes / ratio);
        expect(small.bytes.length).toBeLessThan(full.bytes.length / ratio + 20_000);
        const model = decodeModel(small.bytes);
        const weightCount = model.graph.node.filter((n) => n.op_type === op).length;
        expect(weightCount).toBe(2 * 6); // 4 convolutions and 2 dense layers per member
        const out = (await runFile(small.bytes, set))['probabilities']!;
        const d = maxDifference(out, float32);
        expect(d).toBeGreaterThan(0);
        expect(d).toBeLessThan(tolerance);
      }
      members.forEach((m) => m.dispose());
    });

    it('a layer it does not convert: a one-line UserError naming the first such layer, and its class', () => {
      const input = tfl.input({ shape: [8, 8, 1] });
      const up = tfl.layers.upSampling2d({ size: [2, 2], name: 'grow' }).apply(tfl.layers.conv2d({ filters: 2, kernelSize: 3 }).apply(input)) as tfl.SymbolicTensor;
      const cropped = tfl.layers.cropping2D({ cropping: 1, name: 'crop' }).apply(up) as tfl.SymbolicTensor;
      const model = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 3 }).apply(tfl.layers.flatten().apply(cropped)) as tfl.SymbolicTensor });
      const build = () => ensembleOnnx([model], { inputShape: [8, 8, 1], input: { kind: 'pixels', range: [0, 255] }, normalization: { mean: 0, std: 1 }, head: { task: 'classification', combine: 'mean', classNames: ['a', 'b', 'c'] } });
      expect(build).toThrow(UserError);
      expect(build).toThrow(/^export --format onnx: layer 'grow' \(UpSampling2D\) is not supported; the ONNX exporter converts Conv2D, .*Dense, BatchNormalization/);
      model.dispose();
    });
  });

  describe('runs of every model family we ship: 3 snapshots each, evaluate against the file in onnxruntime-node', () => {
    const families: [string, number][] = [
      ['cnn', 0.5],
      ['resnet20', 0.2],
      ['wrn-10-2', 0.3],
      ['densenet40', 0.2],
      ['mlp-32x2-bn', 0.3],
    ];

    it.each(families)("%s (dropout %s): the file's probabilities equal evaluate's last-3 ensemble within 1e-5; ONNX Runtime loads it unoptimised with shape inference", async (name, dropout) => {
      const tensorsBefore = tf.memory().numTensors;
      const runDir = path.join(tempDir(), name);
      const models = [1, 2, 3].map((seed) => buildModel(name, { inputShape: [28, 28, 1], numClasses: 10, dropout }, seed));
      models.forEach((m, i) => randomizeBatchNorms(m, 10 * i + 1));
      await writeSnapshotRun(runDir, models, { model: name, dropout, testSize: 60 });
      models.forEach((m) => m.dispose());

      const result = await exportOnnxRun(runDir);
      expect(result.file).toBe(path.join(runDir, 'exports', 'last3-mean.onnx'));
      expect(result.check!.maxAbsDifference).toBeLessThan(1e-5);
      expect(result.check!.runtime).toBe('onnxruntime-node 1.30.0');

      const record = readRunRecord(runDir);
      const test = await runTestSet(record);
      const expected = combine((await snapshotProbabilities(runDir, record, test)).probabilities, 'mean');
      // as written, no graph optimisation: ONNX Runtime type- and shape-checks every node on load
      const session = await ort.InferenceSession.create(result.file, { graphOptimizationLevel: 'disabled' });
      expect(session.inputNames).toEqual(['pixels']);
      expect(session.outputNames).toEqual(['probabilities']);
      await session.release();
      for (const level of ['disabled', 'all'] as const) {
        const out = await runFile(result.file, test, 'nhwc', { graphOptimizationLevel: level });
        expect(maxDifference(out['probabilities']!, expected.data), level).toBeLessThan(1e-5);
      }
      expect(tf.memory().numTensors).toBe(tensorsBefore);
    });
  });
});
