import { classificationMetrics } from './classification.js';
import type { ProbabilityMatrix } from './probabilities.js';
import { combine, lastM } from './combine.js';
import { diversity } from './diversity.js';
import type { CombineRule, EnsembleEvaluation } from '../schema/metrics.js';

/**
 * Metrics of every member and of the ensemble of the last m members for m = 1..M (the paper's Table 2 and
 * Figure 3 read off one set of predictions), and the members' diversity (Figure 5). `indices` are the members' snapshot numbers (default 1..M).
 */
export function evaluateEnsemble(
  members: readonly ProbabilityMatrix[],
  labels: ArrayLike<number>,
  rule: CombineRule = 'mean',
  indices: readonly number[] = members.map((_, i) => i + 1),
): EnsembleEvaluation {
  return {
    task: 'classification',
    combine: rule,
    members: members.map((p, i) => ({ index: indices[i]!, ...classificationMetrics(p, labels) })),
    ensembles: members.map((_, i) => ({ m: i + 1, ...classificationMetrics(combine(lastM(members, i + 1), rule), labels) })),
    diversity: diversity(members),
  };
}
