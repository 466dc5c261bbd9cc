/** A value recorded at a 1-based training iteration. */
export interface TracePoint {
  iteration: number;
  value: number;
}

/**
 * A per-iteration series (value of iteration t at index t - 1) sampled at no more than about `maxPoints`
 * iterations, always keeping the first and last iteration and the iterations in `keep` (snapshot points and the
 * restarts right after them, so a saw-tooth keeps its teeth).
 */
export function sampleTrace(values: readonly number[], maxPoints: number, keep: readonly number[] = []): TracePoint[] {
  const total = values.length;
  if (total === 0) return [];
  const stride = Math.max(1, Math.ceil(total / Math.max(1, maxPoints)));
  const iterations = new Set<number>([1, total]);
  for (let t = stride; t <= total; t += stride) iterations.add(t);
  for (const t of keep) if (Number.isInteger(t) && t >= 1 && t <= total) iterations.add(t);
  return [...iterations].sort((a, b) => a - b).map((t) => ({ iteration: t, value: values[t - 1]! }));
}

/**
 * A noisy per-iteration series averaged over consecutive windows of `window` iterations: one point per window,
 * placed at the window's last iteration, holding the mean of the window (a shorter last window keeps its own mean).
 */
export function windowMeans(values: readonly number[], window: number): TracePoint[] {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`window must be a positive integer, got ${window}`);
  const points: TracePoint[] = [];
  for (let start = 0; start < values.length; start += window) {
    const end = Math.min(start + window, values.length);
    let sum = 0;
    for (let i = start; i < end; i++) sum += values[i]!;
    points.push({ iteration: end, value: sum / (end - start) });
  }
  return points;
}

/** The window that leaves about `maxPoints` windows in a series of `total` iterations. */
export function windowFor(total: number, maxPoints: number): number {
  return Math.max(1, Math.ceil(total / Math.max(1, maxPoints)));
}
