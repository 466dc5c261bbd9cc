/*
 * The geometry of the paper's Figure 1 and of Garipov et al.'s (2018) mode-connectivity planes, on flat weight
 * vectors: the straight line between two snapshots and the plane through three. Pure: no tensors.
 */

/** The point (1 - alpha) a + alpha b of the segment from a (alpha = 0) to b (alpha = 1). */
export function interpolate(a: Float32Array, b: Float32Array, alpha: number): Float32Array {
  if (a.length !== b.length) throw new RangeError(`interpolate: vectors of ${a.length} and ${b.length} weights`);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + alpha * (b[i]! - a[i]!);
  return out;
}

/** alpha = 0, 1/(n-1), ..., 1: n evenly spaced points along a segment, both ends included. */
export function segmentAlphas(points: number): number[] {
  if (!Number.isInteger(points) || points < 2) throw new RangeError(`a segment needs at least 2 points, got ${points}`);
  return Array.from({ length: points }, (_, i) => i / (points - 1));
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * The plane through w1, w2, w3 in orthonormal coordinates (Garipov et al.'s plane.py): u = (w2 - w1) / |w2 - w1|,
 * v = the part of w3 - w1 orthogonal to u, normalised; a point (x, y) is w1 + x u + y v. The three weights sit at
 * (0, 0), (|w2 - w1|, 0) and ((w3 - w1) . u, |v|) before normalisation.
 */
export interface Plane {
  origin: Float32Array;
  u: Float32Array;
  v: Float32Array;
  /** Coordinates of w1, w2, w3. */
  anchors: [number, number][];
}

/** The plane through three weight vectors: the first as origin, and an orthonormal basis of the other two's offsets (Gram-Schmidt). */
export function planeThrough(w1: Float32Array, w2: Float32Array, w3: Float32Array): Plane {
  const u = w2.map((x, i) => x - w1[i]!);
  const dx = Math.sqrt(dot(u, u));
  if (dx === 0) throw new RangeError('the plane needs three distinct weight vectors: the first two are equal');
  u.forEach((x, i) => (u[i] = x / dx));
  const v = w3.map((x, i) => x - w1[i]!);
  const along = dot(v, u);
  v.forEach((x, i) => (v[i] = x - along * u[i]!));
  const dy = Math.sqrt(dot(v, v));
  if (dy <= 1e-6 * dx) throw new RangeError('the plane needs three weight vectors not on one line');
  v.forEach((x, i) => (v[i] = x / dy));
  return { origin: Float32Array.from(w1), u, v, anchors: [[0, 0], [dx, 0], [along, dy]] };
}

/** w1 + x u + y v. */
export function planePoint(plane: Plane, x: number, y: number): Float32Array {
  const { origin, u, v } = plane;
  const out = new Float32Array(origin.length);
  for (let i = 0; i < origin.length; i++) out[i] = origin[i]! + x * u[i]! + y * v[i]!;
  return out;
}

/**
 * A size x size grid over the anchors' bounding box widened by `margin` of its width and height on every side (the
 * authors draw theirs with 0.2), row by row from the lowest y.
 */
export function planeGrid(plane: Plane, size: number, margin = 0.2): { x: number; y: number }[] {
  if (!Number.isInteger(size) || size < 2) throw new RangeError(`the plane's grid needs at least 2 points a side, got ${size}`);
  const xs = plane.anchors.map((a) => a[0]);
  const ys = plane.anchors.map((a) => a[1]);
  const axis = (values: number[]) => {
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const pad = margin * (hi - lo);
    return Array.from({ length: size }, (_, i) => lo - pad + ((hi - lo + 2 * pad) * i) / (size - 1));
  };
  const gx = axis(xs);
  const gy = axis(ys);
  return gy.flatMap((y) => gx.map((x) => ({ x, y })));
}
