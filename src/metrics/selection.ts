import { NLL_EPSILON, negativeLogLikelihood } from './classification.js';
import { checkLabels, type ProbabilityMatrix } from './probabilities.js';
import { meanProbabilities } from './combine.js';

/*
 * Choosing and weighting members on a held-out validation split: beyond the paper, which always averages the
 * last m snapshots with equal weights. Everything here sees only validation predictions, never the test set.
 */

export interface BestKSelection {
  /** 0-based indices of the chosen members, in their original order. */
  members: number[];
  /** Validation NLL of the mean of the chosen members. */
  validationNll: number;
}

/**
 * Best-k: rank the members by their own validation NLL, and keep the k best, with k in 1..M chosen to minimise
 * the validation NLL of their mean softmax output (the smallest such k on ties).
 */
export function selectBestK(validation: readonly ProbabilityMatrix[], labels: ArrayLike<number>): BestKSelection {
  if (validation.length === 0) throw new RangeError('selectBestK needs at least one member');
  const ranked = validation
    .map((p, i) => ({ i, nll: negativeLogLikelihood(p, labels) }))
    .sort((a, b) => a.nll - b.nll || a.i - b.i)
    .map((r) => r.i);
  let best: BestKSelection | undefined;
  for (let k = 1; k <= ranked.length; k++) {
    const chosen = ranked.slice(0, k);
    const nll = negativeLogLikelihood(meanProbabilities(chosen.map((i) => validation[i]!)), labels);
    if (best === undefined || nll < best.validationNll) best = { members: [...chosen].sort((a, b) => a - b), validationNll: nll };
  }
  return best!;
}

export interface MixtureWeights {
  /** One weight per member, >= 0, summing to 1. */
  weights: number[];
  validationNll: number;
  iterations: number;
}

/**
 * Mixture weights w on the simplex that minimise the validation NLL of the weighted mean of softmax outputs,
 * -1/N sum_n log sum_i w_i p_i(y_n | x_n). The objective is convex in w; it is minimised by the EM update for
 * mixture proportions, w_i <- w_i * 1/N sum_n p_i(y_n) / sum_j w_j p_j(y_n), which never increases it. Starts
 * from equal weights and stops when no weight moves by more than `tolerance` or after maxIterations.
 */
export function fitMixtureWeights(
  validation: readonly ProbabilityMatrix[],
  labels: ArrayLike<number>,
  { tolerance = 1e-7, maxIterations = 5000 }: { tolerance?: number; maxIterations?: number } = {},
): MixtureWeights {
  const m = validation.length;
  if (m === 0) throw new RangeError('fitMixtureWeights needs at least one member');
  for (const p of validation) checkLabels(p, labels);
  const n = labels.length;
  // likelihood[i][s]: member i's probability of the true label of example s, floored like the NLL metric
  const likelihood = validation.map((p) => {
    const q = new Float64Array(n);
    for (let s = 0; s < n; s++) q[s] = Math.max(p.data[s * p.numClasses + labels[s]!]!, NLL_EPSILON);
    return q;
  });
  let w = new Array<number>(m).fill(1 / m);
  let iterations = 0;
  const mixture = new Float64Array(n);
  const mix = (weights: readonly number[]) => {
    mixture.fill(0);
    for (let i = 0; i < m; i++) for (let s = 0; s < n; s++) mixture[s]! += weights[i]! * likelihood[i]![s]!;
  };
  while (iterations < maxIterations) {
    iterations++;
    mix(w);
    const next = w.map((wi, i) => {
      let r = 0;
      for (let s = 0; s < n; s++) r += likelihood[i]![s]! / mixture[s]!;
      return (wi * r) / n;
    });
    const total = next.reduce((a, b) => a + b, 0);
    const normalised = next.map((x) => x / total);
    const moved = Math.max(...normalised.map((x, i) => Math.abs(x - w[i]!)));
    w = normalised;
    if (moved <= tolerance) break;
  }
  mix(w);
  let nll = 0;
  for (let s = 0; s < n; s++) nll -= Math.log(mixture[s]!);
  return { weights: w, validationNll: nll / n, iterations };
}
