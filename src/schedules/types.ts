/** A learning-rate schedule: a pure function of the 1-based training iteration t. */
export type Schedule = (t: number) => number;

export function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
}

export function assertFiniteNonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
  }
}

export function assertIteration(t: number): void {
  if (!Number.isInteger(t) || t < 1) {
    throw new RangeError(`iteration t is 1-based and must be a positive integer, got ${t}`);
  }
}
