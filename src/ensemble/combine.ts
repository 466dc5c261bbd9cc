import { argmaxRow, type ProbabilityMatrix } from '../metrics/probabilities.js';

export type CombineRule = 'mean' | 'vote';
export const COMBINE_RULES: readonly CombineRule[] = ['mean', 'vote'];

function checkSameShape(members: readonly ProbabilityMatrix[]): ProbabilityMatrix {
  const first = members[0];
  if (first === undefined) throw new RangeError('an ensemble needs at least one member');
  for (const m of members) {
    if (m.numExamples !== first.numExamples || m.numClasses !== first.numClasses) {
      throw new RangeError(
        `ensemble members disagree in shape: ${m.numExamples}x${m.numClasses} against ${first.numExamples}x${first.numClasses}`,
      );
    }
  }
  return first;
}

/** The paper's rule: the mean of the members' softmax outputs, h_Ensemble = 1/m sum_{i=0}^{m-1} h_{M-i}(x). */
export function meanProbabilities(members: readonly ProbabilityMatrix[]): ProbabilityMatrix {
  const first = checkSameShape(members);
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
export function majorityVote(members: readonly ProbabilityMatrix[]): ProbabilityMatrix {
  const first = checkSameShape(members);
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

export function combine(members: readonly ProbabilityMatrix[], rule: CombineRule): ProbabilityMatrix {
  return rule === 'mean' ? meanProbabilities(members) : majorityVote(members);
}

/** The last m of the members, in order (the paper's "last m snapshots"). */
export function lastM<T>(members: readonly T[], m: number): T[] {
  if (!Number.isInteger(m) || m < 1 || m > members.length) {
    throw new RangeError(`m must be an integer in 1..${members.length}, got ${m}`);
  }
  return members.slice(members.length - m);
}
