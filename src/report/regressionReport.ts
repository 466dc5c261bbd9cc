import type { TopLevelSpec } from 'vega-lite';
import { snapshotGaussians } from '../ensemble/evaluateRun.js';
import { evaluateRegressionEnsemble } from '../metrics/evaluateRegression.js';
import type { ImageSet } from '../data/dataset.js';

import { REGRESSION_HEADER, regressionRows } from '../metrics/formatMetrics.js';
import { combineGaussians, quantileCalibration, type GaussianMember, type QuantilePoint } from '../metrics/regression.js';
import { UserError } from '../util/errors.js';
import { BLUE, GREY, learningRateAndLossChart, legendScale, ORANGE, RED, SCHEMA, WIDE, type Chart } from './charts.js';
import { reportDocument, settingsTableHtml, tableHtml } from './html.js';
import { MAX_TRACE_POINTS } from './reportData.js';
import { renderCharts, runSettings, type RenderedReport } from './runReportHtml.js';
import { sampleTrace, windowFor, windowMeans } from './trace.js';
import type { RegressionEvaluation } from '../schema/metrics.js';
import type { RunRecord } from '../schema/run.js';

/** RMSE of every snapshot alone and of the ensemble of the last m, against k and m. */
function rmseChart(evaluation: RegressionEvaluation): Chart {
  const values = [
    ...evaluation.ensembles.map((e) => ({ x: e.m, rmse: e.rmse, series: 'ensemble of the last m' })),
    ...evaluation.members.map((m) => ({ x: m.index, rmse: m.rmse, series: 'snapshot k alone' })),
  ];
  return {
    id: 'rmse',
    caption: 'Test RMSE of the ensemble of the last m snapshots (mean of their predictions) and of each snapshot k alone.',
    spec: {
      $schema: SCHEMA,
      width: WIDE,
      height: 260,
      data: { values },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: 'm (ensemble) or k (snapshot)', axis: { format: 'd', tickMinStep: 1 } },
        y: { field: 'rmse', type: 'quantitative', title: 'test RMSE', scale: { zero: false } },
        color: { field: 'series', type: 'nominal', title: null, scale: legendScale([['ensemble of the last m', BLUE], ['snapshot k alone', ORANGE]]) },
      },
    } as TopLevelSpec,
  };
}

/** Observed against predicted quantiles (a calibrated Gaussian prediction lies on the diagonal), one panel per model. */
function calibrationChart(panels: readonly { label: string; points: QuantilePoint[] }[]): Chart {
  const colours = legendScale([
    ['observed', BLUE],
    ['perfect calibration', GREY],
  ]);
  const x = { type: 'quantitative' as const, title: 'predicted quantile level p', scale: { domain: [0, 1] } };
  const y = { type: 'quantitative' as const, title: 'fraction of targets below it', scale: { domain: [0, 1] } };
  return {
    id: 'calibration',
    caption:
      'Calibration of the Gaussian predictions: for each level p, the fraction of test targets below the predicted p-quantile (mean + sigma Phi^-1(p)); a calibrated model follows the diagonal, one above it is too narrow on the low side.',
    spec: {
      $schema: SCHEMA,
      title: 'Calibration: observed against predicted quantiles',
      hconcat: panels.map((p) => ({
        title: p.label,
        width: 330,
        height: 300,
        layer: [
          {
            data: { values: p.points },
            mark: { type: 'line', point: true, color: RED },
            encoding: { x: { ...x, field: 'expected' }, y: { ...y, field: 'observed' }, color: { datum: 'observed', scale: colours, title: null } },
          },
          {
            data: { values: [{ c: 0 }, { c: 1 }] },
            mark: { type: 'line', strokeDash: [5, 4], strokeWidth: 1.2 },
            encoding: { x: { ...x, field: 'c' }, y: { ...y, field: 'c' }, color: { datum: 'perfect calibration', scale: colours, title: null } },
          },
        ],
      })),
    } as TopLevelSpec,
  };
}

/** The evaluation training wrote into run.json, for a report without the test rows. */
function recordedEvaluation(record: RunRecord): RegressionEvaluation {
  const evaluation = record.evaluation;
  if (evaluation === null || evaluation.task !== 'regression' || evaluation.members.length === 0) {
    throw new UserError("the run's examples were given in memory and run.json holds no evaluation of them: give the data to write its report");
  }
  return evaluation;
}

/** Quantile calibration of the best snapshot and of the ensemble of all. */
function calibrationPanels(
  measured: { indices: number[]; members: GaussianMember[] },
  test: ImageSet,
  best: RegressionEvaluation['members'][number],
  last: RegressionEvaluation['ensembles'][number],
) {
  const bestMember = measured.members[measured.indices.indexOf(best.index)]!;
  const all = combineGaussians(measured.members);
  return [
    { label: `snapshot ${best.index}: RMSE ${best.rmse.toPrecision(4)}, NLL ${best.nll.toFixed(3)}`, points: quantileCalibration(bestMember.mean, new Float64Array(test.count).fill(bestMember.noiseVariance), test.labels) },
    { label: `ensemble of last ${last.m}: RMSE ${last.rmse.toPrecision(4)}, NLL ${last.nll.toFixed(3)}`, points: quantileCalibration(all.mean, all.variance, test.labels) },
  ];
}

/**
 * The report of a regression run: Figure 2 (learning rate and loss), RMSE against m, the calibration plot of the
 * best snapshot and of the ensemble of all, and the metrics (RMSE, MAE, Gaussian NLL, spread) and configuration.
 */
export async function regressionReportHtml(title: string, runDir: string, record: RunRecord, test: ImageSet | null, footer: string): Promise<RenderedReport> {
  // without the test rows (examples given in memory), what run.json recorded, and no calibration plot
  const measured = test === null ? null : await snapshotGaussians(runDir, record, test);
  const evaluation = measured === null ? recordedEvaluation(record) : evaluateRegressionEnsemble(measured.members, test!.labels, measured.indices);
  const testRows = test?.count ?? record.data.testExamples;
  const best = evaluation.members.reduce((a, b) => (b.rmse <= a.rmse ? b : a));
  const last = evaluation.ensembles.at(-1)!;
  const lossWindow = windowFor(record.history.loss.length, MAX_TRACE_POINTS);
  const charts = [
    learningRateAndLossChart({
      learningRate: sampleTrace(record.history.learningRate, MAX_TRACE_POINTS, record.snapshots.flatMap((s) => [s.iteration, s.iteration + 1])),
      loss: record.history.loss.length > 0 ? windowMeans(record.history.loss, lossWindow) : null,
      lossWindow,
      epochLoss: record.history.epochs.map((e) => ({ iteration: e.iteration, value: e.loss })),
      snapshots: record.snapshots,
      totalSteps: record.totalSteps,
    }),
    rmseChart(evaluation),
    ...(measured === null ? [] : [calibrationChart(calibrationPanels(measured, test!, best, last))]),
  ];
  const { figures, warnings } = await renderCharts(charts);
  const summary =
    `${record.config.model} on ${record.data.name} (regression of ${record.data.classNames[0]}), ${record.snapshots.length} snapshots from one run of ${record.totalSteps} iterations; ` +
    `on ${testRows} test rows the ensemble of all ${last.m} has RMSE ${last.rmse.toPrecision(4)} and NLL ${last.nll.toFixed(4)} against ${best.rmse.toPrecision(4)} and ${best.nll.toFixed(4)} for the best single snapshot ${best.index}.`;
  const html = reportDocument({
    title: `Snapshot ensemble: ${title}`,
    summary,
    sections: [
      { heading: 'Learning rate and training loss (mean squared error of the standardised target)', figures: [figures[0]!] },
      { heading: 'Test RMSE against the number of snapshots', figures: [figures[1]!] },
      measured === null
        ? { heading: 'Calibration', html: '<p>The calibration plot needs each test row\u2019s predictions: this report was written from run.json alone, since the run\u2019s examples were given in memory.</p>' }
        : { heading: 'Calibration', figures: [figures[2]!] },
      {
        heading: 'Metrics on the test set',
        html:
          `<p>${testRows} test rows. A snapshot predicts N(mu, sigma^2) with sigma^2 its mean squared error on the training set; ` +
          `an ensemble predicts the mean of its members\u2019 mu with variance mean(sigma^2) + spread^2.</p>\n` +
          tableHtml([...REGRESSION_HEADER], regressionRows(evaluation), 'metrics'),
      },
      { heading: 'Configuration', html: settingsTableHtml(runSettings(record)) },
    ],
    footer,
  });
  return { html, charts: figures.map((f) => f.id), warnings };
}
