import { argmaxRow, checkSameShape, toProbabilityMatrix, type Probabilities, type ProbabilityMatrix } from './probabilities.js';
import type { CombineRule } from '../schema/metrics.js';


/** The members as matrices of one shape, and the first of them. */
function checkEnsemble(given: readonly Probabilities[]): { first: ProbabilityMatrix; members: ProbabilityMatrix[] } {
  const members = given.map(toProbabilityMatrix);
  const first = checkSameShape(members);
  if (first === undefined) throw new RangeError('an ensemble needs at least one member');
  return { first, members };
}

/** The paper's rule: the mean of the members' softmax outputs, h_Ensemble = 1/m sum_{i=0}^{m-1} h_{M-i}(x). */
export function meanProbabilities(given: readonly Probabilities[]): ProbabilityMatrix {
  const { first, members } = checkEnsemble(given);
  const out = new Float32Array(first.data.length);
  for (const m of members) for (let j = 0; j < out.length; j++) out[j]! += m.data[j]!;
  for (let j = 0; j < out.length; j++) out[j]! /= members.length;
  return { data: out, numExamples: first.numExamples, numClasses: first.numClasses };
}

/** Weight of the mean probabilities blended into the vote fractions: large enough to break ties in float32, far too small to outweigh one vote of up to 500 members. */
export const VOTE_TIE_BREAK = 1e-3;

/**
 * Majority vote: each member votes for its arg-max class. The output row is the vote fractions blended with
 * 1e-3 of the mean probabilities, (1 - 1e-3) * votes + 1e-3 * mean: it sums to 1, its arg-max is the class with
 * most votes, and a tie is won by the class with the higher mean probability.
 */
export function majorityVote(given: readonly Probabilities[]): ProbabilityMatrix {
  const { first, members } = checkEnsemble(given);
  const k = first.numClasses;
  const mean = meanProbabilities(members);
  const out = new Float32Array(first.data.length);
  const share = (1 - VOTE_TIE_BREAK) / members.length;
  for (let i = 0; i < first.numExamples; i++) {
    for (const m of members) out[i * k + argmaxRow(m, i)]! += share;
  }
  for (let j = 0; j < out.length; j++) out[j]! += VOTE_TIE_BREAK * mean.data[j]!;
  return { data: out, numExamples: first.numExamples, numClasses: k };
}

/**
 * The weighted mean of the members' softmax outputs, sum_i w_i p_i; the weights must be >= 0 and sum to 1
 * (fitMixtureWeights finds such weights on a validation split).
 */
export function weightedMeanProbabilities(given: readonly Probabilities[], weights: readonly number[]): ProbabilityMatrix {
  const { first, members } = checkEnsemble(given);
  if (weights.length !== members.length) throw new RangeError(`${weights.length} weights for ${members.length} members`);
  const total = weights.reduce((a, b) => a + b, 0);
  if (weights.some((w) => !(w >= 0)) || Math.abs(total - 1) > 1e-6) throw new RangeError(`weights must be >= 0 and sum to 1, got ${weights.join(', ')}`);
  const out = new Float32Array(first.data.length);
  members.forEach((m, i) => {
    const w = weights[i]!;
    for (let j = 0; j < out.length; j++) out[j]! += w * m.data[j]!;
  });
  return { data: out, numExamples: first.numExamples, numClasses: first.numClasses };
}

/**
 * Normalised geometric mean of the members' softmax outputs: p(k) proportional to prod_i p_i(k)^(1/m). Since
 * log p_i = z_i - logsumexp(z_i) for logits z_i, this is exactly softmax(1/m sum_i z_i), the mean of the logits.
 * Computed in log space; a class that some member gives probability 0 gets 0.
 */
export function geometricMeanProbabilities(given: readonly Probabilities[]): ProbabilityMatrix {
  const { first, members } = checkEnsemble(given);
  const k = first.numClasses;
  const out = new Float32Array(first.data.length);
  const logs = new Float64Array(k);
  for (let i = 0; i < first.numExamples; i++) {
    logs.fill(0);
    for (const m of members) for (let c = 0; c < k; c++) logs[c]! += Math.log(m.data[i * k + c]!) / members.length;
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, logs[c]!);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(logs[c]! - max);
    for (let c = 0; c < k; c++) out[i * k + c] = Math.exp(logs[c]! - max) / sum;
  }
  return { data: out, numExamples: first.numExamples, numClasses: k };
}

/** The members' probabilities combined by a rule: their mean, a majority vote, or their normalised geometric mean. */
export function combine(members: readonly Probabilities[], rule: CombineRule): ProbabilityMatrix {
  switch (rule) {
    case 'mean':
      return meanProbabilities(members);
    case 'vote':
      return majorityVote(members);
    case 'geometric':
      return geometricMeanProbabilities(members);
  }
}

/** The last m of the members, in order (the paper's "last m snapshots"). */
export function lastM<T>(members: readonly T[], m: number): T[] {
  if (!Number.isInteger(m) || m < 1 || m > members.length) {
    throw new RangeError(`m must be an integer in 1..${members.length}, got ${m}`);
  }
  return members.slice(members.length - m);
}
