import type * as tfl from '@tensorflow/tfjs-layers';
import type { ImageSet } from '../data/dataset.js';
import { classificationMetrics } from '../metrics/classification.js';
import type { ProbabilityMatrix } from '../metrics/probabilities.js';
import { regressionMetrics, rootMeanSquaredError } from '../metrics/regression.js';
import { predictProbabilities, predictValues } from '../models/predict.js';
import type { Normalization } from '../schema/data.js';
import type { Metrics, RegressionMetrics } from '../schema/metrics.js';
import type { TaskHead } from '../training/taskHead.js';

/**
 * A member's outputs on a set of examples: class probabilities, or (regression) its predictions in the target's
 * units, which with its noise variance sigma^2 make the Gaussian N(mu, sigma^2) it predicts.
 */
export type MemberOutputs = ProbabilityMatrix | Float32Array;

export function isProbabilities(outputs: MemberOutputs): outputs is ProbabilityMatrix {
  return !(outputs instanceof Float32Array);
}

/** The model's outputs on a set, as its task reads them (predictProbabilities or predictValues). */
export function memberOutputs(model: tfl.LayersModel, set: ImageSet, normalization: Normalization, head: TaskHead): MemberOutputs {
  return head.task === 'regression' ? predictValues(model, set, normalization, head.target) : predictProbabilities(model, set, normalization, head.outputs);
}

/**
 * A regression member's sigma^2: its mean squared error on the validation examples where there are any, else on the
 * training examples (which makes later, better fitted members look over-confident: hold out a validation split).
 */
export function noiseVariance(model: tfl.LayersModel, fit: ImageSet, normalization: Normalization, head: TaskHead): number {
  return rootMeanSquaredError(predictValues(model, fit, normalization, head.target), fit.labels) ** 2;
}

/** A member's metrics from its outputs: classification's, or the Gaussian's with the given sigma^2. */
export function outputMetrics(outputs: MemberOutputs, labels: ArrayLike<number>, variance: number | undefined): Metrics | RegressionMetrics {
  if (isProbabilities(outputs)) return classificationMetrics(outputs, labels);
  return regressionMetrics(outputs, new Float64Array(outputs.length).fill(variance ?? NaN), labels);
}
