import { geometricMeanProbabilities, meanProbabilities, weightedMeanProbabilities } from '../metrics/combine.js';
import { evaluateEnsemble } from '../metrics/evaluate.js';
import { fitMixtureWeights, selectBestK } from '../metrics/selection.js';
import { classificationMetrics } from '../metrics/classification.js';
import type { ExecutedRun, RunMember } from './executeRun.js';
import { evaluateRegressionEnsemble } from '../metrics/evaluateRegression.js';
import type { ProbabilityMatrix } from '../metrics/probabilities.js';
import { isProbabilities, outputMetrics } from '../run/memberOutputs.js';
import type { RowPlan } from './plan.js';
import type { BeyondPaper, RowResult, RowSeedResult, RowSummary, Spread } from '../schema/compare.js';
import type { Metrics, RegressionMetrics } from '../schema/metrics.js';

export interface Labels {
  test: ArrayLike<number>;
  validation: ArrayLike<number> | null;
}

/** Mean and sample standard deviation (n - 1 in the denominator; null for one value). */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError('spread of no values');
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length < 2) return { mean, std: null };
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, std: Math.sqrt(variance) };
}

function beyondPaper(members: readonly ProbabilityMatrix[], validation: readonly (ProbabilityMatrix | null)[], labels: Labels): BeyondPaper | null {
  if (members.length < 2) return null;
  const test = members;
  const result: BeyondPaper = { geometric: classificationMetrics(geometricMeanProbabilities(test), labels.test), bestK: null, weighted: null };
  if (labels.validation !== null && validation.every((v) => v !== null)) {
    const val = validation as ProbabilityMatrix[];
    const best = selectBestK(val, labels.validation);
    result.bestK = {
      members: best.members.map((i) => i + 1),
      validationNll: best.validationNll,
      test: classificationMetrics(meanProbabilities(best.members.map((i) => test[i]!)), labels.test),
    };
    const fitted = fitMixtureWeights(val, labels.validation);
    result.weighted = {
      weights: fitted.weights,
      validationNll: fitted.validationNll,
      test: classificationMetrics(weightedMeanProbabilities(test, fitted.weights), labels.test),
    };
  }
  return result;
}

/** A row's members' outputs as class probabilities, or null when they are a regression's predictions. */
function probabilitiesOf(members: readonly RunMember[]): { test: ProbabilityMatrix[]; validation: (ProbabilityMatrix | null)[] } | null {
  if (!members.every((m) => isProbabilities(m.test))) return null;
  return { test: members.map((m) => m.test as ProbabilityMatrix), validation: members.map((m) => m.validation as ProbabilityMatrix | null) };
}

/** The part of a row's seed result that its task decides: each member's metrics, the last-m curve, the diversity. */
function evaluateRowMembers(members: readonly RunMember[], labels: Labels): Pick<RowSeedResult, 'ensembles' | 'final' | 'diversity' | 'beyondPaper'> & { test: RowSeedResult['members'][number]['test'][]; validation: (RowSeedResult['members'][number]['validation'])[] } {
  const probabilities = probabilitiesOf(members);
  if (probabilities !== null) {
    const evaluation = evaluateEnsemble(probabilities.test, labels.test, 'mean');
    return {
      test: evaluation.members.map(metricsOnly),
      validation: probabilities.validation.map((v) => (v === null || labels.validation === null ? null : classificationMetrics(v, labels.validation))),
      ensembles: evaluation.ensembles,
      final: metricsOnly(evaluation.ensembles.at(-1)!),
      diversity: members.length > 1 ? evaluation.diversity : null,
      beyondPaper: beyondPaper(probabilities.test, probabilities.validation, labels),
    };
  }
  // regression: each member the Gaussian N(mu_k, sigma_k^2), the ensemble the mixture of the last m
  const gaussians = members.map((m) => ({ mean: m.test as Float32Array, noiseVariance: m.noiseVariance! }));
  const evaluation = evaluateRegressionEnsemble(gaussians, labels.test);
  const regressionOnly = ({ rmse, mae, nll }: RegressionMetrics): RegressionMetrics => ({ rmse, mae, nll });
  return {
    test: evaluation.members.map(regressionOnly),
    validation: members.map((m) => (m.validation === null || labels.validation === null ? null : outputMetrics(m.validation, labels.validation, m.noiseVariance))),
    ensembles: evaluation.ensembles,
    final: regressionOnly(evaluation.ensembles.at(-1)!),
    diversity: null,
    beyondPaper: null,
  };
}

/** One row's result for one seed, from the runs it used. */
export function summarizeRowSeed(plan: RowPlan, runs: ReadonlyMap<string, ExecutedRun>, labels: Labels, budgetIterations: number): RowSeedResult {
  const members = plan.members.map((ref) => {
    const run = runs.get(ref.run);
    const member = ref.sample === undefined ? run?.members.get(ref.iteration) : run?.samples[ref.sample - 1];
    if (member === undefined) throw new Error(`compare: run ${ref.run} has no member at iteration ${ref.iteration}${ref.sample === undefined ? '' : ` sample ${ref.sample}`}`);
    return member;
  });
  const used = plan.runs.map((id) => runs.get(id)!.info);
  const { test, validation, ...evaluated } = evaluateRowMembers(members, labels);
  return {
    seed: plan.seed,
    cost: used.reduce((s, r) => s + r.iterations, 0) / budgetIterations,
    seconds: used.reduce((s, r) => s + r.seconds, 0),
    runs: plan.runs,
    members: members.map((m, i) => ({
      index: i + 1,
      run: plan.members[i]!.run,
      iteration: m.iteration,
      epoch: m.epoch,
      learningRate: m.learningRate,
      test: test[i]!,
      validation: validation[i]!,
      ...(m.noiseVariance === undefined ? {} : { noiseVariance: m.noiseVariance }),
    })),
    ...evaluated,
  };
}

function metricsOnly({ error, nll, ece, brier }: Metrics): Metrics {
  return { error, nll, ece, brier };
}

/** Mean and spread over a row's seeds of its final metrics and mean pairwise correlation. */
export function summarizeRow(seeds: readonly RowSeedResult[]): RowSummary | null {
  if (seeds.length === 0) return null;
  const of = (f: (m: Metrics & RegressionMetrics) => number) => spread(seeds.map((s) => f(s.final as Metrics & RegressionMetrics)));
  const correlations = seeds.map((s) => s.diversity?.meanCorrelation).filter((v): v is number => v !== undefined && Number.isFinite(v));
  const regression = seeds.every((s) => isRegressionMetrics(s.final));
  return {
    seeds: seeds.length,
    cost: spread(seeds.map((s) => s.cost)).mean,
    nll: of((m) => m.nll),
    error: regression ? null : of((m) => m.error),
    ece: regression ? null : of((m) => m.ece),
    brier: regression ? null : of((m) => m.brier),
    ...(regression ? { rmse: of((m) => m.rmse), mae: of((m) => m.mae) } : {}),
    meanCorrelation: correlations.length === seeds.length ? spread(correlations) : null,
  };
}

/** Whether metrics are a regression's (RMSE, MAE, NLL) rather than a classifier's. */
export function isRegressionMetrics(m: Metrics | RegressionMetrics): m is RegressionMetrics {
  return 'rmse' in m;
}

/** Adds one seed's result to its row, keeping seeds in ascending order, and refreshes the row's summary. */
export function addSeedResult(row: RowResult, result: RowSeedResult): void {
  row.seeds = [...row.seeds.filter((s) => s.seed !== result.seed), result].sort((a, b) => a.seed - b.seed);
  row.summary = summarizeRow(row.seeds);
}
