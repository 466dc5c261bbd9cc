import type * as tfl from '@tensorflow/tfjs-layers';
import { takeFirst, type ImageSet } from '../data/dataset.js';
import { predictProbabilities } from '../models/predict.js';
import { readRunRecord, runTask } from '../run/runRecord.js';
import { loadSnapshotModel } from '../run/snapshots.js';
import { classificationMetrics } from '../metrics/classification.js';
import { loadRunDataset, runTestSet, type RunDataOptions } from '../run/runData.js';
import { updateBatchNorm } from '../training/swa.js';
import { readTrainable, writeTrainable } from '../training/swag.js';
import { UserError } from '../util/errors.js';
import { interpolate, planeGrid, planePoint, planeThrough, segmentAlphas } from './geometry.js';
import type { RunRecord } from '../schema/run.js';

export const LANDSCAPE_FORMAT = 'snapshot-ensembles/landscape';
export const LANDSCAPE_FORMAT_VERSION = 1;
export const LANDSCAPE_JSON = 'landscape.json';

/** Training loss and error, and test error and NLL, of one set of weights (batch norm re-estimated for it). */
export interface LandscapeValues {
  trainLoss: number;
  trainError: number;
  testError: number;
  testNll: number;
}

/** The loss and error along the straight line between two consecutive snapshots, and the barriers above the chord. */
export interface LandscapeSegment {
  /** Snapshot numbers at alpha = 0 and alpha = 1. */
  from: number;
  to: number;
  points: (LandscapeValues & { alpha: number })[];
  /**
   * The barrier: the highest training loss along the segment above the straight line between its ends' losses
   * (Garipov et al.'s and Draxler et al.'s measure); about 0 when the two snapshots lie in one basin.
   */
  lossBarrier: number;
  /** The same for the test error. */
  errorBarrier: number;
}

/** The loss and error over the plane through three snapshots, on a grid. */
export interface LandscapePlane {
  /** The three snapshots the plane passes through, and their coordinates in it. */
  snapshots: [number, number, number];
  anchors: [number, number][];
  size: number;
  points: (LandscapeValues & { x: number; y: number })[];
}

/** What `landscape` writes (landscape.json in the run directory), and the run report draws. */
export interface LandscapeResult {
  format: typeof LANDSCAPE_FORMAT;
  version: number;
  createdAt: string;
  /** Training images the batch-norm statistics and the training loss were computed on (not augmented). */
  trainImages: number;
  testImages: number;
  segments: LandscapeSegment[];
  plane: LandscapePlane | null;
  /** Weight sets evaluated and the seconds they took. */
  evaluations: number;
  seconds: number;
}

export interface LandscapeOptions extends RunDataOptions {
  /** Points per segment, both ends included (default 11). */
  points?: number;
  /** Points a side of the plane's grid (default 11); 0 leaves the plane out. */
  grid?: number;
  /** Snapshot numbers of the plane (default the last three). */
  planeSnapshots?: [number, number, number];
  /** Use the first N training images for batch norm and the training loss (default all of the run's). */
  trainImages?: number;
  /** Use the first N test images (default the run's test set). */
  testImages?: number;
}

/** max_alpha (value(alpha) - ((1 - alpha) value(0) + alpha value(1))): the bump above the chord. */
export function barrier(points: readonly { alpha: number; value: number }[]): number {
  const first = points[0]!.value;
  const last = points.at(-1)!.value;
  return Math.max(...points.map((p) => p.value - ((1 - p.alpha) * first + p.alpha * last)));
}

function valuesOf(model: tfl.LayersModel, weights: Float32Array, train: ImageSet, test: ImageSet, record: RunRecord): LandscapeValues {
  const { normalization, numClasses } = record.data;
  writeTrainable(model, weights);
  updateBatchNorm(model, train, normalization);
  const onTrain = classificationMetrics(predictProbabilities(model, train, normalization, numClasses), train.labels);
  const onTest = classificationMetrics(predictProbabilities(model, test, normalization, numClasses), test.labels);
  return { trainLoss: onTrain.nll, trainError: onTrain.error, testError: onTest.error, testNll: onTest.nll };
}

/**
 * The paper's Figure 1 measured on a run: training loss and test error along the straight line between every two
 * consecutive snapshots, and over the plane through three of them, with the batch-norm statistics re-estimated on
 * the training images at every point (only the trainable weights are interpolated).
 */
export async function measureLandscape(runDir: string, options: LandscapeOptions = {}): Promise<LandscapeResult> {
  const started = performance.now();
  const record = readRunRecord(runDir);
  if (runTask(record) === 'regression') throw new UserError(`${runDir}: a regression run; the landscape measures classification runs (training loss and test error)`);
  const snapshots = record.snapshots;
  if (snapshots.length < 2) throw new UserError(`${runDir}: the landscape needs at least 2 snapshots, the run holds ${snapshots.length}`);
  const pointsPerSegment = options.points ?? 11;
  if (!Number.isInteger(pointsPerSegment) || pointsPerSegment < 2) throw new UserError(`--points must be an integer >= 2, got ${pointsPerSegment}`);
  const grid = options.grid ?? 11;
  if (!Number.isInteger(grid) || grid === 1 || grid < 0) throw new UserError(`--grid must be 0 (no plane) or an integer >= 2, got ${grid}`);
  const planeIndices = options.planeSnapshots ?? (snapshots.length >= 3 ? (snapshots.slice(-3).map((s) => s.index) as [number, number, number]) : null);
  if (grid > 0 && planeIndices !== null) {
    for (const i of planeIndices) if (!snapshots.some((s) => s.index === i)) throw new UserError(`--plane: the run has no snapshot ${i}`);
    if (new Set(planeIndices).size !== 3) throw new UserError('--plane needs three different snapshots');
  }
  const dataset = await loadRunDataset(record, options);
  const train = options.trainImages === undefined ? dataset.train : takeFirst(dataset.train, options.trainImages);
  const testSet = await runTestSet(record, options.dataset === undefined ? {} : { dataset: options.dataset });
  const test = options.testImages === undefined ? testSet : takeFirst(testSet, options.testImages);
  const weights = new Map<number, Float32Array>();
  let model: tfl.LayersModel | null = null;
  for (const s of snapshots) {
    const loaded = await loadSnapshotModel(runDir, s);
    weights.set(s.index, readTrainable(loaded));
    if (model === null) model = loaded;
    else loaded.dispose();
  }
  const totalPoints = (snapshots.length - 1) * (pointsPerSegment - 1) + 1 + (grid > 0 && planeIndices !== null ? grid * grid : 0);
  let evaluations = 0;
  const evaluate = (w: Float32Array): LandscapeValues => {
    evaluations++;
    const values = valuesOf(model!, w, train, test, record);
    if (evaluations % 10 === 0 || evaluations === totalPoints) {
      options.reporter?.info?.(`landscape: ${evaluations}/${totalPoints} weight sets evaluated (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
    return values;
  };
  try {
    const segments: LandscapeSegment[] = [];
    let shared: LandscapeValues | null = null;
    for (let k = 0; k + 1 < snapshots.length; k++) {
      const a = snapshots[k]!;
      const b = snapshots[k + 1]!;
      const points = segmentAlphas(pointsPerSegment).map((alpha, i) => {
        // the end of one segment is the start of the next: evaluated once
        const values = i === 0 && shared !== null ? shared : evaluate(interpolate(weights.get(a.index)!, weights.get(b.index)!, alpha));
        return { ...values, alpha };
      });
      shared = points.at(-1)!;
      segments.push({
        from: a.index,
        to: b.index,
        points,
        lossBarrier: barrier(points.map((p) => ({ alpha: p.alpha, value: p.trainLoss }))),
        errorBarrier: barrier(points.map((p) => ({ alpha: p.alpha, value: p.testError }))),
      });
    }
    let plane: LandscapePlane | null = null;
    if (grid > 0 && planeIndices !== null) {
      const [i1, i2, i3] = planeIndices;
      const geometry = planeThrough(weights.get(i1)!, weights.get(i2)!, weights.get(i3)!);
      const points = planeGrid(geometry, grid).map(({ x, y }) => ({ x, y, ...evaluate(planePoint(geometry, x, y)) }));
      plane = { snapshots: planeIndices, anchors: geometry.anchors, size: grid, points };
    }
    return {
      format: LANDSCAPE_FORMAT,
      version: LANDSCAPE_FORMAT_VERSION,
      createdAt: new Date().toISOString(),
      trainImages: train.count,
      testImages: test.count,
      segments,
      plane,
      evaluations,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    model?.dispose();
  }
}
