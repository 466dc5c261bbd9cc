import { describe, expect, it } from 'vitest';
import { majorityVote, meanProbabilities, lastM, VOTE_TIE_BREAK } from '../src/metrics/combine.js';
import { pairwiseCorrelation, pairwiseDisagreement } from '../src/metrics/diversity.js';
import { evaluateEnsemble } from '../src/metrics/evaluate.js';
import {
  brierScore,
  errorRate,
  expectedCalibrationError,
  negativeLogLikelihood,
  probabilityMatrix,
  reliabilityBins,
} from '../src/index.js';

const p = (rows: number[][]) => probabilityMatrix(Float32Array.from(rows.flat()), rows[0]!.length);

describe('metrics', () => {
  // Three examples over three classes; labels 0, 1, 2; the third is misclassified.
  const probs = p([
    [0.7, 0.2, 0.1],
    [0.15, 0.75, 0.1],
    [0.5, 0.4, 0.1],
  ]);
  const labels = [0, 1, 2];

  it('error rate counts arg-max mistakes', () => {
    expect(errorRate(probs, labels)).toBeCloseTo(1 / 3, 12);
  });

  it('NLL is the mean of -log p[label]', () => {
    expect(negativeLogLikelihood(probs, labels)).toBeCloseTo(-(Math.log(0.7) + Math.log(0.75) + Math.log(0.1)) / 3, 6);
  });

  it('Brier score sums squared errors over classes', () => {
    const b = ((0.3 ** 2 + 0.2 ** 2 + 0.1 ** 2) + (0.15 ** 2 + 0.25 ** 2 + 0.1 ** 2) + (0.5 ** 2 + 0.4 ** 2 + 0.9 ** 2)) / 3;
    expect(brierScore(probs, labels)).toBeCloseTo(b, 6);
  });

  it('ECE with 15 bins: |acc - conf| weighted by bin size', () => {
    // confidences 0.7 (bin 10: (0.667, 0.733]), 0.75 (bin 11: (0.733, 0.8]), 0.5 (bin 7: (0.467, 0.533])
    const bins = reliabilityBins(probs, labels);
    expect(bins).toHaveLength(15);
    expect(bins[10]!.count).toBe(1);
    expect(bins[11]!.count).toBe(1);
    expect(bins[7]!.count).toBe(1);
    expect(bins[7]!.accuracy).toBe(0);
    const ece = (Math.abs(1 - 0.7) + Math.abs(1 - 0.75) + Math.abs(0 - 0.5)) / 3;
    expect(expectedCalibrationError(probs, labels)).toBeCloseTo(ece, 6);
  });

  it('a perfectly confident correct model has zero error, NLL, Brier and ECE', () => {
    const perfect = p([
      [1, 0],
      [0, 1],
    ]);
    expect(errorRate(perfect, [0, 1])).toBe(0);
    expect(negativeLogLikelihood(perfect, [0, 1])).toBeCloseTo(0, 12);
    expect(brierScore(perfect, [0, 1])).toBe(0);
    expect(expectedCalibrationError(perfect, [0, 1])).toBe(0);
  });

  it('rejects labels that do not match the rows', () => {
    expect(() => errorRate(probs, [0, 1])).toThrow(/labels/);
  });
});

describe('combination rules', () => {
  const a = p([
    [0.6, 0.4],
    [0.2, 0.8],
  ]);
  const b = p([
    [0.3, 0.7],
    [0.4, 0.6],
  ]);
  const c = p([
    [0.9, 0.1],
    [0.45, 0.55],
  ]);

  it('mean of softmax outputs', () => {
    expect(Array.from(meanProbabilities([a, b]).data)).toEqual(
      [0.45, 0.55, 0.3, 0.7].map((v) => expect.closeTo(v, 6)),
    );
  });

  it('majority vote: vote fractions, ties broken by the mean probability', () => {
    const v = majorityVote([a, b, c]);
    const w = 1 - VOTE_TIE_BREAK;
    // row 0: votes class 0, 1, 0 -> 2/3, 1/3
    expect(v.data[0]).toBeCloseTo((w * 2) / 3 + VOTE_TIE_BREAK * 0.6, 5);
    expect(v.data[1]).toBeCloseTo(w / 3 + VOTE_TIE_BREAK * 0.4, 5);
    // row 1: all vote class 1
    expect(v.data[3]).toBeCloseTo(w + (VOTE_TIE_BREAK * 1.95) / 3, 5);
    // a tie (one vote each) goes to the class with the larger mean: row 0 of [a, b] -> mean 0.45 / 0.55 -> class 1
    const tie = majorityVote([a, b]);
    expect(tie.data[1]!).toBeGreaterThan(tie.data[0]!);
    expect(tie.data[0]! + tie.data[1]!).toBeCloseTo(1, 6);
  });

  it('lastM takes the newest members and checks m', () => {
    expect(lastM([1, 2, 3, 4], 2)).toEqual([3, 4]);
    expect(() => lastM([1, 2], 3)).toThrow(/1\.\.2/);
  });

  it('evaluateEnsemble reports every member and every last-m ensemble', () => {
    const e = evaluateEnsemble([a, b, c], [0, 1]);
    expect(e.members.map((m) => m.index)).toEqual([1, 2, 3]);
    expect(e.ensembles.map((m) => m.m)).toEqual([1, 2, 3]);
    // the last-1 ensemble is the last member
    expect(e.ensembles[0]!.nll).toBeCloseTo(e.members[2]!.nll, 12);
    // last 2 = mean(b, c): row 0 [0.6, 0.4] correct, row 1 [0.425, 0.575] correct
    expect(e.ensembles[1]!.error).toBe(0);
    expect(e.ensembles[1]!.nll).toBeCloseTo(-(Math.log(0.6) + Math.log(0.575)) / 2, 6);
  });
});

describe('plain arrays and typed matrices alike', () => {
  it('takes nested arrays of rows wherever it takes a ProbabilityMatrix', () => {
    expect(errorRate([[0.1, 0.9], [0.8, 0.2]], [1, 1])).toBe(0.5);
    const rows = [
      [0.7, 0.2, 0.1],
      [0.15, 0.75, 0.1],
    ];
    expect(negativeLogLikelihood(rows, [0, 1])).toBeCloseTo(-(Math.log(0.7) + Math.log(0.75)) / 2, 6);
    expect(brierScore(rows, [0, 1])).toBeCloseTo((0.09 + 0.04 + 0.01 + 0.0225 + 0.0625 + 0.01) / 2, 6);
    expect(expectedCalibrationError(rows, [0, 1])).toBeCloseTo(((1 - 0.7) + (1 - 0.75)) / 2, 6);
    // rows may be typed arrays too, and members of an ensemble may mix both forms
    const mean = meanProbabilities([rows, [Float32Array.of(0.3, 0.6, 0.1), Float32Array.of(0.05, 0.25, 0.7)]]);
    expect(Array.from(mean.data)).toEqual([0.5, 0.4, 0.1, 0.1, 0.5, 0.4].map((v) => expect.closeTo(v, 6)));
    expect(Array.from(majorityVote([rows, rows, [[0, 1, 0], [0, 0, 1]]]).data.filter((_, j) => j % 3 === 0))).toEqual([expect.closeTo(2 / 3, 2), expect.closeTo(0, 2)]);
    expect(pairwiseDisagreement([rows, [[0, 1, 0], [0, 1, 0]]])[0]![1]).toBe(0.5);
    expect(pairwiseCorrelation([rows, rows])[0]![1]).toBeCloseTo(1, 6);
  });

  it('names a ragged or empty set of rows', () => {
    expect(() => errorRate([[0.5, 0.5], [1]], [0, 0])).toThrow('row 1 of the probabilities has 1 classes but row 0 has 2');
    expect(() => errorRate([], [])).toThrow('at least one row');
  });

  it('makes a matrix of any numeric array a tensor reads back as, without a cast', () => {
    const fromInts = probabilityMatrix(Int32Array.of(0, 1, 1, 0), 2);
    expect(fromInts.data).toBeInstanceOf(Float32Array);
    expect(errorRate(fromInts, [1, 1])).toBe(0.5);
    expect(Array.from(probabilityMatrix([0.25, 0.75], 2).data)).toEqual([0.25, 0.75]);
    const floats = Float32Array.of(0.1, 0.9);
    expect(probabilityMatrix(floats, 2).data).toBe(floats);
  });
});
