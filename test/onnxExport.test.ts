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
import { exportRun } from '../src/deploy/exportRun.js';
import type { InferenceCost } from '../src/deploy/inferenceCost.js';
import { decodeModel } from '../src/deploy/onnx/protobuf.js';
import { combine } from '../src/metrics/combine.js';
import { evaluateRun, runTestSet, snapshotGaussians, snapshotProbabilities } from '../src/ensemble/evaluateRun.js';
import { predictProbabilities } from '../src/models/predict.js';
import { readRunRecord } from '../src/run/runRecord.js';
import { combineGaussians, regressionMetrics } from '../src/metrics/regression.js';
import { buildModel } from '../src/models/registry.js';
import { UserError } from '../src/util/errors.js';
import { Rng } from '../src/util/rng.js';
import { collectErrors, launchChromium, SCREENSHOT_DIR, startServe, stop } from './helpers/browser.js';
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

/**
 * ONNX's own checker on files (Debian's python3-onnx, which `npm run setup:test` installs): check_model with
 * full_check (strict type and shape inference over every node). Returns each file's inferred output shapes.
 */
function onnxChecker(files: string[]): Record<string, (number | string)[]>[] {
  const script = [
    'import json, sys, onnx',
    'out = []',
    'for f in sys.argv[1:]:',
    '    m = onnx.load(f)',
    '    onnx.checker.check_model(m, full_check=True)',
    '    g = onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True).graph',
    '    out.append({o.name: [d.dim_value or d.dim_param for d in o.type.tensor_type.shape.dim] for o in g.output})',
    'print(json.dumps(out))',
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', ['-c', script, ...files], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, (number | string)[]>[];
}

const DIABETES = path.join(ROOT, 'data', 'tables', 'diabetes.csv');
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
        const file = path.join(tempDir(), `every-layer-${layout}.onnx`);
        writeFileSync(file, built.bytes);
        expect(onnxChecker([file])).toEqual([{ probabilities: ['batch', 10] }]);
      }
      members.forEach((m) => m.dispose());
    });

    it('a Sequential model (tf.sequential, or Keras Sequential converted) converts as the same layers in a row', async () => {
      const members = [1, 2].map((seed) =>
        tfl.sequential({
          layers: [
            tfl.layers.conv2d({ inputShape: [10, 10, 2], filters: 4, kernelSize: 3, useBias: false, kernelInitializer: tfl.initializers.glorotUniform({ seed }) }),
            tfl.layers.batchNormalization({}),
            tfl.layers.reLU({}),
            tfl.layers.flatten(),
            tfl.layers.dense({ units: 5, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 10 }) }),
          ],
        }),
      );
      members.forEach((m, i) => randomizeBatchNorms(m, i + 3));
      const normalization = { mean: [0.4, 0.6], std: [0.2, 0.3] };
      const set = randomImages(16, [10, 10, 2], 4);
      const built = ensembleOnnx(members, { inputShape: [10, 10, 2], input: { kind: 'pixels', range: [0, 255] }, normalization, head: { task: 'classification', combine: 'mean', classNames: ['a', 'b', 'c', 'd', 'e'] } });
      const reference = combine(members.map((m) => predictProbabilities(m, set, normalization, 5)), 'mean');
      expect(maxDifference((await runFile(built.bytes, set))['probabilities']!, reference.data)).toBeLessThan(1e-5);
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
        const file = path.join(tempDir(), `cnn-${storage}.onnx`);
        writeFileSync(file, small.bytes);
        expect(onnxChecker([file])).toEqual([{ probabilities: ['batch', 10] }]);
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
      // a layer it converts, with a setting it does not
      const first = tfl.input({ shape: [1, 8, 8] });
      const channelsFirst = tfl.layers.conv2d({ filters: 2, kernelSize: 3, dataFormat: 'channelsFirst', name: 'cf' }).apply(first) as tfl.SymbolicTensor;
      const other = tfl.model({ inputs: first, outputs: tfl.layers.dense({ units: 3 }).apply(tfl.layers.flatten().apply(channelsFirst)) as tfl.SymbolicTensor });
      expect(() => ensembleOnnx([other], { inputShape: [1, 8, 8], input: { kind: 'pixels', range: [0, 255] }, normalization: { mean: 0, std: 1 }, head: { task: 'classification', combine: 'mean', classNames: ['a', 'b', 'c'] } })).toThrow(
        "export --format onnx: layer 'cf' (Conv2D with dataFormat 'channelsFirst') is not supported",
      );
      other.dispose();
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
    /** Each family's run and evaluate's last-3 probabilities on its test set, for the browser below. */
    const exported: { name: string; runDir: string; expected: Float32Array }[] = [];

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
      expect(onnxChecker([result.file])).toEqual([{ probabilities: ['batch', 10] }]);
      for (const level of ['disabled', 'all'] as const) {
        const out = await runFile(result.file, test, 'nhwc', { graphOptimizationLevel: level });
        expect(maxDifference(out['probabilities']!, expected.data), level).toBeLessThan(1e-5);
      }
      exported.push({ name, runDir, expected: Float32Array.from(expected.data) });
      expect(tf.memory().numTensors).toBe(tensorsBefore);
    });

    it("in Chromium, ONNX Runtime Web (wasm) on the serve page gives each family's file evaluate's probabilities on the whole test set within 1e-5", async () => {
      expect(exported.map((e) => e.name)).toEqual(families.map(([name]) => name));
      const context = await launchChromium();
      try {
        for (const { name, runDir, expected } of exported) {
          const server = await startServe(runDir);
          try {
            const page = await context.newPage();
            const errors = collectErrors(page);
            await page.goto(`${server.url}?backend=wasm&onnx=exports/last3-mean.onnx`);
            await page.waitForSelector('body[data-state="ready"], body[data-state="error"]');
            expect(await page.getAttribute('body', 'data-state'), `${name}: ${(await page.textContent('#status')) ?? ''}`).toBe('ready');
            await page.click('#time-test-set');
            await page.waitForSelector('body[data-timed="1"][data-state="predicted"]');
            const inPage = JSON.parse((await page.getAttribute('#test-set-table', 'data-onnx-probabilities'))!) as number[];
            expect(inPage.length, name).toBe(expected.length);
            expect(maxDifference(inPage, expected), name).toBeLessThan(1e-5);
            expect(errors, name).toEqual([]);
            await page.close();
          } finally {
            await stop(server.child);
          }
        }
      } finally {
        await context.close();
      }
    });
  });

  describe('a regression run, the command line, the README', () => {
    let imageRun: string;
    let tableRun: string;

    beforeAll(async () => {
      imageRun = path.join(tempDir(), 'cnn-run');
      const models = [1, 2, 3].map((seed) => buildModel('cnn', { inputShape: [28, 28, 1], numClasses: 10, dropout: 0.5 }, seed));
      models.forEach((m, i) => randomizeBatchNorms(m, i + 7));
      await writeSnapshotRun(imageRun, models, { model: 'cnn', dropout: 0.5, testSize: 100 });
      models.forEach((m) => m.dispose());
      tableRun = path.join(tempDir(), 'diabetes');
      const train = runCli(['train', '--data', DIABETES, '--label', 'progression', '--task', 'regression', '--model', 'mlp-16x1', '--dropout', '0.1', '--weight-decay', '0.01']
        .concat(['--epochs', '6', '--cycles', '3', '--batch-size', '32', '--lr0', '0.05', '--no-report', '--out', tableRun]));
      expect(train.code, train.stderr).toBe(0);
    });

    it("regression on the diabetes table (raw feature values, per-feature normalisation, standardised targets): the file's mean, spread and variance are evaluate's", async () => {
      const r = runCli(['export', tableRun, '--format', 'onnx']);
      expect(r.code, r.stderr).toBe(0);
      const file = path.join(tableRun, 'exports', 'last3-mean.onnx');
      expect(r.stdout).toContain(`exported the ensemble of snapshots 1, 2, 3 (mean and spread) to ${file}`);
      expect(r.stdout).toContain("input 'features' [batch, 10]: raw feature values; outputs 'mean' [batch, 1], 'spread' [batch, 1], 'variance' [batch, 1]");
      expect(onnxChecker([file])).toEqual([{ mean: ['batch', 1], spread: ['batch', 1], variance: ['batch', 1] }]);

      const record = readRunRecord(tableRun);
      const test = await runTestSet(record);
      const reference = combineGaussians((await snapshotGaussians(tableRun, record, test)).members);
      const out = await runFile(file, test);
      const std = record.data.targetNormalization!.std;
      // float32 in the graph against float64 in evaluate, in the target's units (std 77): within 1e-5 std
      expect(maxDifference(out['mean']!, reference.mean) / std).toBeLessThan(1e-5);
      expect(maxDifference(out['spread']!, reference.spread) / std).toBeLessThan(1e-5);
      expect(maxDifference(out['variance']!, reference.variance) / std ** 2).toBeLessThan(1e-5);
      expect(Math.max(...reference.spread)).toBeGreaterThan(0.1);
      const evaluation = await evaluateRun(tableRun);
      if (evaluation.task !== 'regression') throw new Error('a regression run');
      const last = evaluation.ensembles.at(-1)!;
      const exported = regressionMetrics(out['mean']!, out['variance']!, test.labels);
      expect(Math.abs(exported.rmse - last.rmse)).toBeLessThan(1e-5);
      expect(Math.abs(exported.nll - last.nll)).toBeLessThan(1e-5);
      expect(r.stdout).toMatch(/change from the ensemble: RMSE [+-]0\.0000, NLL [+-]0\.0000/);

      expectOneLineError(runCli(['export', tableRun, '--format', 'onnx', '--layout', 'nchw', '--out', path.join(tempDir(), 'x.onnx')]), /--layout nchw applies to images; this run's examples are \[10\]/);
      expectOneLineError(runCli(['export', tableRun, '--format', 'onnx', '--combine', 'geometric', '--out', path.join(tempDir(), 'x.onnx')]), /--combine geometric applies to classification/);
    });

    it('the command line: the summary; --last 2 --combine geometric --layout nchw; uint8 at most half the file with the change in error and NLL printed', async () => {
      const r = runCli(['export', imageRun, '--format', 'onnx']);
      expect(r.code, r.stderr).toBe(0);
      const file = path.join(imageRun, 'exports', 'last3-mean.onnx');
      expect(r.stdout).toContain(`exported the ensemble of snapshots 1, 2, 3 (mean) to ${file}`);
      expect(r.stdout).toContain(`ONNX opset ${ONNX_OPSET}; input 'pixels' [batch, 28, 28, 1]: raw pixels in [0, 255], NHWC; output 'probabilities' [batch, 10]`);
      expect(r.stdout).toMatch(/on 100 test examples, the file in onnxruntime-node 1\.30\.0 against evaluate's ensemble:/);
      expect(r.stdout).toMatch(/change from the ensemble: test error \+0\.00 points, NLL [+-]0\.0000; largest difference in a probability \d\.\d\de-([6-9]|[1-9]\d)$/m);
      // what the file says about itself
      const model = decodeModel(readFileSync(file));
      const meta = Object.fromEntries(model.metadata_props.map((p) => [p.key, p.value]));
      expect(JSON.parse(meta['class_names']!)).toEqual(readRunRecord(imageRun).data.classNames);
      expect(JSON.parse(meta['snapshot_ensembles']!)).toMatchObject({ run: 'cnn-run', members: [1, 2, 3], task: 'classification', combine: 'mean', pixelRange: [0, 255], layout: 'nhwc', opset: 17 });
      expect(model.opset_import).toEqual([{ domain: '', version: 17 }]);

      const record = readRunRecord(imageRun);
      const test = await runTestSet(record);
      const { probabilities } = await snapshotProbabilities(imageRun, record, test);
      const g = runCli(['export', imageRun, '--format', 'onnx', '--last', '2', '--combine', 'geometric', '--layout', 'nchw']);
      expect(g.code, g.stderr).toBe(0);
      const nchw = path.join(imageRun, 'exports', 'last2-geometric-nchw.onnx');
      expect(g.stdout).toContain("input 'pixels' [batch, 1, 28, 28]: raw pixels in [0, 255], NCHW");
      const out = await runFile(nchw, test, 'nchw');
      expect(maxDifference(out['probabilities']!, combine(probabilities.slice(1), 'geometric').data)).toBeLessThan(1e-5);

      const q = runCli(['export', imageRun, '--format', 'onnx', '--quantize', 'uint8']);
      expect(q.code, q.stderr).toBe(0);
      const uint8 = path.join(imageRun, 'exports', 'last3-mean-uint8.onnx');
      expect(statSync(uint8).size).toBeLessThanOrEqual(statSync(file).size / 2);
      expect(q.stdout).toMatch(/of uint8 weights \(float32: [\d.]+ [kM]B\)/);
      expect(q.stdout).toMatch(/ONNX file \(uint8\)/);
      expect(q.stdout).toMatch(/change from the ensemble: test error [+-]\d+\.\d\d points, NLL [+-]\d\.\d{4}; largest difference in a probability/);
      const quantized = (await runFile(uint8, test))['probabilities']!;
      expect(maxDifference(quantized, combine(probabilities, 'mean').data)).toBeLessThan(0.1);

      // evaluate --cost: ONNX Runtime's inference of the whole ensemble as one graph, and of every file exported
      const cost = runCli(['evaluate', imageRun, '--cost', '--json', '--backend', 'wasm', '--threads', '1']);
      expect(cost.code, cost.stderr).toBe(0);
      const { points, notes } = (JSON.parse(cost.stdout) as { cost: InferenceCost }).cost;
      const ensemble = points.find((p) => p.label === 'ensemble of last 3 (mean)')!;
      const onnx = points.filter((p) => p.kind === 'onnx');
      expect(onnx.map((p) => p.label)).toEqual(['ensemble of last 3 (mean), ONNX', 'exported last2-geometric-nchw.onnx', 'exported last3-mean-uint8.onnx', 'exported last3-mean.onnx']);
      for (const p of [onnx[0]!, onnx[3]!]) {
        expect(p.error).toBe(ensemble.error);
        expect(Math.abs(p.nll - ensemble.nll)).toBeLessThan(1e-5);
        expect(p.flopsPerImage).toBe(ensemble.flopsPerImage);
        expect(p.imagesPerSecond).toBeGreaterThan(0);
      }
      expect(onnx[1]!.flopsPerImage).toBeCloseTo((2 / 3) * ensemble.flopsPerImage, 0);
      expect(notes).toEqual(['ONNX Runtime: onnxruntime-node 1.30.0 on the CPU, 1 thread']);
    });

    it('bad input: an unknown --format, --layout for tfjs, an output that exists, an unsupported layer in the snapshots; one line, nothing written', async () => {
      expectOneLineError(runCli(['export', imageRun, '--format', 'pb']), /--format.*pb.*tfjs, onnx/);
      expectOneLineError(runCli(['export', imageRun, '--layout', 'nchw']), /--layout applies to --format onnx/);
      const existing = path.join(tempDir(), 'mine.onnx');
      writeFileSync(existing, 'mine');
      expectOneLineError(runCli(['export', imageRun, '--format', 'onnx', '--out', existing]), /mine\.onnx already exists; choose another --out/);
      expect(readFileSync(existing, 'utf8')).toBe('mine');

      // a user's model whose third layer has no converter
      const runDir = path.join(tempDir(), 'own');
      const models = [1, 2].map((seed) => {
        const input = tfl.input({ shape: [28, 28, 1] });
        const x = tfl.layers.conv2d({ filters: 2, kernelSize: 3, name: 'conv', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }).apply(input) as tfl.SymbolicTensor;
        const y = tfl.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 2, name: 'upsample' }).apply(x) as tfl.SymbolicTensor;
        const z = tfl.layers.upSampling2d({ name: 'bigger' }).apply(y) as tfl.SymbolicTensor;
        return tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 10 }).apply(tfl.layers.flatten().apply(z)) as tfl.SymbolicTensor });
      });
      await writeSnapshotRun(runDir, models, { model: 'own.json', testSize: 20 });
      models.forEach((m) => m.dispose());
      expectOneLineError(runCli(['export', runDir, '--format', 'onnx']), /layer 'upsample' \(Conv2DTranspose\) is not supported; the ONNX exporter converts Conv2D, DepthwiseConv2D/);
      expect(existsSync(path.join(runDir, 'exports'))).toBe(false);
      expect(readdirSync(runDir).sort()).toEqual(['run.json', 'snapshots']);
    });

    it('in Chromium, the serve page runs the ONNX file in ONNX Runtime Web beside the m-pass ensemble and the TF.js export: equal within 1e-5, the three timed', async () => {
      const exports = path.join(imageRun, 'exports');
      await exportOnnxRun(imageRun, { out: path.join(exports, 'page.onnx') });
      await exportOnnxRun(imageRun, { out: path.join(exports, 'page-nchw.onnx'), last: 2, combine: 'geometric', layout: 'nchw' });
      await exportRun(imageRun, { outDir: path.join(exports, 'page-tfjs') });
      const record = readRunRecord(imageRun);
      const test = await runTestSet(record);
      const { probabilities } = await snapshotProbabilities(imageRun, record, test);
      const mean = combine(probabilities, 'mean');
      const server = await startServe(imageRun);
      const context = await launchChromium();
      try {
        const page = await context.newPage();
        const errors = collectErrors(page);
        const wasm: string[] = [];
        page.on('response', (r) => {
          if (r.url().endsWith('.wasm')) wasm.push(`${r.status()} ${new URL(r.url()).pathname.replace(/-[\w-]{8}\.wasm$/, '.wasm')}`);
        });
        await page.goto(`${server.url}?backend=wasm&export=exports/page-tfjs&onnx=exports/page.onnx`);
        await page.waitForSelector('body[data-state="ready"], body[data-state="error"]');
        expect(await page.getAttribute('body', 'data-state'), (await page.textContent('#status')) ?? '').toBe('ready');
        expect(await page.textContent('#onnx-status')).toContain('Loaded the ONNX file exports/page.onnx (the ensemble of snapshots 1, 2, 3) into ONNX Runtime Web (wasm)');
        // ONNX Runtime Web's binary comes from the page's server, like TF.js's
        expect(wasm).toContain('200 /assets/ort-wasm-simd-threaded.wasm');

        await page.click('#grid button[data-test-index="4"]');
        await page.waitForSelector('body[data-state="predicted"][data-predictions="1"]');
        const rowOf = (selector: string) => page.$$eval(`${selector} td[data-class]`, (cells) => cells.map((c) => Number((c as HTMLElement).dataset['probability'])));
        for (const row of ['#onnx-row', '#exported-row', '#ensemble-row']) expect(maxDifference(await rowOf(row), mean.data.subarray(40, 50)), row).toBeLessThan(1e-5);
        expect(await page.textContent('#onnx-row td.time')).toMatch(/^\d+(\.\d+)? ms$/);

        await page.click('#time-test-set');
        await page.waitForSelector('body[data-timed="1"][data-state="predicted"]');
        const rows = await page.$$eval('#test-set-table tbody tr', (all) => all.map((r) => [(r as HTMLElement).dataset['model'], r.children[1]!.textContent, r.children[3]!.textContent]));
        expect(rows.map((r) => r.slice(0, 2))).toEqual([
          ['ensemble', '3'],
          ['exported', '1'],
          ['onnx', '1'],
        ]);
        for (const r of rows) expect(r[2]).toMatch(/^\d+(\.\d+)? ms$/);
        const inPage = JSON.parse((await page.getAttribute('#test-set-table', 'data-onnx-probabilities'))!) as number[];
        expect(maxDifference(inPage, mean.data)).toBeLessThan(1e-5);
        await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'page-onnx.png'), fullPage: true });

        // an N x C x H x W file of the last 2 (geometric), alone on the page
        const nchw = await context.newPage();
        errors.push(...collectErrors(nchw));
        await nchw.goto(`${server.url}?backend=wasm&onnx=exports/page-nchw.onnx`);
        await nchw.waitForSelector('body[data-state="ready"], body[data-state="error"]');
        expect(await nchw.getAttribute('body', 'data-state'), (await nchw.textContent('#status')) ?? '').toBe('ready');
        await nchw.click('#grid button[data-test-index="9"]');
        await nchw.waitForSelector('body[data-state="predicted"][data-predictions="1"]');
        const geometric = combine(probabilities.slice(1), 'geometric');
        const row = await nchw.$$eval('#onnx-row td[data-class]', (cells) => cells.map((c) => Number((c as HTMLElement).dataset['probability'])));
        expect(maxDifference(row, geometric.data.subarray(90, 100))).toBeLessThan(1e-5);
        expect(errors).toEqual([]);
      } finally {
        await context.close();
        await stop(server.child);
      }
    });

    it("the README's onnxruntime-node snippet runs as written on an exported file, in a project of its own", () => {
      const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
      const block = [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]!).find((code) => code.includes("from 'onnxruntime-node'"));
      expect(block).toBeDefined();
      const dir = tempDir('se-onnx-snippet-');
      mkdirSync(path.join(dir, 'node_modules'));
      for (const pkg of ['onnxruntime-node', 'onnxruntime-common']) symlinkSync(path.join(ROOT, 'node_modules', pkg), path.join(dir, 'node_modules', pkg));
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'onnx-user', private: true, type: 'module' }));
      copyFileSync(path.join(imageRun, 'exports', 'last3-mean.onnx'), path.join(dir, 'model.onnx'));
      writeFileSync(path.join(dir, 'example.mjs'), block!);
      const r = spawnSync(process.execPath, ['example.mjs'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const [dims, row] = r.stdout.trim().split('\n');
      expect(dims).toBe('probabilities: 2 x 10');
      const p = row!.split(' ').map(Number);
      expect(p).toHaveLength(10);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
    });
  });
});
