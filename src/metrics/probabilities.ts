/**
 * Class probabilities of N examples over K classes, stored row-major: probs[i * K + k].
 * The shared currency of metrics and combination rules, kept free of tensors.
 */
export interface ProbabilityMatrix {
  readonly data: Float32Array;
  readonly numExamples: number;
  readonly numClasses: number;
}

export function probabilityMatrix(data: Float32Array, numClasses: number): ProbabilityMatrix {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new RangeError(`numClasses must be a positive integer, got ${numClasses}`);
  if (data.length % numClasses !== 0) {
    throw new RangeError(`probability array of length ${data.length} is not a multiple of ${numClasses} classes`);
  }
  return { data, numExamples: data.length / numClasses, numClasses };
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
