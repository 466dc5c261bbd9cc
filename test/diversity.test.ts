import { describe, expect, it } from 'vitest';
import { pairwiseCorrelation, pairwiseDisagreement } from '../src/ensemble/diversity.js';
import { probabilityMatrix } from '../src/metrics/probabilities.js';

const p = (rows: number[][]) => probabilityMatrix(Float32Array.from(rows.flat()), rows[0]!.length);

describe('diversity of members', () => {
  // Three members, two examples, three classes.
  const a = p([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]]);
  const b = p([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]]);
  const c = p([[0.1, 0.1, 0.8], [0.3, 0.4, 0.3]]);

  it('pairwise correlation is the Pearson correlation of the flattened softmax outputs (golden values from numpy.corrcoef)', () => {
    const r = pairwiseCorrelation([a, b, c]);
    const golden = [
      [1, 0.17953311, -0.2766993],
      [0.17953311, 1, -0.63347116],
      [-0.2766993, -0.63347116, 1],
    ];
    r.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(golden[i]![j]!, 6)));
  });

  it('by hand: cov / (sd sd) on a two-member example', () => {
    // deviations from the mean 1/3: a = [.3667 -.1333 -.2333 -.2333 .4667 -.2333], b = [.2667 -.0333 -.2333 -.1333 -.1333 .2667]
    const cov = (11 / 30) * (4 / 15) + (2 / 15) * (1 / 30) + (7 / 30) * (7 / 30) + (7 / 30) * (2 / 15) - (7 / 15) * (2 / 15) - (7 / 30) * (4 / 15);
    const varA = (11 / 30) ** 2 + (2 / 15) ** 2 + 3 * (7 / 30) ** 2 + (7 / 15) ** 2;
    const varB = 2 * (4 / 15) ** 2 + (1 / 30) ** 2 + (7 / 30) ** 2 + 2 * (2 / 15) ** 2;
    expect(pairwiseCorrelation([a, b])[0]![1]).toBeCloseTo(cov / Math.sqrt(varA * varB), 6);
  });

  it('a member is perfectly correlated with any affine copy of its outputs, anti-correlated with a reflected one', () => {
    const x = p([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]);
    const affine = probabilityMatrix(x.data.map((v) => v / 2 + 1 / 6), 3); // rows still sum to 1
    const reflected = probabilityMatrix(x.data.map((v) => 2 / 3 - v), 3);
    expect(pairwiseCorrelation([x, affine])[0]![1]).toBeCloseTo(1, 6);
    expect(pairwiseCorrelation([x, reflected])[0]![1]).toBeCloseTo(-1, 6);
  });

  it('pairwise disagreement is the fraction of examples with different arg-max classes', () => {
    // predictions: a = [0, 1], b = [0, 2], c = [2, 1]
    expect(pairwiseDisagreement([a, b, c])).toEqual([
      [0, 0.5, 0.5],
      [0.5, 0, 1],
      [0.5, 1, 0],
    ]);
  });

  it('refuses members of different shapes', () => {
    expect(() => pairwiseCorrelation([a, p([[0.5, 0.5]])])).toThrow(/disagree in shape/);
  });
});
