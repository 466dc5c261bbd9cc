import { sourceLocation } from '../data/source.js';
import { runExampleValues } from '../run/runRecord.js';
import { costChart } from './costChart.js';
import { errorChart, learningRateAndLossChart, reliabilityChart, type Chart } from './charts.js';
import { correlationChart, disagreementChart } from './heatmaps.js';
import { augmentationText, metricsTableHtml, reportDocument, settingsTableHtml, statusSettings, tableHtml, type FigureHtml, type ReportSection } from './html.js';
import { renderSvg } from './renderSvg.js';
import { bestMember, type RunReportData } from './reportData.js';
import type { LandscapeResult } from '../landscape/measure.js';
import { landscapeLinesChart, landscapePlaneChart } from './landscapeCharts.js';
import type { RunRecord } from '../schema/run.js';

export interface RenderedReport {
  html: string;
  /** Ids of the charts in the page, in order. */
  charts: string[];
  /** Warnings from Vega-Lite and Vega; empty when every chart compiled and rendered cleanly. */
  warnings: string[];
}

/** Renders charts to SVG one after another, keeping their warnings. */
export async function renderCharts(charts: readonly Chart[]): Promise<{ figures: FigureHtml[]; warnings: string[] }> {
  const figures: FigureHtml[] = [];
  const warnings: string[] = [];
  for (const chart of charts) {
    const rendered = await renderSvg(chart.spec);
    figures.push({ id: chart.id, caption: chart.caption, svg: rendered.svg });
    warnings.push(...rendered.warnings.map((w) => `${chart.id}: ${w}`));
  }
  return { figures, warnings };
}

function percent(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

function numbers(v: number | readonly number[]): string {
  return typeof v === 'number' ? String(v) : v.map((x) => x.toPrecision(4)).join(', ');
}

/** Where the run's examples came from and what they are. */
function dataText(record: RunRecord): string {
  const d = record.data;
  const where = sourceLocation(d.source ?? { kind: 'idx', dir: null });
  if (d.exampleShape !== undefined) {
    const what = d.task === 'regression' ? `regression of ${d.classNames[0]}` : `${d.numClasses} classes`;
    return `${d.name} (${where}): ${d.trainExamples} training, ${d.testExamples} test rows of ${d.exampleShape?.[0] ?? d.inputShape[2]} features, ${what}`;
  }
  return `${d.name} (${where}): ${d.trainExamples} training, ${d.testExamples} test images of ${d.inputShape.join('x')}, ${d.numClasses} classes`;
}

/** The run's configuration as label/value pairs. */
export function runSettings(record: RunRecord): [string, string][] {
  const c = record.config;
  const d = record.data;
  return [
    ...statusSettings(record, 'training time'),
    ['model', `${c.model}${c.dropout > 0 ? `, dropout ${c.dropout}` : ''}`],
    ['data', dataText(record)],
    ['normalisation', `${runExampleValues(record) === 'numbers' ? '(x' : '(x / 255'} - mean) / std per ${d.exampleShape !== undefined ? 'feature' : 'channel'}: mean ${numbers(d.normalization.mean)}, std ${numbers(d.normalization.std)}`],
    ['augmentation', augmentationText(d.augmentation)],
    ['budget', `${c.epochs} epochs x ${record.iterationsPerEpoch} iterations = ${record.totalSteps} iterations (batch ${c.batchSize})`],
    ['cycles', `M = ${c.cycles}, snapshots at iterations ${record.snapshots.map((s) => s.iteration).join(', ') || '-'}`],
    ['schedule', JSON.stringify(record.schedule)],
    ['optimizer', `SGD, lr0 ${c.lr0}, momentum ${c.momentum}${c.nesterov ? ' (Nesterov)' : ''}, weight decay ${c.weightDecay}`],
    ['seed', String(c.seed)],
  ];
}

/** The paper's Figure 1, measured: the charts and each segment's barrier. */
function landscapeSection(landscape: LandscapeResult, figures: FigureHtml[]): ReportSection {
  const rows = landscape.segments.map((s) => [
    `${s.from} \u2192 ${s.to}`,
    s.points[0]!.trainLoss.toFixed(4),
    Math.max(...s.points.map((p) => p.trainLoss)).toFixed(4),
    s.points.at(-1)!.trainLoss.toFixed(4),
    s.lossBarrier.toFixed(4),
    percent(s.errorBarrier),
  ]);
  return {
    heading: 'Between the snapshots (the paper\u2019s Figure 1, measured)',
    html:
      `<p>${landscape.evaluations} weight sets evaluated in ${landscape.seconds.toFixed(0)} s (written by <code>landscape</code>). ` +
      'The barrier is the highest value along a segment above the straight line between its ends.</p>\n' +
      tableHtml(['segment', 'training loss at start', 'highest', 'at end', 'loss barrier', 'test-error barrier'], rows, 'landscape'),
    figures,
  };
}

/** The whole report of one run as one self-contained HTML page. */
export async function runReportHtml(data: RunReportData, footer: string, landscape: LandscapeResult | null = null): Promise<RenderedReport> {
  const { record, evaluation } = data;
  const landscapeCharts = landscape === null ? [] : [landscapeLinesChart(landscape), ...(landscape.plane === null ? [] : [landscapePlaneChart(landscape.plane)])];
  const charts = {
    figure2: learningRateAndLossChart({
      learningRate: data.learningRate,
      loss: data.loss,
      lossWindow: data.lossWindow,
      epochLoss: data.epochLoss,
      snapshots: record.snapshots,
      totalSteps: record.totalSteps,
    }),
    error: errorChart([{ name: data.title, evaluation }]),
    correlation: correlationChart(data.members, data.correlation),
    disagreement: disagreementChart(data.members, data.disagreement),
    ...(data.reliability === null ? {} : { reliability: reliabilityChart(data.reliability) }),
    ...(data.cost === undefined
      ? {}
      : {
          cost: costChart(data.cost, {
            id: 'error-against-cost',
            caption:
              'Test error against FLOPs per image: every snapshot (one pass), the ensemble of the last m (m passes) and every model exported under exports/ (one pass); the dashed line joins the Pareto front.',
          }),
        }),
  };
  const { figures, warnings } = await renderCharts([...Object.values(charts), ...landscapeCharts]);
  const figure = (id: string) => figures.find((f) => f.id === id)!;
  const all = evaluation.ensembles[evaluation.ensembles.length - 1]!;
  const best = data.reliability?.[0] ?? { label: `snapshot ${bestMember(evaluation.members).index}`, error: bestMember(evaluation.members).error };
  const members = record.swag == null ? `${record.snapshots.length} snapshots` : `${evaluation.members.length} SWAG weight samples`;
  const summary =
    `${record.config.model} on ${record.data.name}, ${members} from one run of ${record.totalSteps} iterations; ` +
    `on ${data.testExamples} test images the ensemble of all ${all.m} errs on ${percent(all.error)} against ${percent(best.error)} for the best single ${best.label}.`;
  const snapshotRows = record.snapshots.map((s) => [
    `snapshot ${s.index}`,
    String(s.iteration),
    String(s.epoch),
    s.learningRate.toExponential(3),
    s.path,
  ]);
  const html = reportDocument({
    title: `Snapshot ensemble: ${data.title}`,
    summary,
    sections: [
      { heading: 'Learning rate and training loss', figures: [figure(charts.figure2.id)] },
      { heading: 'Test error against the number of snapshots', figures: [figure(charts.error.id)] },
      { heading: 'Diversity of the snapshots', figures: [figure(charts.correlation.id), figure(charts.disagreement.id)] },
      charts.reliability === undefined
        ? { heading: 'Calibration', html: `<p>Reliability diagrams need each test example\u2019s outputs: this report was written from run.json alone, since the run\u2019s examples were given in memory (write it with the data to see them). ECE is in the metrics below.</p>` }
        : { heading: 'Calibration', figures: [figure(charts.reliability.id)] },
      ...(charts.cost === undefined ? [] : [{ heading: 'Error against inference cost', figures: [figure(charts.cost.id)] }]),
      ...(landscape === null ? [] : [landscapeSection(landscape, landscapeCharts.map((c) => figure(c.id)))]),
      {
        heading: 'Metrics on the test set',
        html: `<p>${data.testExamples} test images; ensembles average the members\u2019 softmax outputs.</p>\n${metricsTableHtml(evaluation, record.swag == null ? 'snapshot' : 'sample')}`,
      },
      {
        heading: 'Configuration',
        html:
          settingsTableHtml(runSettings(record)) +
          '\n' +
          tableHtml(['snapshot', 'iteration', 'epoch', 'learning rate', 'directory'], snapshotRows, 'snapshots'),
      },
    ],
    footer,
  });
  return { html, charts: figures.map((f) => f.id), warnings };
}
