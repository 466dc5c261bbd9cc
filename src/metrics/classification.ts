import { argmaxRow, checkLabels, toProbabilityMatrix, type Probabilities } from './probabilities.js';
import type { Metrics } from '../schema/metrics.js';

/** Probabilities are clamped to this floor inside the logarithm so a confident mistake costs -log(1e-12), not infinity. */
export const NLL_EPSILON = 1e-12;

/** Error rate: the fraction of examples whose arg-max class is not the label. */
export function errorRate(probabilities: Probabilities, labels: ArrayLike<number>): number {
  const p = toProbabilityMatrix(probabilities);
  checkLabels(p, labels);
  let wrong = 0;
  for (let i = 0; i < p.numExamples; i++) if (argmaxRow(p, i) !== labels[i]) wrong++;
  return wrong / p.numExamples;
}

/** Negative log-likelihood: -1/N sum_i log p_i[y_i]. */
export function negativeLogLikelihood(probabilities: Probabilities, labels: ArrayLike<number>): number {
  const p = toProbabilityMatrix(probabilities);
  checkLabels(p, labels);
  let total = 0;
  for (let i = 0; i < p.numExamples; i++) {
    total -= Math.log(Math.max(p.data[i * p.numClasses + labels[i]!]!, NLL_EPSILON));
  }
  return total / p.numExamples;
}

/** Brier score (Brier 1950, multi-class form): 1/N sum_i sum_k (p_ik - 1[k = y_i])^2, in [0, 2]. */
export function brierScore(probabilities: Probabilities, labels: ArrayLike<number>): number {
  const p = toProbabilityMatrix(probabilities);
  checkLabels(p, labels);
  const k = p.numClasses;
  let total = 0;
  for (let i = 0; i < p.numExamples; i++) {
    for (let c = 0; c < k; c++) {
      const d = p.data[i * k + c]! - (c === labels[i] ? 1 : 0);
      total += d * d;
    }
  }
  return total / p.numExamples;
}

/** One confidence bin of a reliability diagram: its bounds, examples, mean confidence and accuracy. */
export interface ReliabilityBin {
  /** Lower and upper edge of the confidence bin, (lower, upper]. */
  lower: number;
  upper: number;
  count: number;
  /** Mean confidence (max probability) of the examples in the bin; 0 when empty. */
  confidence: number;
  /** Accuracy of the examples in the bin; 0 when empty. */
  accuracy: number;
}

/** Examples grouped into `bins` equal-width bins of confidence (the max probability), as in Guo et al. 2017. */
export function reliabilityBins(probabilities: Probabilities, labels: ArrayLike<number>, bins = 15): ReliabilityBin[] {
  const p = toProbabilityMatrix(probabilities);
  checkLabels(p, labels);
  const counts = new Float64Array(bins);
  const confidence = new Float64Array(bins);
  const correct = new Float64Array(bins);
  for (let i = 0; i < p.numExamples; i++) {
    const predicted = argmaxRow(p, i);
    const conf = p.data[i * p.numClasses + predicted]!;
    // Bin b holds confidences in (b/B, (b+1)/B]; a confidence of exactly 0 goes to the first bin.
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(conf * bins) - 1));
    counts[b]!++;
    confidence[b]! += conf;
    if (predicted === labels[i]) correct[b]!++;
  }
  return Array.from({ length: bins }, (_, b) => {
    const n = counts[b]!;
    return {
      lower: b / bins,
      upper: (b + 1) / bins,
      count: n,
      confidence: n > 0 ? confidence[b]! / n : 0,
      accuracy: n > 0 ? correct[b]! / n : 0,
    };
  });
}

/** Expected calibration error (Guo et al. 2017): sum_b |B_b|/N * |acc(B_b) - conf(B_b)| over 15 equal-width bins. */
export function expectedCalibrationError(probabilities: Probabilities, labels: ArrayLike<number>, bins = 15): number {
  const p = toProbabilityMatrix(probabilities);
  let total = 0;
  for (const bin of reliabilityBins(p, labels, bins)) {
    total += (bin.count / p.numExamples) * Math.abs(bin.accuracy - bin.confidence);
  }
  return total;
}

/** Error, NLL, ECE (15 bins) and Brier score of class probabilities against labels. */
export function classificationMetrics(probabilities: Probabilities, labels: ArrayLike<number>): Metrics {
  const p = toProbabilityMatrix(probabilities);
  return {
    error: errorRate(p, labels),
    nll: negativeLogLikelihood(p, labels),
    ece: expectedCalibrationError(p, labels),
    brier: brierScore(p, labels),
  };
}
