import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

import type { ImageSet } from '../data/dataset.js';
import { Rng, standardNormal } from '../util/rng.js';
import { updateBatchNorm } from './swa.js';
import type { Normalization } from '../schema/data.js';

/**
 * SWA-Gaussian (Maddox, Izmailov, Garipov, Vetrov, Wilson 2019), kept apart from the training loop as SWA is
 * (swa.ts): the loop's onEpochEnd hook calls update() from the start epoch on, so the moments are collected once
 * per epoch, as in the paper. Over the model's trainable weights theta_1..theta_n (a flat vector; batch-norm moving
 * statistics are not part of it, they are re-estimated for every sample):
 *   mean_n = mean_{n-1} + (theta_n - mean_{n-1}) / n,  sqMean_n = sqMean_{n-1} + (theta_n^2 - sqMean_{n-1}) / n,
 * and the deviation theta_n - mean_n appended to D, which keeps the last K (the authors' collect_model).
 */
export interface SwagMoments {
  /** n, the weight sets collected. */
  count: number;
  /** K, the most deviations kept. */
  maxRank: number;
  mean: Float32Array;
  sqMean: Float32Array;
  /** The last min(n, K) deviations theta_i - mean_i, oldest first. */
  deviations: Float32Array[];
}

/** Empty moments over `parameters` weights. */
export function emptySwagMoments(parameters: number, maxRank: number): SwagMoments {
  if (!Number.isInteger(maxRank) || maxRank < 1) throw new RangeError(`the SWAG rank K must be a positive integer, got ${maxRank}`);
  return { count: 0, maxRank, mean: new Float32Array(parameters), sqMean: new Float32Array(parameters), deviations: [] };
}

/** Folds one weight vector into the moments (in place). */
export function addSwagIterate(moments: SwagMoments, theta: Float32Array): void {
  const { mean, sqMean } = moments;
  if (theta.length !== mean.length) throw new RangeError(`SWAG: ${theta.length} weights given, the moments hold ${mean.length}`);
  const n = moments.count + 1;
  const deviation = new Float32Array(theta.length);
  for (let i = 0; i < theta.length; i++) {
    const w = theta[i]!;
    mean[i] = mean[i]! + (w - mean[i]!) / n;
    sqMean[i] = sqMean[i]! + (w * w - sqMean[i]!) / n;
    deviation[i] = w - mean[i]!;
  }
  moments.deviations.push(deviation);
  if (moments.deviations.length > moments.maxRank) moments.deviations.shift();
  moments.count = n;
}

/**
 * One SWAG weight sample (Maddox et al. 2019, Eq. 1 with the authors' scale 1/2):
 * theta = mean + sqrt(scale) (sigma * z1 + D z2 / sqrt(K - 1)), sigma^2 = max(sqMean - mean^2, 0), z1 ~ N(0, I_P),
 * z2 ~ N(0, I_K), K the deviations held (the low-rank term is left out while K < 2). z1 is drawn first, then z2.
 */
export function swagSample(moments: SwagMoments, rng: Rng, scale = 0.5): Float32Array {
  if (moments.count === 0) throw new Error('SWAG: no weights have been collected');
  const { mean, sqMean, deviations } = moments;
  const P = mean.length;
  const out = new Float32Array(P);
  const root = Math.sqrt(scale);
  for (let i = 0; i < P; i++) {
    const variance = Math.max(sqMean[i]! - mean[i]! * mean[i]!, 0);
    out[i] = mean[i]! + root * Math.sqrt(variance) * standardNormal(rng);
  }
  const K = deviations.length;
  if (K >= 2) {
    const factor = root / Math.sqrt(K - 1);
    for (const d of deviations) {
      const z = standardNormal(rng) * factor;
      for (let i = 0; i < P; i++) out[i] = out[i]! + d[i]! * z;
    }
  }
  return out;
}

/** Number of trainable weights of a model: the length of the vectors SWAG works on. */
export function trainableSize(model: tfl.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.read().size, 0);
}

/** The model's trainable weights as one flat vector, in model.trainableWeights order. */
export function readTrainable(model: tfl.LayersModel): Float32Array {
  const out = new Float32Array(trainableSize(model));
  let offset = 0;
  for (const w of model.trainableWeights) {
    const values = w.read().dataSync() as Float32Array;
    out.set(values, offset);
    offset += values.length;
  }
  return out;
}

/** Writes a flat vector (as readTrainable returns) into the model's trainable weights. */
export function writeTrainable(model: tfl.LayersModel, flat: Float32Array): void {
  if (flat.length !== trainableSize(model)) throw new RangeError(`SWAG: ${flat.length} weights for a model with ${trainableSize(model)}`);
  let offset = 0;
  for (const w of model.trainableWeights) {
    const { size, shape } = w.read();
    const values = tf.tensor(flat.slice(offset, offset + size), shape, 'float32');
    w.write(values);
    values.dispose();
    offset += size;
  }
}

/** The collector the training loop's onEpochEnd hook calls: the moments of a model's trainable weights. */
export class SwagCollector {
  readonly moments: SwagMoments;

  constructor(
    private readonly model: tfl.LayersModel,
    maxRank: number,
    moments?: SwagMoments,
  ) {
    this.moments = moments ?? emptySwagMoments(trainableSize(model), maxRank);
    if (this.moments.mean.length !== trainableSize(model)) {
      throw new RangeError(`SWAG: the saved moments hold ${this.moments.mean.length} weights, the model has ${trainableSize(model)}`);
    }
  }

  update(): void {
    addSwagIterate(this.moments, readTrainable(this.model));
  }
}

/** How SWAG's members are drawn: S samples from a generator seeded with `seed`. */
export interface SwagDraws {
  samples: number;
  seed: number;
}

/**
 * SWAG's test-time members: for k = 1..S, writes sample k into the model's trainable weights, re-estimates its
 * batch-norm statistics on the training images (updateBatchNorm), and calls visit(k), which reads the model's outputs.
 * The same moments, draws and images give the same members. Returns the batch-norm batches run per sample.
 */
export function forEachSwagSample(
  model: tfl.LayersModel,
  moments: SwagMoments,
  draws: SwagDraws,
  train: ImageSet,
  normalization: Normalization,
  visit: (sample: number) => void,
): number {
  if (!Number.isInteger(draws.samples) || draws.samples < 1) throw new RangeError(`SWAG needs at least one sample, got ${draws.samples}`);
  const rng = new Rng(draws.seed);
  let batches = 0;
  for (let k = 1; k <= draws.samples; k++) {
    writeTrainable(model, swagSample(moments, rng));
    batches = updateBatchNorm(model, train, normalization);
    visit(k);
  }
  return batches;
}
