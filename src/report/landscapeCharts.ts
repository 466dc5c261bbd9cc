import type { TopLevelSpec } from 'vega-lite';
import type { LandscapePlane, LandscapeResult } from '../landscape/measure.js';
import { BLUE, RED, SCHEMA, WIDE, type Chart } from './charts.js';

/**
 * The paper's Figure 1, measured: training loss and test error along the straight lines between consecutive
 * snapshots (x = k + alpha on the segment from snapshot k to k + 1), the snapshots marked.
 */
export function landscapeLinesChart(result: LandscapeResult): Chart {
  const values = result.segments.flatMap((s, k) =>
    s.points.map((p) => ({ position: k + p.alpha, trainLoss: p.trainLoss, testError: 100 * p.testError, segment: `${s.from}-${s.to}` })),
  );
  const ends = result.segments.flatMap((s, k) => [
    ...(k === 0 ? [{ position: 0, trainLoss: s.points[0]!.trainLoss, testError: 100 * s.points[0]!.testError, label: `snapshot ${s.from}` }] : []),
    { position: k + 1, trainLoss: s.points.at(-1)!.trainLoss, testError: 100 * s.points.at(-1)!.testError, label: `snapshot ${s.to}` },
  ]);
  const x = { field: 'position', type: 'quantitative' as const, title: 'position along the path (snapshot k at k - 1)', axis: { tickMinStep: 1 } };
  const panel = (field: string, title: string) => ({
    width: WIDE,
    height: 160,
    layer: [
      { data: { values }, mark: { type: 'line', color: BLUE, point: { size: 18 } }, encoding: { x, y: { field, type: 'quantitative', title, scale: { zero: false } }, detail: { field: 'segment' } } },
      { data: { values: ends }, mark: { type: 'point', filled: true, size: 70, color: RED }, encoding: { x, y: { field, type: 'quantitative' } } },
      { data: { values: ends }, mark: { type: 'text', color: RED, dy: -10, fontSize: 10 }, encoding: { x, y: { field, type: 'quantitative' }, text: { field: 'label' } } },
    ],
  });
  return {
    id: 'landscape-lines',
    caption:
      `Training loss (top, on ${result.trainImages} training images) and test error (bottom) along the straight line between every two consecutive snapshots, ` +
      'batch-norm statistics re-estimated at every point: a bump between two snapshots (a barrier) says they sit in different minima, a flat line says one.',
    spec: { $schema: SCHEMA, title: 'Between consecutive snapshots', vconcat: [panel('trainLoss', 'training loss'), panel('testError', 'test error (%)')] } as TopLevelSpec,
  };
}

/** One colour map of the plane through three snapshots: the grid's cells coloured by `field`, the snapshots marked. */
function planePanel(plane: LandscapePlane, field: 'trainLoss' | 'testError', title: string): object {
  const xs = [...new Set(plane.points.map((p) => p.x))];
  const ys = [...new Set(plane.points.map((p) => p.y))];
  const dx = (xs[1]! - xs[0]!) / 2;
  const dy = (ys[1]! - ys[0]!) / 2;
  const cells = plane.points.map((p) => ({ x: p.x - dx, x2: p.x + dx, y: p.y - dy, y2: p.y + dy, value: field === 'testError' ? 100 * p.testError : p.trainLoss }));
  const anchors = plane.anchors.map(([x, y], i) => ({ x, y, label: `snapshot ${plane.snapshots[i]}` }));
  const axis = (name: string) => ({ field: name, type: 'quantitative' as const, title: null, scale: { nice: false, zero: false } });
  return {
    width: 330,
    height: 330,
    title,
    layer: [
      {
        data: { values: cells },
        mark: { type: 'rect' },
        encoding: {
          x: axis('x'),
          x2: { field: 'x2' },
          y: axis('y'),
          y2: { field: 'y2' },
          color: { field: 'value', type: 'quantitative', title, scale: { scheme: 'viridis', type: field === 'trainLoss' ? 'log' : 'linear' }, legend: { orient: 'bottom' } },
        },
      },
      { data: { values: anchors }, mark: { type: 'point', filled: true, size: 80, color: 'white', stroke: 'black' }, encoding: { x: axis('x'), y: axis('y') } },
      { data: { values: anchors }, mark: { type: 'text', color: 'white', dy: -12, fontSize: 11 }, encoding: { x: axis('x'), y: axis('y'), text: { field: 'label' } } },
    ],
  };
}

/** The plane through three snapshots (Garipov et al.'s mode-connectivity planes): training loss and test error. */
export function landscapePlaneChart(plane: LandscapePlane): Chart {
  return {
    id: 'landscape-plane',
    caption:
      `Training loss (left, log colour scale) and test error (right) over the plane through snapshots ${plane.snapshots.join(', ')} ` +
      `(${plane.size} x ${plane.size} points, orthonormal coordinates in weight space), batch-norm statistics re-estimated at every point: separate ` +
      'low regions around the snapshots are separate minima.',
    spec: {
      $schema: SCHEMA,
      title: `Plane through snapshots ${plane.snapshots.join(', ')}`,
      hconcat: [planePanel(plane, 'trainLoss', 'training loss'), planePanel(plane, 'testError', 'test error (%)')],
      resolve: { scale: { color: 'independent' } },
    } as TopLevelSpec,
  };
}
