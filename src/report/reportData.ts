import { combine, lastM } from '../metrics/combine.js';
import { evaluateEnsemble } from '../metrics/evaluate.js';

import { UserError } from '../util/errors.js';
import { expectedCalibrationError, reliabilityBins } from '../metrics/classification.js';
import type { ProbabilityMatrix } from '../metrics/probabilities.js';

import { sampleTrace, windowFor, windowMeans, type TracePoint } from './trace.js';
import type { EnsembleEvaluation, MemberMetrics } from '../schema/metrics.js';
import type { RunRecord } from '../schema/run.js';
import type { ReliabilityPanel, CostChartPoint } from './chartTypes.js';

/** Most points drawn for a per-iteration series; longer runs are sampled (learning rate) or window-averaged (loss). */
export const MAX_TRACE_POINTS = 1500;

/** Bins of the reliability diagrams (the same 15 equal-width bins as the ECE). */
export const RELIABILITY_BINS = 15;

/** Everything the report of one run shows. */
export interface RunReportData {
  title: string;
  record: RunRecord;
  /** Learning rate against iteration (sampled). */
  learningRate: TracePoint[];
  /** Mini-batch loss against iteration, averaged over windows of `lossWindow` iterations; null for runs that did not record it. */
  loss: TracePoint[] | null;
  lossWindow: number;
  /** Mean training loss of every epoch, at the epoch's last iteration. */
  epochLoss: TracePoint[];
  testExamples: number;
  /** Every member alone and every last-m ensemble (mean of softmax), computed from the probabilities given. */
  evaluation: EnsembleEvaluation;
  /** Snapshot numbers of the members, and their pairwise correlation and disagreement. */
  members: number[];
  correlation: number[][];
  disagreement: number[][];
  /**
   * The best single snapshot (lowest test error) and the ensemble of all members; null when the report is made
   * from run.json alone (recordedRunReportData), without the members' outputs on each test image.
   */
  reliability: [ReliabilityPanel, ReliabilityPanel] | null;
  /** Test error against inference cost (snapshots, ensembles, exported models), when measured. */
  cost?: CostChartPoint[];
}

/** What the report shows from the record and an evaluation: the traces, the metrics and the members' diversity. */
function fromRecord(
  title: string,
  record: RunRecord,
  evaluation: EnsembleEvaluation,
  members: readonly number[],
): Omit<RunReportData, 'testExamples' | 'reliability' | 'cost'> {
  const keep = record.snapshots.map((s) => s.iteration).flatMap((t) => [t, t + 1]);
  const lossTrace = record.history.loss;
  const lossWindow = windowFor(lossTrace?.length ?? 0, MAX_TRACE_POINTS);
  return {
    title,
    record,
    learningRate: sampleTrace(record.history.learningRate, MAX_TRACE_POINTS, keep),
    loss: lossTrace !== undefined && lossTrace.length > 0 ? windowMeans(lossTrace, lossWindow) : null,
    lossWindow,
    epochLoss: record.history.epochs.map((e) => ({ iteration: e.iteration, value: e.loss })),
    evaluation,
    members: [...members],
    correlation: evaluation.diversity.correlation,
    disagreement: evaluation.diversity.disagreement,
  };
}

/**
 * The report's data from run.json alone, for a run whose test examples cannot be read again (given in memory):
 * the evaluation training recorded (metrics and diversity of every member and last-m ensemble), no reliability
 * diagrams (they need each test example's outputs). Pure.
 */
export function recordedRunReportData(title: string, record: RunRecord): RunReportData {
  const evaluation = record.evaluation;
  if (evaluation === null || evaluation.task !== 'classification' || evaluation.members.length === 0) {
    throw new UserError("the run's examples were given in memory and run.json holds no evaluation of them: give the data to write its report");
  }
  return { ...fromRecord(title, record, evaluation, evaluation.members.map((m) => m.index)), testExamples: record.data.testExamples, reliability: null };
}

/** The member with the lowest error; ties go to the lower NLL, then to the later snapshot. */
export function bestMember(members: readonly MemberMetrics[]): MemberMetrics {
  if (members.length === 0) throw new RangeError('no members');
  return members.reduce((best, m) => (m.error < best.error || (m.error === best.error && m.nll <= best.nll) ? m : best));
}

/**
 * Everything the report of one run shows, from its record and each member's softmax outputs on the test set
 * (in snapshot order, `members` giving their snapshot numbers). Pure: no tensors, no disk.
 */
export function runReportData(
  title: string,
  record: RunRecord,
  probabilities: readonly ProbabilityMatrix[],
  labels: ArrayLike<number>,
  members: readonly number[] = record.snapshots.map((s) => s.index),
): RunReportData {
  if (probabilities.length === 0) throw new RangeError('a report needs at least one snapshot');
  if (members.length !== probabilities.length) throw new RangeError(`${members.length} member numbers for ${probabilities.length} members`);
  const evaluation = evaluateEnsemble(probabilities, labels, 'mean', members);
  const best = bestMember(evaluation.members);
  const bestProbabilities = probabilities[members.indexOf(best.index)]!;
  const ensemble = combine(lastM(probabilities, probabilities.length), 'mean');
  const all = evaluation.ensembles[evaluation.ensembles.length - 1]!;

  return {
    ...fromRecord(title, record, evaluation, members),
    testExamples: labels.length,
    reliability: [
      {
        label: `snapshot ${best.index}`,
        bins: reliabilityBins(bestProbabilities, labels, RELIABILITY_BINS),
        ece: expectedCalibrationError(bestProbabilities, labels, RELIABILITY_BINS),
        error: best.error,
      },
      {
        label: `ensemble of last ${all.m}`,
        bins: reliabilityBins(ensemble, labels, RELIABILITY_BINS),
        ece: expectedCalibrationError(ensemble, labels, RELIABILITY_BINS),
        error: all.error,
      },
    ],
  };
}
