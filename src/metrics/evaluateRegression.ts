import { combineGaussians, regressionMetrics, type GaussianMember } from './regression.js';
import type { RegressionEvaluation } from '../schema/metrics.js';

/**
 * RMSE, MAE and Gaussian NLL of every member (N(mu_k, sigma_k^2)) and of the ensemble of the last m members for
 * m = 1..M (their moment-matched mixture: mean of the means, variance = mean sigma_k^2 + the members' spread^2).
 */
export function evaluateRegressionEnsemble(
  members: readonly GaussianMember[],
  targets: ArrayLike<number>,
  indices: readonly number[] = members.map((_, i) => i + 1),
): RegressionEvaluation {
  return {
    task: 'regression',
    members: members.map((k, i) => ({
      index: indices[i]!,
      noiseVariance: k.noiseVariance,
      ...regressionMetrics(k.mean, new Float64Array(targets.length).fill(k.noiseVariance), targets),
    })),
    ensembles: members.map((_, i) => {
      const c = combineGaussians(members.slice(members.length - (i + 1)));
      return { m: i + 1, ...regressionMetrics(c.mean, c.variance, targets), meanSpread: c.spread.reduce((s, v) => s + v, 0) / c.spread.length };
    }),
  };
}
