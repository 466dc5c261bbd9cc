import * as tf from '@tensorflow/tfjs-core';
import { lastM } from '../../src/metrics/combine.js';
import { combineGaussians } from '../../src/metrics/regression.js';
import type { RunRecord } from './api.js';
import { forwardEach, type ExampleValues, type LoadedSnapshot } from './ensemble.js';

/** A regression run's snapshots in the browser: each a Gaussian N(mu_k, sigma_k^2), combined as the library combines them. */

/** One snapshot's prediction in the target's units (one per example), its noise variance sigma_k^2 from run.json, and its pass's time. */
export interface GaussianPrediction {
  index: number;
  mean: Float32Array;
  noiseVariance: number;
  milliseconds: number;
}

/**
 * Each snapshot's prediction for `count` examples: its one output z de-standardised as the library does it,
 * z * std + mean with the training targets' mean and std (on float32 tensors, as predictValues).
 */
export async function predictGaussians(snapshots: readonly LoadedSnapshot[], record: RunRecord, values: ExampleValues, count = 1): Promise<GaussianPrediction[]> {
  const target = record.data.targetNormalization ?? { mean: 0, std: 1 };
  const passes = await forwardEach(snapshots, record, values, count, (z) => tf.add(tf.mul(z, target.std), target.mean));
  return passes.map(({ index, outputs, milliseconds }) => {
    const noiseVariance = record.snapshots.find((s) => s.index === index)?.noiseVariance;
    if (noiseVariance === undefined) throw new Error(`snapshot ${index} has no noise variance in run.json (not a regression run?)`);
    return { index, mean: outputs, noiseVariance, milliseconds };
  });
}

/** The ensemble of the last m snapshots for one example: its mean, its standard deviation sqrt(mean_k sigma_k^2 + spread^2), and the spread. */
export interface EnsembleGaussian {
  mean: number;
  std: number;
  spread: number;
}

export function gaussianOfLast(members: readonly GaussianPrediction[], m: number, example = 0): EnsembleGaussian {
  const c = combineGaussians(lastM(members, m).map((p) => ({ mean: [p.mean[example]!], noiseVariance: p.noiseVariance })));
  return { mean: c.mean[0]!, std: Math.sqrt(c.variance[0]!), spread: c.spread[0]! };
}
