import { sourceLocation } from '../data/source.js';
import { beyondPaperTitle, compareHeading, type TableCells } from '../compare/table.js';
import { swaStartEpochOf } from '../compare/plan.js';
import type { CompareResult } from '../schema/compare.js';
import { compareTask, headlineFormat, rowHeadline } from '../compare/headline.js';
import { compareCorrelationChart, compareDisagreementChart, compareErrorChart, compareTrainingChart } from './compareCharts.js';
import type { CompareReportData } from './compareReportData.js';
import type { Chart } from './charts.js';
import { compareCostPoints, costChart } from './costChart.js';
import { augmentationText, escapeHtml, reportDocument, settingsTableHtml, statusSettings, tableHtml, type ReportSection } from './html.js';
import { renderCharts, type RenderedReport } from './runReportHtml.js';

/** A row's headline as the report prints it: a test error in percent, or a regression's test RMSE. */
function formatted(result: CompareResult, x: number): string {
  const task = compareTask(result);
  return headlineFormat(task).format(x) + (task === 'regression' ? '' : '%');
}

function cellsHtml(cells: TableCells, className: string): string {
  return tableHtml(cells.header, cells.rows, className);
}

/** The comparison's configuration as label/value pairs. */
export function compareSettings(result: CompareResult): [string, string][] {
  const c = result.config;
  const d = result.data;
  const swaStart = swaStartEpochOf(c);
  return [
    ...statusSettings(result, 'time'),
    ['model', c.model],
    [
      'data',
      `${d.name} (${sourceLocation(c.source)}): ${d.trainExamples} training, ${d.validationExamples} validation, ` +
        `${d.testExamples} test examples of ${d.inputShape.join('x')}, ` +
        (result.data.task === 'regression' ? `regression of ${result.data.target ?? 'the target'}` : `${d.numClasses} classes`),
    ],
    ['augmentation', augmentationText(d.augmentation)],
    ['budget B', `${c.epochs} epochs x ${result.iterationsPerEpoch} iterations = ${result.budgetIterations} iterations (batch ${c.batchSize})`],
    ['M', String(c.cycles)],
    ['step schedule', `lr0 ${c.lr0}, x0.1 at 50% and 75% of B`],
    ['Snapshot Ensemble lr0', c.snapshotLr0.join(', ')],
    [
      'SWA',
      `averages the weights at the ends of epochs ${swaStart}..${c.epochs}; learning rate ${c.lr0} until half of epoch ${swaStart}'s end, ` +
        `then linearly down to ${c.swaLr} at 90% of it, then constant`,
    ],
    ...fgeAndSwagSettings(result),
    ['true ensemble', `k = ${c.ensembleSize}`],
    ['dropout row', String(c.dropout)],
    ['optimizer', `SGD, momentum ${c.momentum}${c.nesterov ? ' (Nesterov)' : ''}, weight decay ${c.weightDecay}`],
    ['rows', c.rows.map((r) => `${r.row} (seeds ${r.seeds.join(', ')})`).join('; ')],
  ];
}

/** FGE's and SWAG's settings, for the rows that ran (older results have neither). */
function fgeAndSwagSettings(result: CompareResult): [string, string][] {
  const c = result.config;
  const ran = new Set(c.rows.map((r) => r.row));
  const lines: [string, string][] = [];
  if (ran.has('fge') && c.fge !== undefined) {
    lines.push([
      'FGE',
      `step schedule for ${Math.round(100 * c.fge.pretrain)}% of B (extended to the budget's end), then triangular cycles of ${c.fge.cycleEpochs} epochs ` +
        `between ${c.fge.lr1} and ${c.fge.lr2}, a member at the middle of each`,
    ]);
  }
  if (ran.has('swag') && c.swag !== undefined) {
    lines.push(['SWAG', `moments of the SWA run's weights at the ends of epochs ${swaStartEpochOf(c)}..${c.epochs}, K = ${c.swag.rank}, ${c.swag.samples} samples, batch norm re-estimated per sample`]);
  }
  return lines;
}

/** One line per training run: what it trained, where members were taken, how long it took, whether it failed. */
function runsTable(result: CompareResult): string {
  const rows = result.runs.map((r) => [
    r.id,
    String(r.seed),
    r.schedule.name,
    `${r.iterations} / ${r.epochs * result.iterationsPerEpoch}`,
    [
      r.swa !== null ? `average of ${r.swa.averaged} (epochs ${r.swa.startEpoch}..${r.epochs})` : '',
      r.swag != null ? `${r.swag.samples} SWAG samples from ${r.swag.collected} epochs (K = ${r.swag.rank})` : '',
      r.snapshotAt.length > 0 && r.swa === null ? r.snapshotAt.join(', ') : '',
    ].filter((x) => x !== '').join('; ') || '-',
    `${r.seconds.toFixed(1)} s`,
    r.error ?? 'ok',
  ]);
  return tableHtml(['run', 'seed', 'schedule', 'iterations', 'members at', 'time', 'status'], rows, 'runs');
}

/** A sentence on what the comparison shows: the best row, and the Snapshot Ensembles against the single model. */
export function compareSummary(data: CompareReportData): string {
  const { result } = data;
  const parts = [compareHeading(result) + '.'];
  const percent = (x: number) => formatted(result, x);
  if (data.best !== null) parts.push(`Lowest mean ${headlineFormat(compareTask(result)).name.replace(' (%)', '')}: ${data.best.label}, ${percent(data.best.error)}.`);
  if (data.single !== null) {
    const single = data.single.error;
    for (const row of result.rows.filter((r) => r.row === 'snapshot' && r.summary !== null)) {
      const curve = data.curves.find((c) => c.key === row.key)?.mean ?? [];
      // the smallest ensemble (m >= 2) of its last snapshots that beats the single model, if any
      const k = curve.findIndex((x, i) => i >= 1 && x < single) + 1;
      let verdict: string;
      if (k >= 2) verdict = `the ensemble of its last ${k} snapshots already beats it (${percent(curve[k - 1]!)}).`;
      else if (curve[0] !== undefined && curve[0] < single) {
        verdict = `its last snapshot alone beats it (${percent(curve[0])}), but no ensemble of two or more of its snapshots does at this budget.`;
      } else verdict = 'no ensemble of its snapshots beats it at this budget.';
      parts.push(`${row.label}: ${percent(rowHeadline(row.summary!))} against ${percent(single)} for the single model; ${verdict}`);
    }
  }
  const state = { running: 'is still running', failed: 'failed', interrupted: 'was interrupted', completed: null }[result.status];
  if (state !== null) parts.push(`The comparison ${state}: rows without results are left out of the charts.`);
  return parts.join(' ');
}

/** The report of a comparison as one self-contained HTML page. */
export async function compareReportHtml(data: CompareReportData, footer: string): Promise<RenderedReport> {
  const { result } = data;
  const charts: { error?: Chart; training?: Chart; correlation?: Chart; disagreement?: Chart; cost?: Chart } = {};
  if (data.curves.length > 0 || data.references.length > 0) charts.error = compareErrorChart(data.curves, data.references, data.colours, compareTask(data.result) === 'regression' ? { title: 'test RMSE', scale: 1 } : undefined);
  if (data.configurations.some((c) => c.totalSteps > 0)) charts.training = compareTrainingChart(data.configurations, data.colours);
  if (data.diversity.length > 0) {
    charts.correlation = compareCorrelationChart(data.diversity);
    charts.disagreement = compareDisagreementChart(data.diversity);
  }
  const cost = compareCostPoints(data.result);
  if (cost !== null) {
    charts.cost = costChart(cost, {
      id: 'compare-error-against-cost',
      caption: "Every row's mean test error against its inference cost: FLOPs per image of its members' forward passes (m for an ensemble of m, one for a single model, SWA or a distilled student); the dashed line joins the Pareto front.",
    });
  }
  const { figures, warnings } = await renderCharts(Object.values(charts));
  const figure = (chart: Chart | undefined) => (chart === undefined ? [] : [figures.find((f) => f.id === chart.id)!]);
  const failures = data.failures.length === 0 ? '' : `<p>Failed (not in the means):</p>\n<ul>${data.failures.map((f) => `<li>${escapeHtml(f)}</li>`).join('')}</ul>`;
  const sections: ReportSection[] = [
    {
      heading: 'Table 1: each method at the same budget',
      html: `<p>Test error, NLL and ECE (15 bins) on the test set, mean \u00b1 sample standard deviation over seeds; cost in training budgets.</p>\n${cellsHtml(data.table1, 'table1')}\n${failures}`,
    },
    {
      heading: 'Test error against the number of members',
      figures: figure(charts.error),
      ...(data.lastMTable === null ? {} : { html: cellsHtml(data.lastMTable, 'last-m') }),
    },
    { heading: 'Learning rate and training loss', figures: figure(charts.training) },
    { heading: 'Error against inference cost', figures: figure(charts.cost) },
  ];
  if (charts.correlation !== undefined) {
    // one heatmap per row: each chart takes the page's width
    sections.push({ heading: 'Diversity of the members: correlation', figures: figure(charts.correlation) });
    sections.push({ heading: 'Diversity of the members: disagreement', figures: figure(charts.disagreement) });
  }
  if (data.beyondPaper !== null) {
    sections.push({ heading: 'Beyond the paper', html: `<p>${escapeHtml(beyondPaperTitle(result))}.</p>\n${cellsHtml(data.beyondPaper, 'beyond-paper')}` });
  }
  sections.push({ heading: 'Configuration', html: settingsTableHtml(compareSettings(result)) + '\n' + runsTable(result) });
  const html = reportDocument({
    title: `Snapshot Ensembles compared: ${data.title}`,
    summary: compareSummary(data),
    sections: sections.filter((s) => (s.figures?.length ?? 0) > 0 || s.html !== undefined),
    footer,
  });
  return { html, charts: figures.map((f) => f.id), warnings };
}
