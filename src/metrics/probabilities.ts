/**
 * Class probabilities of N examples over K classes, stored row-major: probs[i * K + k].
 * The shared currency of metrics and combination rules, kept free of tensors.
 */
export interface ProbabilityMatrix {
  readonly data: Float32Array;
  readonly numExamples: number;
  readonly numClasses: number;
}

/**
 * Class probabilities as the metrics, combination rules and measures of diversity take them: a ProbabilityMatrix, or
 * one row of K probabilities per example (plain arrays or typed arrays), e.g. `[[0.1, 0.9], [0.8, 0.2]]`.
 */
export type Probabilities = ProbabilityMatrix | readonly ArrayLike<number>[];

/**
 * N x K probabilities from a flat row-major array of N * K values: a Float32Array is used as it is (not copied), any
 * other array (a plain one, or the Int32Array or Uint8Array that `tensor.dataSync()` may return) is copied into one.
 */
export function probabilityMatrix(data: ArrayLike<number>, numClasses: number): ProbabilityMatrix {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
  if (data.length % numClasses !== 0) {
    throw new RangeError(`probability array of length ${data.length} is not a multiple of ${numClasses} classes`);
  }
  return { data: data instanceof Float32Array ? data : Float32Array.from(data), numExamples: data.length / numClasses, numClasses };
}

/** The ProbabilityMatrix of probabilities given either way (a matrix is returned as it is; rows are copied). */
export function toProbabilityMatrix(p: Probabilities): ProbabilityMatrix {
  if (!Array.isArray(p)) return p as ProbabilityMatrix;
  const rows = p as readonly ArrayLike<number>[];
  const numClasses = rows[0]?.length;
  if (numClasses === undefined || numClasses < 1) throw new RangeError('probabilities need at least one row of at least one class');
  const data = new Float32Array(rows.length * numClasses);
  rows.forEach((row, i) => {
    if (row?.length !== numClasses) throw new RangeError(`row ${i} of the probabilities has ${row?.length ?? 0} classes but row 0 has ${numClasses}`);
    data.set(row, i * numClasses);
  });
  return { data, numExamples: rows.length, numClasses };
}

export function checkLabels(p: ProbabilityMatrix, labels: ArrayLike<number>): void {
  if (labels.length !== p.numExamples) {
    throw new RangeError(`${labels.length} labels for ${p.numExamples} rows of probabilities`);
  }
}

/** Index of the largest entry of row i (the first one on ties). */
export function argmaxRow(p: ProbabilityMatrix, i: number): number {
  const k = p.numClasses;
  let best = 0;
  let bestValue = -Infinity;
  for (let c = 0; c < k; c++) {
    const v = p.data[i * k + c]!;
    if (v > bestValue) {
      bestValue = v;
      best = c;
    }
  }
  return best;
}

/** The predicted class (the most probable) of every example. */
export function predictedClasses(p: ProbabilityMatrix): Int32Array {
  const out = new Int32Array(p.numExamples);
  for (let i = 0; i < p.numExamples; i++) out[i] = argmaxRow(p, i);
  return out;
}

/** Checks that members' outputs have one shape (examples x classes); returns the first, or undefined for none. */
export function checkSameShape(members: readonly ProbabilityMatrix[]): ProbabilityMatrix | undefined {
  const first = members[0];
  for (const m of members) {
    if (m.numExamples !== first!.numExamples || m.numClasses !== first!.numClasses) {
      throw new RangeError(`members disagree in shape: ${m.numExamples}x${m.numClasses} against ${first!.numExamples}x${first!.numClasses}`);
    }
  }
  return first;
}
