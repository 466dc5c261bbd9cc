import type { RegressionMetrics } from '../schema/metrics.js';

/** sqrt(mean_i (y_i - mu_i)^2) */
export function rootMeanSquaredError(mean: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (y[i]! - mean[i]!) ** 2;
  return Math.sqrt(s / y.length);
}

/** mean_i |y_i - mu_i| */
export function meanAbsoluteError(mean: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += Math.abs(y[i]! - mean[i]!);
  return s / y.length;
}

/** Gaussian NLL: mean_i [ log(2 pi sigma_i^2) / 2 + (y_i - mu_i)^2 / (2 sigma_i^2) ]. */
export function gaussianNll(mean: ArrayLike<number>, variance: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const v = variance[i]!;
    s += 0.5 * Math.log(2 * Math.PI * v) + (y[i]! - mean[i]!) ** 2 / (2 * v);
  }
  return s / y.length;
}

/** RMSE, MAE and the Gaussian NLL of predictions N(mean, variance) against targets. */
export function regressionMetrics(mean: ArrayLike<number>, variance: ArrayLike<number>, y: ArrayLike<number>): RegressionMetrics {
  return { rmse: rootMeanSquaredError(mean, y), mae: meanAbsoluteError(mean, y), nll: gaussianNll(mean, variance, y) };
}

/** One member of a regression ensemble: its predicted means and its noise variance sigma_k^2 (one for all examples). */
export interface GaussianMember {
  mean: ArrayLike<number>;
  noiseVariance: number;
}

/**
 * The ensemble's Gaussian, moment-matched to the equal mixture of its members' N(mu_k, sigma_k^2) (the law of total
 * variance): mu = mean_k mu_k, variance = mean_k sigma_k^2 + mean_k (mu_k - mu)^2. `spread` is the members'
 * standard deviation sqrt(mean_k (mu_k - mu)^2), the part of the uncertainty the ensemble adds.
 */
export function combineGaussians(members: readonly GaussianMember[]): { mean: Float64Array; variance: Float64Array; spread: Float64Array } {
  if (members.length === 0) throw new RangeError('no members');
  const n = members[0]!.mean.length;
  const m = members.length;
  const mean = new Float64Array(n);
  const variance = new Float64Array(n);
  const spread = new Float64Array(n);
  const noise = members.reduce((s, k) => s + k.noiseVariance, 0) / m;
  for (let i = 0; i < n; i++) {
    let mu = 0;
    for (const k of members) mu += k.mean[i]!;
    mu /= m;
    let v = 0;
    for (const k of members) v += (k.mean[i]! - mu) ** 2;
    v /= m;
    mean[i] = mu;
    variance[i] = noise + v;
    spread[i] = Math.sqrt(v);
  }
  return { mean, variance, spread };
}

/** The standard normal CDF, Phi(x) = (1 + erf(x / sqrt 2)) / 2, with erf from Abramowitz and Stegun 7.1.26 (|error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** A point of a regression calibration plot: the predicted quantile level and the fraction of targets below it. */
export interface QuantilePoint {
  expected: number;
  observed: number;
}

/**
 * Calibration of Gaussian predictions (Kuleshov et al. 2018): for each level p, the fraction of targets with
 * Phi((y_i - mu_i) / sigma_i) <= p, which equals p for calibrated predictions. Levels 0.05, 0.10, ..., 0.95 by default.
 */
export function quantileCalibration(
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  y: ArrayLike<number>,
  levels: readonly number[] = Array.from({ length: 19 }, (_, i) => (i + 1) / 20),
): QuantilePoint[] {
  const cdf = Array.from({ length: y.length }, (_, i) => normalCdf((y[i]! - mean[i]!) / Math.sqrt(variance[i]!)));
  return levels.map((p) => ({ expected: p, observed: cdf.filter((c) => c <= p).length / y.length }));
}
