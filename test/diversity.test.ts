import { describe, expect, it } from 'vitest';
import { combine, geometricMeanProbabilities, weightedMeanProbabilities } from '../src/metrics/combine.js';
import { diversity, meanOffDiagonal, pairwiseCorrelation, pairwiseDisagreement } from '../src/metrics/diversity.js';
import { fitMixtureWeights, selectBestK } from '../src/metrics/selection.js';
import { negativeLogLikelihood } from '../src/metrics/classification.js';
import { probabilityMatrix, type ProbabilityMatrix } from '../src/metrics/probabilities.js';
import { Rng } from '../src/util/rng.js';

const P = (rows: number[][]): ProbabilityMatrix => probabilityMatrix(Float32Array.from(rows.flat()), rows[0]!.length);

function softmaxRows(logits: number[][]): number[][] {
  return logits.map((z) => {
    const max = Math.max(...z);
    const e = z.map((v) => Math.exp(v - max));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  });
}

describe('diversity of ensemble members', () => {
  const A = P([[1, 0], [0, 1]]);
  const C = P([[0.75, 0.25], [0.25, 0.75]]);
  const D = P([[0, 1], [1, 0]]);
  const E = P([[0.9, 0.1], [0.6, 0.4]]);
  const U = P([[0.5, 0.5], [0.5, 0.5]]);

  it('correlation is Pearson\'s r of the flattened N x K softmax arrays', () => {
    const r = pairwiseCorrelation([A, C, D, E]);
    // C is an affine image of A, D its mirror
    expect(r[0]![1]).toBeCloseTo(1, 6);
    expect(r[0]![2]).toBeCloseTo(-1, 6);
    // by hand: A - 1/2 = (.5, -.5, -.5, .5), E - 1/2 = (.4, -.4, .1, -.1): r = 0.3 / (1 * sqrt(0.34))
    expect(r[0]![3]).toBeCloseTo(0.3 / Math.sqrt(0.34), 6);
    for (let i = 0; i < 4; i++) {
      expect(r[i]![i]).toBe(1);
      for (let j = 0; j < 4; j++) expect(r[i]![j]).toBe(r[j]![i]);
    }
    // a member with constant outputs has no correlation
    expect(pairwiseCorrelation([A, U])[0]![1]).toBeNaN();
  });

  it('disagreement is the fraction of examples on which two members predict different classes', () => {
    const d = pairwiseDisagreement([A, D, E]);
    expect(d).toEqual([
      [0, 1, 0.5],
      [1, 0, 0.5],
      [0.5, 0.5, 0],
    ]);
    expect(meanOffDiagonal(d)).toBeCloseTo(2 / 3, 12);
    const all = diversity([A, D, E]);
    expect(all.meanDisagreement).toBeCloseTo(2 / 3, 12);
    expect(all.correlation[0]![1]).toBeCloseTo(-1, 6);
  });
});

describe('combinations beyond the paper', () => {
  it('the geometric mean of softmax outputs is the softmax of the mean logits', () => {
    const rng = new Rng(3);
    const logits = Array.from({ length: 3 }, () => Array.from({ length: 20 }, () => Array.from({ length: 5 }, () => 6 * rng.next() - 3)));
    const members = logits.map((z) => P(softmaxRows(z)));
    const meanLogits = logits[0]!.map((row, i) => row.map((_, k) => (logits[0]![i]![k]! + logits[1]![i]![k]! + logits[2]![i]![k]!) / 3));
    const expected = softmaxRows(meanLogits).flat();
    const geometric = geometricMeanProbabilities(members);
    geometric.data.forEach((v, j) => expect(v).toBeCloseTo(expected[j]!, 6));
    expect(Array.from(combine(members, 'geometric').data)).toEqual(Array.from(geometric.data));
  });

  it('weighted mean: weights on the simplex, one-hot weights pick a member', () => {
    const a = P([[0.2, 0.8]]);
    const b = P([[0.6, 0.4]]);
    expect(Array.from(weightedMeanProbabilities([a, b], [1, 0]).data)).toEqual(Array.from(a.data));
    const mixed = weightedMeanProbabilities([a, b], [0.25, 0.75]).data;
    expect(mixed[0]).toBeCloseTo(0.5, 6);
    expect(() => weightedMeanProbabilities([a, b], [0.5, 0.6])).toThrow(/sum to 1/);
  });

  it('best-k ranks members by validation NLL and keeps the k whose mean has the lowest validation NLL', () => {
    // probability of the true class (0): A (.9, .5), B (.5, .9), C (.1, .1)
    const member = (p: [number, number]) => P([[p[0], 1 - p[0]], [p[1], 1 - p[1]]]);
    const labels = [0, 0];
    const selection = selectBestK([member([0.1, 0.1]), member([0.9, 0.5]), member([0.5, 0.9])], labels);
    // k = 1: -(ln .9 + ln .5)/2 = 0.3993; k = 2: mean (.7, .7), -ln .7 = 0.3567; k = 3: mean (.5, .5), ln 2
    expect(selection.members).toEqual([1, 2]);
    expect(selection.validationNll).toBeCloseTo(-Math.log(0.7), 6);
  });

  it('fitted weights minimise the validation NLL of the mixture (checked against a grid search)', () => {
    const rng = new Rng(11);
    const n = 200;
    const labels = Array.from({ length: n }, () => rng.int(3));
    const noisy = (sharp: number) =>
      P(labels.map((y) => softmaxRows([[0, 1, 2].map((k) => (k === y ? sharp : 0) + 2 * rng.next())]).flat()));
    const members = [noisy(2.5), noisy(1)];
    const fitted = fitMixtureWeights(members, labels);
    expect(fitted.weights.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    let best = { w: 0, nll: Infinity };
    for (let i = 0; i <= 10000; i++) {
      const w = i / 10000;
      const nll = negativeLogLikelihood(weightedMeanProbabilities(members, [w, 1 - w]), labels);
      if (nll < best.nll) best = { w, nll };
    }
    expect(fitted.weights[0]).toBeCloseTo(best.w, 3);
    expect(fitted.validationNll).toBeLessThanOrEqual(best.nll + 1e-6);
    // a useless member gets (almost) no weight
    const useless = P(labels.map(() => [1 / 3, 1 / 3, 1 / 3]));
    const sure = P(labels.map((y) => [0, 1, 2].map((k) => (k === y ? 0.98 : 0.01))));
    expect(fitMixtureWeights([useless, sure], labels).weights[1]).toBeGreaterThan(0.999);
  });
});

// Golden values from issue 5's report work (numpy.corrcoef), kept alongside ours after the merge.
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
