import { geometricMeanProbabilities, meanProbabilities, weightedMeanProbabilities } from '../metrics/combine.js';
import { evaluateEnsemble } from '../metrics/evaluate.js';
import { fitMixtureWeights, selectBestK } from '../metrics/selection.js';
import { classificationMetrics } from '../metrics/classification.js';
import type { ExecutedRun, RunMember } from './executeRun.js';
import type { RowPlan } from './plan.js';
import type { BeyondPaper, RowResult, RowSeedResult, RowSummary, Spread } from '../schema/compare.js';
import type { Metrics } from '../schema/metrics.js';

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

function beyondPaper(members: readonly RunMember[], labels: Labels): BeyondPaper | null {
  if (members.length < 2) return null;
  const test = members.map((m) => m.test);
  const result: BeyondPaper = { geometric: classificationMetrics(geometricMeanProbabilities(test), labels.test), bestK: null, weighted: null };
  const validation = members.map((m) => m.validation);
  if (labels.validation !== null && validation.every((v) => v !== null)) {
    const val = validation as NonNullable<(typeof validation)[number]>[];
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

/** One row's result for one seed, from the runs it used. */
export function summarizeRowSeed(plan: RowPlan, runs: ReadonlyMap<string, ExecutedRun>, labels: Labels, budgetIterations: number): RowSeedResult {
  const members = plan.members.map((ref) => {
    const run = runs.get(ref.run);
    const member = ref.sample === undefined ? run?.members.get(ref.iteration) : run?.samples[ref.sample - 1];
    if (member === undefined) throw new Error(`compare: run ${ref.run} has no member at iteration ${ref.iteration}${ref.sample === undefined ? '' : ` sample ${ref.sample}`}`);
    return member;
  });
  const used = plan.runs.map((id) => runs.get(id)!.info);
  const evaluation = evaluateEnsemble(members.map((m) => m.test), labels.test, 'mean');
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
      test: metricsOnly(evaluation.members[i]!),
      validation: m.validation === null || labels.validation === null ? null : classificationMetrics(m.validation, labels.validation),
    })),
    ensembles: evaluation.ensembles,
    final: metricsOnly(evaluation.ensembles.at(-1)!),
    diversity: members.length > 1 ? evaluation.diversity : null,
    beyondPaper: beyondPaper(members, labels),
  };
}

function metricsOnly({ error, nll, ece, brier }: Metrics): Metrics {
  return { error, nll, ece, brier };
}

/** Mean and spread over a row's seeds of its final metrics and mean pairwise correlation. */
export function summarizeRow(seeds: readonly RowSeedResult[]): RowSummary | null {
  if (seeds.length === 0) return null;
  const of = (f: (s: RowSeedResult) => number) => spread(seeds.map(f));
  const correlations = seeds.map((s) => s.diversity?.meanCorrelation).filter((v): v is number => v !== undefined && Number.isFinite(v));
  return {
    seeds: seeds.length,
    cost: spread(seeds.map((s) => s.cost)).mean,
    error: of((s) => s.final.error),
    nll: of((s) => s.final.nll),
    ece: of((s) => s.final.ece),
    brier: of((s) => s.final.brier),
    meanCorrelation: correlations.length === seeds.length ? spread(correlations) : null,
  };
}

/** Adds one seed's result to its row, keeping seeds in ascending order, and refreshes the row's summary. */
export function addSeedResult(row: RowResult, result: RowSeedResult): void {
  row.seeds = [...row.seeds.filter((s) => s.seed !== result.seed), result].sort((a, b) => a.seed - b.seed);
  row.summary = summarizeRow(row.seeds);
}
