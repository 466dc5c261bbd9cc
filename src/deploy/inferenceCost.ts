import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { forwardFlopsPerImage } from '../models/flops.js';
import type { ImageSet } from '../data/dataset.js';
import { evaluateEnsemble } from '../metrics/evaluate.js';
import { runTestSet } from '../ensemble/evaluateRun.js';
import { predictProbabilities } from '../models/predict.js';
import { fileSystem, MODEL_JSON } from '../io/fileSystemHandler.js';
import { readRunRecord } from '../run/runRecord.js';
import { lastSnapshots, loadSnapshotModel } from '../run/snapshots.js';
import { classificationMetrics } from '../metrics/classification.js';
import type { ProbabilityMatrix } from '../metrics/probabilities.js';

import { UserError } from '../util/errors.js';
import { onnxModelsOfRun } from './onnx/exportOnnxRun.js';
import { onnxCostPoints } from './onnx/onnxCost.js';
import { paretoFront } from './pareto.js';
import { predictPixels } from './predictPixels.js';
import type { Metrics } from '../schema/metrics.js';
import type { RunRecord } from '../schema/run.js';

export { paretoFront };

export type CostKind = 'snapshot' | 'ensemble' | 'exported' | 'student' | 'onnx';

/** One way to answer the test set: its quality and what one image costs at inference. */
export interface CostPoint {
  label: string;
  kind: CostKind;
  /** Forward passes per image (m for the ensemble of m snapshots). */
  passes: number;
  error: number;
  nll: number;
  ece: number;
  /** Multiply-adds x 2 of the convolutions and dense layers per image (forwardFlopsPerImage). */
  flopsPerImage: number;
  /** Measured: test images / seconds of the forward passes (after one warm-up batch), same backend and batch. */
  imagesPerSecond: number;
}

/** Every way to answer the test set with a run, its quality and its inference cost, and which are on the Pareto front. */
export interface InferenceCost {
  testExamples: number;
  points: CostPoint[];
  /** Whether each point is on the Pareto front of error against FLOPs per image. */
  pareto: boolean[];
  /** What was measured how, or skipped and why (ONNX Runtime). */
  notes: string[];
}

const metricsOf = ({ error, nll, ece }: Metrics) => ({ error, nll, ece });

/** Runs `pass` once on a small warm-up set, then times it on the whole set. */
function timed<T>(pass: (set: ImageSet) => T, set: ImageSet, warmUp: ImageSet): { value: T; seconds: number } {
  pass(warmUp);
  const start = performance.now();
  const value = pass(set);
  return { value, seconds: (performance.now() - start) / 1000 };
}

function firstImages(set: ImageSet, n: number): ImageSet {
  const k = Math.min(n, set.count);
  const size = set.height * set.width * set.channels;
  return { ...set, count: k, images: set.images.subarray(0, k * size), labels: set.labels.subarray(0, k) };
}

async function measureSnapshot(runDir: string, record: RunRecord, snapshot: RunRecord['snapshots'][number], test: ImageSet, warmUp: ImageSet) {
  const model = await loadSnapshotModel(runDir, snapshot);
  try {
    const { value, seconds } = timed((s) => predictProbabilities(model, s, record.data.normalization, record.data.numClasses), test, warmUp);
    return { probabilities: value, seconds, flops: forwardFlopsPerImage(model) };
  } finally {
    model.dispose();
  }
}

/** Directories under RUN_DIR/exports that hold an exported model. */
export function exportDirs(runDir: string): string[] {
  const root = path.join(runDir, 'exports');
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .sort()
    .map((name) => path.join(root, name))
    .filter((dir) => existsSync(path.join(dir, MODEL_JSON)));
}

/** An exported model under RUN_DIR/exports, loaded with tf.loadLayersModel; a one-line error when it cannot be. */
export async function loadExport(dir: string): Promise<tfl.LayersModel> {
  try {
    return await tfl.loadLayersModel(fileSystem(dir));
  } catch (e) {
    throw new UserError(`${dir}: cannot load the exported model (${(e as Error).message})`);
  }
}

/**
 * Inference cost on a run's test set, all on the current backend with the same batch (PREDICT_BATCH_SIZE): every
 * snapshot, every last-m ensemble (m passes: the sum of its members' FLOPs and times), every model exported under
 * RUN_DIR/exports, and the given distilled students (run directories trained on the same images).
 */
export async function measureInferenceCost(
  runDir: string,
  options: { students?: readonly string[]; dataDir?: string; testSize?: number; onnxThreads?: number } = {},
): Promise<InferenceCost> {
  const record = readRunRecord(runDir);
  const snapshots = lastSnapshots(record, runDir);
  const test = await runTestSet(record, options);
  const warmUp = firstImages(test, 64);
  const points: CostPoint[] = [];
  const measured: { probabilities: ProbabilityMatrix; seconds: number; flops: number }[] = [];
  for (const s of snapshots) measured.push(await measureSnapshot(runDir, record, s, test, warmUp));
  const evaluation = evaluateEnsemble(measured.map((m) => m.probabilities), test.labels, 'mean', snapshots.map((s) => s.index));
  evaluation.members.forEach((m, i) => {
    points.push({ label: `snapshot ${m.index}`, kind: 'snapshot', passes: 1, ...metricsOf(m), flopsPerImage: measured[i]!.flops, imagesPerSecond: test.count / measured[i]!.seconds });
  });
  for (const e of evaluation.ensembles) {
    const last = measured.slice(measured.length - e.m);
    const seconds = last.reduce((t, m) => t + m.seconds, 0);
    const flops = last.reduce((t, m) => t + m.flops, 0);
    points.push({ label: `ensemble of last ${e.m} (mean)`, kind: 'ensemble', passes: e.m, ...metricsOf(e), flopsPerImage: flops, imagesPerSecond: test.count / seconds });
  }
  for (const dir of exportDirs(runDir)) {
    const model = await loadExport(dir);
    try {
      const { value, seconds } = timed((s) => predictPixels(model, s, record.data.numClasses).probabilities, test, warmUp);
      points.push({ label: `exported ${path.basename(dir)}`, kind: 'exported', passes: 1, ...metricsOf(classificationMetrics(value, test.labels)), flopsPerImage: forwardFlopsPerImage(model), imagesPerSecond: test.count / seconds });
    } finally {
      model.dispose();
    }
  }
  // ONNX Runtime's CPU inference of the same ensemble as one graph, and of every .onnx under RUN_DIR/exports
  const onnxModels = await onnxModelsOfRun(runDir, record, snapshots, measured.map((m) => m.flops));
  const onnx = await onnxCostPoints(onnxModels, test, warmUp, options.onnxThreads);
  points.push(...onnx.points);
  for (const studentDir of options.students ?? []) {
    const student = readRunRecord(studentDir);
    const shape = student.data.inputShape.join('x');
    if (shape !== record.data.inputShape.join('x')) throw new UserError(`${studentDir}: the student takes ${shape} images, the run ${record.data.inputShape.join('x')}`);
    const last = lastSnapshots(student, studentDir, 1)[0]!;
    const m = await measureSnapshot(studentDir, student, last, test, warmUp);
    points.push({
      label: `student ${path.basename(path.resolve(studentDir))} (${student.config.model})`,
      kind: 'student',
      passes: 1,
      ...metricsOf(classificationMetrics(m.probabilities, test.labels)),
      flopsPerImage: m.flops,
      imagesPerSecond: test.count / m.seconds,
    });
  }
  return { testExamples: test.count, points, pareto: paretoFront(points), notes: onnx.note === null ? [] : [onnx.note] };
}
