/**
 * The Pareto front of error against cost: a point is on it when no other point costs no more and errs less, or
 * costs less and errs no more.
 */
export function paretoFront(points: readonly { error: number; flopsPerImage: number }[]): boolean[] {
  return points.map((p) => !points.some((q) => (q.flopsPerImage <= p.flopsPerImage && q.error < p.error) || (q.flopsPerImage < p.flopsPerImage && q.error <= p.error)));
}
