import type { TopLevelSpec } from 'vega-lite';

import type { TracePoint } from './trace.js';
import type { EnsembleEvaluation } from '../schema/metrics.js';
import type { SnapshotRecord } from '../schema/run.js';
import type { ReliabilityPanel } from './chartTypes.js';

/** Vega-Lite specifications of the report's charts: pure functions of the report's numbers. */

export const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
export const BLUE = '#1f77b4';
export const ORANGE = '#ff7f0e';
export const RED = '#d62728';
export const GREY = '#7f7f7f';
export const WIDE = 760;

/** A chart's name (its figure's id in the page) and its specification. */
export interface Chart {
  id: string;
  caption: string;
  spec: TopLevelSpec;
}

export function legendScale(entries: readonly (readonly [string, string])[]) {
  return { domain: entries.map(([name]) => name), range: entries.map(([, colour]) => colour) };
}

/**
 * The paper's Figure 2: the learning rate of every iteration with the snapshots marked on it, above the training
 * loss against the same iterations with the snapshot points as vertical rules.
 */
export function learningRateAndLossChart(options: {
  learningRate: readonly TracePoint[];
  loss: readonly TracePoint[] | null;
  lossWindow: number;
  epochLoss: readonly TracePoint[];
  snapshots: readonly Pick<SnapshotRecord, 'index' | 'iteration' | 'learningRate'>[];
  totalSteps: number;
}): Chart {
  const x = {
    field: 'iteration',
    type: 'quantitative' as const,
    title: 'iteration',
    scale: { domain: [0, options.totalSteps], nice: false },
    axis: { format: 'd', tickMinStep: 1 },
  };
  const snapshots = options.snapshots.map((s) => ({ iteration: s.iteration, learningRate: s.learningRate, label: `snapshot ${s.index}` }));
  const batchLabel = options.lossWindow === 1 ? 'mini-batch loss' : `mini-batch loss (mean of ${options.lossWindow} iterations)`;
  const lossColours = legendScale([
    ...(options.loss === null ? [] : [[batchLabel, ORANGE] as const]),
    ['epoch mean loss', BLUE],
    ['snapshot', RED],
  ]);
  const lossLayers: object[] = [];
  if (options.loss !== null) {
    lossLayers.push({
      data: { values: options.loss },
      mark: { type: 'line', strokeWidth: 1.2, clip: true },
      encoding: { x, y: { field: 'value', type: 'quantitative', title: 'training loss', scale: { zero: false } }, color: { datum: batchLabel, scale: lossColours, title: null } },
    });
  }
  lossLayers.push(
    {
      data: { values: options.epochLoss },
      mark: { type: 'point', filled: true, size: 45 },
      encoding: { x, y: { field: 'value', type: 'quantitative', title: 'training loss', scale: { zero: false } }, color: { datum: 'epoch mean loss', scale: lossColours, title: null } },
    },
    // a run without snapshots (SWAG) has no points to mark: empty layers would give the scales no extent
    ...(snapshots.length === 0
      ? []
      : [
          {
            data: { values: snapshots },
            mark: { type: 'rule', strokeDash: [4, 3], opacity: 0.8 },
            encoding: { x, color: { datum: 'snapshot', scale: lossColours, title: null } },
          },
        ]),
  );
  return {
    id: 'learning-rate-and-loss',
    caption:
      'Learning rate (top) and training loss (bottom) against iteration, with the snapshots marked: the cosine cycles of Eq. 2 restart after every snapshot (the paper\u2019s Figure 2).',
    spec: {
      $schema: SCHEMA,
      title: 'Learning rate and training loss against iteration',
      vconcat: [
        {
          width: WIDE,
          height: 170,
          layer: [
            {
              data: { values: options.learningRate as TracePoint[] },
              mark: { type: 'line', color: BLUE, strokeWidth: 1.5 },
              encoding: { x: { ...x, title: null }, y: { field: 'value', type: 'quantitative', title: 'learning rate' } },
            },
            ...(snapshots.length === 0
              ? []
              : [
                  {
                    data: { values: snapshots },
                    mark: { type: 'point', filled: true, size: 70, color: RED, opacity: 1 },
                    encoding: { x: { ...x, title: null }, y: { field: 'learningRate', type: 'quantitative' } },
                  },
                  {
                    data: { values: snapshots },
                    mark: { type: 'text', color: RED, dy: -12, fontSize: 11 },
                    encoding: { x: { ...x, title: null }, y: { field: 'learningRate', type: 'quantitative' }, text: { field: 'label' } },
                  },
                ]),
          ],
        },
        { width: WIDE, height: 210, layer: lossLayers },
      ],
    } as TopLevelSpec,
  };
}

/** One series of test error against ensemble size: a run, or a row of a comparison. */
export interface ErrorCurve {
  name: string;
  evaluation: Pick<EnsembleEvaluation, 'members' | 'ensembles'>;
}

/**
 * Test error of every snapshot alone (against its number k) and of the ensemble of the last m snapshots (against m),
 * for one or more runs (the paper's Figure 3 with the single snapshots beside it).
 */
export function errorChart(curves: readonly ErrorCurve[]): Chart {
  const single = curves.length === 1;
  const rows = curves.flatMap((c) => [
    ...c.evaluation.ensembles.map((e) => ({ x: e.m, error: 100 * e.error, series: single ? 'ensemble of the last m' : `${c.name}: last m`, kind: 'ensemble' })),
    ...c.evaluation.members.map((m) => ({ x: m.index, error: 100 * m.error, series: single ? 'snapshot k alone' : `${c.name}: snapshot k`, kind: 'single' })),
  ]);
  const maxX = Math.max(...rows.map((r) => r.x));
  const x = { field: 'x', type: 'quantitative' as const, title: 'm (ensemble of the last m snapshots) or k (snapshot k alone)', scale: { domain: [0.5, maxX + 0.5] }, axis: { tickMinStep: 1, format: 'd' } };
  const y = { field: 'error', type: 'quantitative' as const, title: 'test error (%)', scale: { zero: false } };
  const color = { field: 'series', type: 'nominal' as const, title: null, legend: { labelLimit: 320 } };
  return {
    id: 'error-against-m',
    caption: 'Test error of the ensemble of the last m snapshots (mean of softmax outputs) against m, and of every snapshot alone.',
    spec: {
      $schema: SCHEMA,
      title: 'Test error against the number of snapshots',
      width: WIDE,
      height: 260,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'ensemble'" }],
          mark: { type: 'line', point: { filled: true, size: 60 }, strokeWidth: 2 },
          encoding: { x, y, color },
        },
        {
          transform: [{ filter: "datum.kind === 'single'" }],
          mark: { type: 'point', shape: 'diamond', filled: false, size: 90, strokeWidth: 2 },
          encoding: { x, y, color },
        },
      ],
      data: { values: rows },
    } as TopLevelSpec,
  };
}

/** Reliability diagrams (accuracy against confidence, Guo et al. 2017) side by side. */
export function reliabilityChart(panels: readonly ReliabilityPanel[]): Chart {
  const colours = legendScale([
    ['accuracy', BLUE],
    ['mean confidence', RED],
    ['perfect calibration', GREY],
  ]);
  const x = { type: 'quantitative' as const, title: 'confidence (max probability)', scale: { domain: [0, 1] } };
  const y = { type: 'quantitative' as const, title: 'accuracy', scale: { domain: [0, 1] } };
  return {
    id: 'reliability',
    caption:
      'Reliability diagrams: the accuracy of the test images in each of 15 equal-width confidence bins (bars) against the bin\u2019s mean confidence (red ticks); a calibrated model follows the diagonal.',
    spec: {
      $schema: SCHEMA,
      title: 'Reliability: accuracy against confidence',
      hconcat: panels.map((p) => ({
        title: `${p.label}: error ${(100 * p.error).toFixed(2)}%, ECE ${(100 * p.ece).toFixed(2)}%`,
        width: 330,
        height: 300,
        layer: [
          {
            data: { values: p.bins.filter((b) => b.count > 0) },
            mark: { type: 'bar', stroke: 'white', strokeWidth: 0.5 },
            encoding: { x: { ...x, field: 'lower' }, x2: { field: 'upper' }, y: { ...y, field: 'accuracy' }, y2: { datum: 0 }, color: { datum: 'accuracy', scale: colours, title: null } },
          },
          {
            data: { values: p.bins.filter((b) => b.count > 0).map((b) => ({ ...b, centre: (b.lower + b.upper) / 2 })) },
            mark: { type: 'tick', orient: 'horizontal', thickness: 2.5, size: 16 },
            encoding: { x: { ...x, field: 'centre' }, y: { ...y, field: 'confidence' }, color: { datum: 'mean confidence', scale: colours, title: null } },
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
