import type { TopLevelSpec } from 'vega-lite';
import { SCHEMA, WIDE, type Chart } from './charts.js';
import { CORRELATION_KIND, DISAGREEMENT_KIND, heatmapPanel, heatmapScale, type HeatmapKind } from './heatmaps.js';
import type { LastMCurve, ReferenceLevel, RowDiversity, TrainingConfiguration } from './compareReportData.js';
import { groupColours, rowColours } from './rowColours.js';

/** Vega-Lite specifications of the comparison report's charts: pure functions of the report's numbers. */

/** A categorical colour scale of names with their colours, so a name keeps its colour in every layer. */
function categories(names: readonly string[], colours: readonly string[]) {
  return { domain: [...names], range: [...colours] };
}

/**
 * Test error of the ensemble of the last m members against m, one curve per row with several members (the mean
 * over seeds, thick, and every seed, thin, when there are several), and the rows of one model as dashed levels;
 * each row in its colour from `colours` (by row key).
 */
export function compareErrorChart(
  curves: readonly LastMCurve[],
  references: readonly ReferenceLevel[],
  colours: Readonly<Record<string, string>> = rowColours([...curves, ...references].map((r) => r.key)),
  metric: { title: string; scale: number } = { title: 'test error (%)', scale: 100 },
): Chart {
  const k = metric.scale;
  const points = curves.flatMap((c) => [
    ...c.mean.map((e, i) => ({ row: c.label, m: i + 1, error: k * e, kind: 'mean', seed: null as number | null })),
    ...(c.seeds.length > 1 ? c.seeds.flatMap((s) => s.errors.map((e, i) => ({ row: c.label, m: i + 1, error: k * e, kind: 'seed', seed: s.seed }))) : []),
  ]);
  const levels = references.map((r) => ({ row: r.label, error: k * r.error }));
  const maxM = Math.max(1, ...curves.map((c) => c.members));
  const color = { field: 'row', type: 'nominal' as const, title: null, scale: categories([...curves, ...references].map((c) => c.label), [...curves, ...references].map((c) => colours[c.key]!)), legend: { labelLimit: 600, orient: 'bottom', columns: 1 } };
  const x = { field: 'm', type: 'quantitative' as const, title: 'm (ensemble of the last m members)', scale: { domain: [0.75, maxM + 0.25], nice: false }, axis: { tickMinStep: 1, format: 'd' } };
  const y = { field: 'error', type: 'quantitative' as const, title: metric.title, scale: { zero: false } };
  const seeds = Math.max(1, ...curves.map((c) => c.seeds.length));
  return {
    id: 'compare-error-against-m',
    caption:
      'Test error of the ensemble of the last m members (mean of softmax outputs) against m: one curve per row with several members' +
      (seeds > 1 ? ' (thick: mean over seeds; thin: each seed)' : '') +
      '; dashed levels: the rows of one model at the same budget' +
      (references.some((r) => r.seeds > 1) ? ' (mean over seeds)' : '') +
      '.',
    spec: {
      $schema: SCHEMA,
      title: 'Test error against the number of members',
      width: WIDE,
      height: 300,
      // a layer without data would make Vega warn of an infinite extent: only the layers that have points
      layer: [
        ...(seeds > 1
          ? [
              {
                data: { values: points },
                transform: [{ filter: "datum.kind === 'seed'" }],
                mark: { type: 'line', strokeWidth: 1, opacity: 0.45 },
                encoding: { x, y, color, detail: { field: 'seed', type: 'nominal' } },
              },
            ]
          : []),
        ...(curves.length > 0
          ? [
              {
                data: { values: points },
                transform: [{ filter: "datum.kind === 'mean'" }],
                mark: { type: 'line', strokeWidth: 2.5, point: { filled: true, size: 60 } },
                encoding: { x, y, color },
              },
            ]
          : []),
        ...(levels.length > 0
          ? [{ data: { values: levels }, mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 2 }, encoding: { y, color } }]
          : []),
      ],
    } as TopLevelSpec,
  };
}

/** One heatmap per row, on one colour scale so rows compare at a glance. */
function rowHeatmaps(kind: HeatmapKind, rows: readonly RowDiversity[], pick: (r: RowDiversity) => (number | null)[][]) {
  const scale = heatmapScale(kind, rows.map(pick));
  return {
    $schema: SCHEMA,
    columns: Math.min(3, rows.length),
    concat: rows.map((r) =>
      heatmapPanel({
        title: r.seeds > 1 ? `${r.label}, mean of ${r.seeds} seeds` : r.label,
        axisTitle: r.memberName,
        members: r.members,
        matrix: pick(r),
        kind,
        scale,
      }),
    ),
    resolve: { scale: { color: 'shared' } },
    config: { title: { fontSize: 12, limit: 300 }, concat: { spacing: 28 } },
  } as unknown as TopLevelSpec;
}

/** Pairwise correlation of the members' softmax outputs, a heatmap for every row with several members. */
export function compareCorrelationChart(rows: readonly RowDiversity[]): Chart {
  return {
    id: 'compare-correlation',
    caption:
      'Pearson correlation of every two members\u2019 softmax outputs on the test set, for every row with several members (one colour scale for all): lower means more diverse members.',
    spec: { ...rowHeatmaps(CORRELATION_KIND, rows, (r) => r.correlation), title: 'Correlation of softmax outputs' } as TopLevelSpec,
  };
}

/** Pairwise disagreement of the members' predicted classes, a heatmap for every row with several members. */
export function compareDisagreementChart(rows: readonly RowDiversity[]): Chart {
  return {
    id: 'compare-disagreement',
    caption: 'Fraction of test images on which two members predict different classes, for every row with several members (one colour scale for all).',
    spec: { ...rowHeatmaps(DISAGREEMENT_KIND, rows, (r) => r.disagreement), title: 'Disagreement of predicted classes' } as TopLevelSpec,
  };
}

/** The name of a training configuration in the legend: its runs' id without the seed and the rows that use it. */
export function configurationLabel(c: Pick<TrainingConfiguration, 'name' | 'rows'>): string {
  return c.rows.length === 0 ? c.name : `${c.name} (${c.rows.join(', ')})`;
}

/**
 * Every training configuration's learning rate against iteration with its members marked (top), and the mean
 * training loss of every epoch of every run (bottom), one colour per configuration: that of the first row using it
 * (`colours`, by row key, the same as in the error chart).
 */
export function compareTrainingChart(
  configurations: readonly TrainingConfiguration[],
  colours: Readonly<Record<string, string>> = rowColours([...new Set(configurations.flatMap((c) => c.rows))]),
): Chart {
  const labels = configurations.map(configurationLabel);
  const scale = categories(labels, groupColours(configurations.map((c) => c.rows), colours));
  const color = { field: 'configuration', type: 'nominal' as const, title: null, scale, legend: { labelLimit: 520, orient: 'bottom', columns: 1 } };
  const maxSteps = Math.max(1, ...configurations.map((c) => c.totalSteps));
  const x = { field: 'iteration', type: 'quantitative' as const, title: 'iteration of the run', scale: { domain: [0, maxSteps], nice: false }, axis: { format: 'd', tickMinStep: 1 } };
  const rates = configurations.flatMap((c, i) => c.learningRate.map((p) => ({ configuration: labels[i]!, iteration: p.iteration, value: p.value })));
  const members = configurations.flatMap((c, i) => c.members.map((m) => ({ configuration: labels[i]!, iteration: m.iteration, value: m.learningRate })));
  const loss = configurations.flatMap((c, i) => c.loss.map((p) => ({ configuration: labels[i]!, run: p.run, iteration: p.iteration, epoch: p.epoch, value: p.loss })));
  return {
    id: 'compare-training',
    caption:
      'The learning rate of every training configuration against iteration, with the iterations where members were taken marked (top), and the mean training loss of every epoch of every run, on a log scale (bottom); runs that differ only in their seed share a colour.',
    spec: {
      $schema: SCHEMA,
      title: 'Learning rate and training loss of every run',
      vconcat: [
        {
          width: WIDE,
          height: 190,
          layer: [
            {
              data: { values: rates },
              mark: { type: 'line', strokeWidth: 1.5 },
              encoding: { x: { ...x, title: null }, y: { field: 'value', type: 'quantitative', title: 'learning rate' }, color },
            },
            {
              data: { values: members },
              mark: { type: 'point', filled: true, size: 70, opacity: 1 },
              encoding: { x: { ...x, title: null }, y: { field: 'value', type: 'quantitative' }, color },
            },
          ],
        },
        {
          width: WIDE,
          height: 220,
          data: { values: loss },
          mark: { type: 'line', strokeWidth: 1.5, point: { filled: true, size: 40 } },
          encoding: {
            x,
            y: { field: 'value', type: 'quantitative', title: 'training loss (epoch mean)', scale: { type: 'log' } },
            color,
            detail: { field: 'run', type: 'nominal' },
          },
        },
      ],
      resolve: { scale: { color: 'shared' } },
    } as TopLevelSpec,
  };
}
