import { checkSameShape, predictedClasses, toProbabilityMatrix, type Probabilities } from './probabilities.js';
import type { Diversity } from '../schema/metrics.js';

/**
 * Pairwise correlation of the members' softmax outputs (the paper's Figure 5): entry [i][j] is the Pearson
 * correlation coefficient of the flattened N x K probability arrays of members i and j,
 *   r_ij = sum_n (p_i[n] - mean_i)(p_j[n] - mean_j) / sqrt(sum_n (p_i[n] - mean_i)^2 * sum_n (p_j[n] - mean_j)^2),
 * the sums running over all N * K entries. The matrix is symmetric with ones on the diagonal; an entry is NaN
 * (null in JSON) when a member's outputs are constant.
 */
export function pairwiseCorrelation(given: readonly Probabilities[]): number[][] {
  const members = given.map(toProbabilityMatrix);
  checkSameShape(members);
  const centred = members.map((m) => {
    let sum = 0;
    for (let j = 0; j < m.data.length; j++) sum += m.data[j]!;
    const mean = sum / m.data.length;
    const c = new Float64Array(m.data.length);
    let squares = 0;
    for (let j = 0; j < c.length; j++) {
      c[j] = m.data[j]! - mean;
      squares += c[j]! * c[j]!;
    }
    return { c, norm: Math.sqrt(squares) };
  });
  const r = members.map(() => new Array<number>(members.length).fill(0));
  for (let a = 0; a < members.length; a++) {
    for (let b = a; b < members.length; b++) {
      const x = centred[a]!;
      const y = centred[b]!;
      let dot = 0;
      for (let j = 0; j < x.c.length; j++) dot += x.c[j]! * y.c[j]!;
      const value = x.norm === 0 || y.norm === 0 ? NaN : a === b ? 1 : Math.max(-1, Math.min(1, dot / (x.norm * y.norm)));
      r[a]![b] = value;
      r[b]![a] = value;
    }
  }
  return r;
}

/** Pairwise disagreement: entry [i][j] is the fraction of examples on which members i and j predict different classes. */
export function pairwiseDisagreement(given: readonly Probabilities[]): number[][] {
  const members = given.map(toProbabilityMatrix);
  checkSameShape(members);
  const predictions = members.map(predictedClasses);
  const n = members[0]?.numExamples ?? 0;
  return predictions.map((p) =>
    predictions.map((q) => {
      if (n === 0) return 0;
      let differ = 0;
      for (let i = 0; i < n; i++) if (p[i] !== q[i]) differ++;
      return differ / n;
    }),
  );
}

/** Mean of the entries above the diagonal (the average over distinct pairs); NaN for fewer than two members. */
export function meanOffDiagonal(matrix: readonly (readonly number[])[]): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < matrix.length; i++) {
    for (let j = i + 1; j < matrix.length; j++) {
      sum += matrix[i]![j]!;
      count++;
    }
  }
  return count === 0 ? NaN : sum / count;
}

/** The members' pairwise correlation and disagreement, and their means over pairs. */
export function diversity(given: readonly Probabilities[]): Diversity {
  const members = given.map(toProbabilityMatrix);
  const correlation = pairwiseCorrelation(members);
  const disagreement = pairwiseDisagreement(members);
  return { correlation, disagreement, meanCorrelation: meanOffDiagonal(correlation), meanDisagreement: meanOffDiagonal(disagreement) };
}

