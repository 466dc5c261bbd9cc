import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { addonPath } from '../src/backend/native/addon.js';
import { batchNormScaleShift, foldConvBatchNorm } from '../src/backend/native/program/compileInference.js';
import { foldedInference } from '../src/models/foldedInference.js';
import { buildModel } from '../src/models/registry.js';
import { Rng } from '../src/util/rng.js';
import { maxRelativeError } from './helpers/kernels.js';
import { nativeLoad, nativeSkipReason } from './helpers/native.js';
import { randomModel } from './helpers/randomModel.js';

// Recycled outputs and the program's arena before each run are filled with NaN: a read of what nothing wrote shows.
process.env.SE_NATIVE_POISON_POOL = '1';

/** Winograd's transforms round differently from a direct convolution (about 2e-6 per layer, relative). */
const TOLERANCE = 1e-4;
let worst = 0;

/** Gives every batch norm statistics far from their initial (0, 1), as after training. */
function trainedLooking(model: tfl.LayersModel, seed: number): tfl.LayersModel {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const shapes = layer.getWeights().map((w) => w.shape);
    layer.setWeights([
      tf.randomUniform(shapes[0]!, 0.5, 1.5, 'float32', seed++),
      tf.randomNormal(shapes[1]!, 0, 0.3, 'float32', seed++),
      tf.randomNormal(shapes[2]!, 0, 0.5, 'float32', seed++),
      tf.randomUniform(shapes[3]!, 0.3, 3, 'float32', seed++),
    ]);
  }
  return model;
}

/**
 * The model's logits on the cpu backend (model.predict) and on native through foldedInference, at batches `sizes`
 * in turn (one program, laid out again for a larger batch); checks the compiled program ran and nothing leaked.
 */
async function compare(label: string, build: () => tfl.LayersModel, inputShape: number[], sizes: number[], seed: number, block: 0 | 8 | 16): Promise<void> {
  process.env.SE_NATIVE_BLOCK = String(block);
  label = `${label}, channel block ${block}`;
  await useBackend('cpu');
  const inputs = sizes.map((n, k) => Float32Array.from(tf.tidy(() => tf.randomNormal([n, ...inputShape], 0, 1, 'float32', seed + k).dataSync())));
  let model = trainedLooking(build(), seed);
  const weights = model.getWeights().map((w) => Float32Array.from(w.dataSync() as Float32Array));
  const reference = sizes.map((n, k) => tf.tidy(() => Float32Array.from((model.predict(tf.tensor(inputs[k]!, [n, ...inputShape])) as tf.Tensor).dataSync())));
  model.dispose();
  await useBackend('native', { threads: 2 });
  model = build();
  model.setWeights(model.getWeights().map((w, i) => tf.tensor(weights[i]!, w.shape)));
  const forward = foldedInference(model);
  expect(forward.engine, `${label} compiles into an inference program`).toBe('program');
  const before = tf.memory().numTensors;
  sizes.forEach((n, k) => {
    const out = tf.tidy(() => forward(tf.tensor(inputs[k]!, [n, ...inputShape])));
    const e = maxRelativeError(out.dataSync(), reference[k]!);
    worst = Math.max(worst, e);
    expect(e, `${label}, batch ${n}`).toBeLessThan(TOLERANCE);
    out.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
  forward.dispose();
  model.dispose();
}

describe('the folding of a batch norm into the convolution before it', () => {
  it('scale and shift are gamma / sqrt(var + eps) and beta - mean scale; the filter is scaled per output channel', () => {
    const { scale, shift } = batchNormScaleShift(new Float32Array([2, 1]), new Float32Array([1, 0]), new Float32Array([3, -1]), new Float32Array([3, 0]), 1);
    expect(Array.from(scale)).toEqual([1, 1]);
    expect(Array.from(shift)).toEqual([-2, 1]);
    // HWIO with 2 output channels: the last axis; the convolution's own bias is scaled too.
    const folded = foldConvBatchNorm(new Float32Array([1, 2, 3, 4]), new Float32Array([10, 20]), new Float32Array([0.5, 2]), new Float32Array([1, -1]));
    expect(Array.from(folded.filter)).toEqual([0.5, 4, 1.5, 8]);
    expect(Array.from(folded.bias)).toEqual([6, 39]);
  });
});

describe.skipIf(!nativeLoad.ok)(`compiled inference programs on the native backend (${nativeSkipReason ?? 'addon loaded'})`, () => {
  afterAll(() => console.log(`worst relative error of inference programs against cpu: ${worst.toExponential(2)}`));

  afterEach(() => {
    delete process.env.SE_NATIVE_BLOCK;
  });

  it("channelBlock() is the CPU's: 16 with AVX-512, 8 with AVX2, and follows ONEDNN_MAX_CPU_ISA", () => {
    if (!existsSync('/proc/cpuinfo')) return;
    const flags = new Set((/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').trim().split(/\s+/));
    // oneDNN's avx512_core: AVX-512 F, BW, VL and DQ
    const expected = ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq'].every((f) => flags.has(f)) ? 16 : flags.has('avx2') ? 8 : 0;
    const block = (env: Record<string, string>) => {
      const source = `console.log(require(${JSON.stringify(addonPath())}).channelBlock())`;
      return Number(spawnSync(process.execPath, ['-e', source], { env: { ...process.env, ...env }, encoding: 'utf8' }).stdout.trim());
    };
    expect(block({})).toBe(expected);
    if (expected !== 0) expect(block({ ONEDNN_MAX_CPU_ISA: 'AVX2', DNNL_MAX_CPU_ISA: 'AVX2' })).toBe(8);
  });

  // Every block on every machine: the CPU's own runs oneDNN's fast kernels, the others its reference ones (as slow
  // as they are, the numbers must be the same).
  it.each(
    (
      [
        ['cnn', 28],
        ['resnet8', 16],
        ['wrn-10-2', 12],
        ['densenet40', 12],
        ['mlp-32x2-bn', 0],
        ['mlp-16x1', 6],
      ] as const
    ).flatMap(([name, side]) => ([16, 8, 0] as const).map((block) => [name, side, block] as const)),
  )('%s (with dropout, input side %i), channel block %i: the logits of model.predict on cpu, at batches 3, 2 and 5', async (name, side, block) => {
    // An mlp on images flattens the input itself.
    const inputShape = side === 0 ? [12] : [side, side, 1];
    await compare(name, () => buildModel(name, { inputShape, numClasses: 10, dropout: 0.2 }, 5), inputShape, [3, 2, 5], 11, block);
  });

  it('an RGB cnn (a three-channel first convolution, which stays NHWC)', async () => {
    await compare('rgb cnn', () => buildModel('cnn', { inputShape: [16, 16, 3], numClasses: 4 }, 2), [16, 16, 3], [2], 3, 16);
  });

  it.each(Array.from({ length: 12 }, (_, i) => 200 + i))('random model %i, with channels in multiples of 1, 8 and 16, matches cpu with blocks of 8 and 16', async (seed) => {
    for (const unit of [1, 8, 16])
      for (const block of [16, 8] as const) {
        if (unit === 8 && block === 16) continue;
        const { build, inputShape, description } = randomModel(seed, unit);
        const rng = new Rng(seed);
        const batch = 1 + rng.int(4);
        await compare(`random model ${seed} x${unit} (${description.join(', ')})`, build, inputShape, [batch, batch + 2], seed, block);
      }
  });

  it('SE_NATIVE_PROGRAM=0 runs the layers as TF.js ops instead', async () => {
    await useBackend('native', { threads: 2 });
    const model = buildModel('cnn', { inputShape: [8, 8, 1], numClasses: 3 }, 1);
    process.env.SE_NATIVE_PROGRAM = '0';
    try {
      const forward = foldedInference(model);
      expect(forward.engine).toBe('ops');
      forward.dispose();
    } finally {
      delete process.env.SE_NATIVE_PROGRAM;
    }
    model.dispose();
  });
});
