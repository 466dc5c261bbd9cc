import { argmaxRow, type ProbabilityMatrix } from '../metrics/probabilities.js';

function checkMembers(members: readonly ProbabilityMatrix[]): void {
  const first = members[0];
  if (first === undefined) throw new RangeError('diversity needs at least one member');
  for (const m of members) {
    if (m.numExamples !== first.numExamples || m.numClasses !== first.numClasses) {
      throw new RangeError(`members disagree in shape: ${m.numExamples}x${m.numClasses} against ${first.numExamples}x${first.numClasses}`);
    }
  }
}

/** Pearson correlation of two equally long vectors; NaN when either is constant. */
export function pearsonCorrelation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`vectors of length ${a.length} and ${b.length}`);
  const n = a.length;
  let meanA = 0;
  let meanB = 0;
  for (let i = 0; i < n; i++) {
    meanA += a[i]!;
    meanB += b[i]!;
  }
  meanA /= n;
  meanB /= n;
  let cov = 0;
  let varA = 0;
  let varB = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - meanA;
    const db = b[i]! - meanB;
    cov += da * db;
    varA += da * da;
    varB += db * db;
  }
  return cov / Math.sqrt(varA * varB);
}

/**
 * Pairwise correlation of the members' softmax outputs (the heatmaps of the paper's diversity analysis): entry [i][j] is the Pearson
 * correlation r = cov(p_i, p_j) / (sd(p_i) sd(p_j)) of the N x K softmax outputs of members i and j, each
 * flattened to one vector. 1 on the diagonal; lower means more diverse members.
 */
export function pairwiseCorrelation(members: readonly ProbabilityMatrix[]): number[][] {
  checkMembers(members);
  const r = members.map(() => new Array<number>(members.length).fill(1));
  for (let i = 0; i < members.length; i++) {
    for (let j = i + 1; j < members.length; j++) {
      const c = pearsonCorrelation(members[i]!.data, members[j]!.data);
      r[i]![j] = c;
      r[j]![i] = c;
    }
  }
  return r;
}

/** Pairwise disagreement: entry [i][j] is the fraction of examples on which members i and j predict different classes (arg-max). */
export function pairwiseDisagreement(members: readonly ProbabilityMatrix[]): number[][] {
  checkMembers(members);
  const n = members[0]!.numExamples;
  const predictions = members.map((m) => Int32Array.from({ length: n }, (_, e) => argmaxRow(m, e)));
  const d = members.map(() => new Array<number>(members.length).fill(0));
  for (let i = 0; i < members.length; i++) {
    for (let j = i + 1; j < members.length; j++) {
      let differ = 0;
      for (let e = 0; e < n; e++) if (predictions[i]![e] !== predictions[j]![e]) differ++;
      d[i]![j] = differ / n;
      d[j]![i] = differ / n;
    }
  }
  return d;
}
