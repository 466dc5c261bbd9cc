import { statSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { forwardFlopsPerImage } from '../models/flops.js';
import { combine } from '../metrics/combine.js';
import { snapshotGaussians, snapshotProbabilities } from '../ensemble/evaluateRun.js';
import { combineGaussians, regressionMetrics } from '../metrics/regression.js';
import { fileSystem, MODEL_JSON, WEIGHTS_BIN } from '../io/fileSystemHandler.js';
import { checkFreshOutput, removeIfEmpty } from '../io/outputDir.js';
import { readRunRecord, runExampleValues, runTask } from '../run/runRecord.js';
import { runDataReadable, runTestSet, type RunTestSetOptions } from '../run/runData.js';
import type { ImageSet } from '../data/dataset.js';
import { UserError } from '../util/errors.js';
import { lastSnapshots, loadSnapshotModel } from '../run/snapshots.js';
import { classificationMetrics } from '../metrics/classification.js';
import { probabilityMatrix } from '../metrics/probabilities.js';
import { ensembleModel, EXPORT_PIXEL_RANGE, REGRESSION_OUTPUTS, type ExportCombine } from './ensembleModel.js';
import { predictRaw } from './predictPixels.js';
import { quantizeWeights, type Quantization } from './quantize.js';
import type { Metrics, RegressionMetrics } from '../schema/metrics.js';
import type { ExampleValues, RunRecord } from '../schema/run.js';

/** What an exported model.json says about itself, under userDefinedMetadata.snapshotEnsembles. */
export interface ExportMetadata {
  /** The run directory's name (not its path on the machine that exported it). */
  run: string;
  /** Snapshot numbers of the members, in order. */
  members: number[];
  combine: ExportCombine;
  quantization: Quantization | null;
  task: 'classification' | 'regression';
  /** The input: raw pixel values in this range (bytes), or a table's raw values (numbers, pixelRange null). */
  values: ExampleValues;
  pixelRange: readonly [number, number] | null;
  /** H x W x C for images; [features] for a table. */
  inputShape: number[];
  /** Classes in order; a regression's target column. */
  classNames: string[];
  /** Regression: the outputs' meaning, column by column (the predictive mean and variance, in the target's units). */
  outputs?: readonly string[];
}

/** Which members to export, how, where, and on which data to measure the export. */
export interface ExportOptions extends Pick<RunTestSetOptions, 'dataset' | 'dataDir' | 'testSize'> {
  /** The last m snapshots (default all). */
  last?: number;
  combine?: ExportCombine;
  /** Directory to write model.json and weights.bin to (default RUN_DIR/exports/last<m>-<combine>[-<quantization>]). */
  outDir?: string;
  quantize?: Quantization | null;
}

/** A model's metrics on the test set and the time its forward passes took. */
export interface ModelCost {
  /** Classification metrics (error, NLL, ECE, Brier), or a regression's (RMSE, MAE, NLL). */
  metrics: Metrics | RegressionMetrics;
  /** Forward passes over the test set, in seconds (same backend, batches of 500). */
  seconds: number;
  imagesPerSecond: number;
}

/** The exported model against the m-pass ensemble on the test set. */
export interface ExportMeasurement {
  testExamples: number;
  /** The m-pass ensemble as `evaluate` computes it, snapshot by snapshot. */
  ensemble: ModelCost;
  /** The exported files loaded back with tf.loadLayersModel. */
  exported: ModelCost;
  /** Largest difference between the two's outputs (class probabilities; a regression's mean and variance). */
  maxAbsDifference: number;
}

/** What exportRun wrote and, where the test set could be read, how the export compares with the ensemble. */
export interface ExportResult {
  outDir: string;
  metadata: ExportMetadata;
  /** Bytes of model.json and weights.bin, and what weights.bin would hold in float32. */
  bytes: { modelJson: number; weights: number; float32Weights: number };
  flopsPerImage: number;
  /** Null when the run's examples cannot be read again (given in memory) and none were given. */
  measured: ExportMeasurement | null;
}

/** Where `export` writes when no --out is given: RUN_DIR/exports/last<m>-<combine>[-<quantization>]. */
export function defaultExportDir(runDir: string, m: number, rule: ExportCombine, quantization: Quantization | null): string {
  return path.join(runDir, 'exports', `last${m}-${rule}${quantization === null ? '' : `-${quantization}`}`);
}

/** An IOHandler that quantises the weights and hands them on to another handler. */
function quantizing(inner: tf.io.IOHandler, dtype: Quantization | null, seen: { float32Bytes: number }): tf.io.IOHandler {
  return {
    save: async (artifacts) => {
      const data = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      seen.float32Bytes = data.byteLength;
      if (dtype === null) return inner.save!(artifacts);
      const q = quantizeWeights(artifacts.weightSpecs ?? [], data, dtype);
      return inner.save!({ ...artifacts, weightSpecs: q.specs, weightData: q.data });
    },
  };
}

const costOf = (metrics: ModelCost['metrics'], seconds: number, images: number): ModelCost => ({ metrics, seconds, imagesPerSecond: images / Math.max(seconds, 1e-9) });

/** The m-pass ensemble's outputs on the test set, as the exported model gives them, and its metrics. */
async function ensembleReference(runDir: string, record: RunRecord, test: ImageSet, m: number, rule: ExportCombine): Promise<{ outputs: Float32Array; metrics: ModelCost['metrics']; seconds: number }> {
  const started = performance.now();
  if (runTask(record) === 'regression') {
    const { members } = await snapshotGaussians(runDir, record, test, m);
    const c = combineGaussians(members);
    const outputs = new Float32Array(2 * test.count);
    for (let i = 0; i < test.count; i++) {
      outputs[2 * i] = c.mean[i]!;
      outputs[2 * i + 1] = c.variance[i]!;
    }
    return { outputs, metrics: regressionMetrics(c.mean, c.variance, test.labels), seconds: (performance.now() - started) / 1000 };
  }
  const { probabilities } = await snapshotProbabilities(runDir, record, test, m);
  const seconds = (performance.now() - started) / 1000;
  const reference = combine(probabilities, rule);
  return { outputs: reference.data instanceof Float32Array ? reference.data : Float32Array.from(reference.data), metrics: classificationMetrics(reference, test.labels), seconds };
}

/** The exported model's metrics from its outputs on the test set. */
function exportedMetrics(record: RunRecord, outputs: Float32Array, test: ImageSet): ModelCost['metrics'] {
  if (runTask(record) !== 'regression') return classificationMetrics(probabilityMatrix(outputs, record.data.numClasses), test.labels);
  const mean = new Float64Array(test.count);
  const variance = new Float64Array(test.count);
  for (let i = 0; i < test.count; i++) {
    mean[i] = outputs[2 * i]!;
    variance[i] = outputs[2 * i + 1]!;
  }
  return regressionMetrics(mean, variance, test.labels);
}

/**
 * Exports the ensemble of a run's last m snapshots as one TF.js layers model of standard layers (ensembleModel):
 * class probabilities, or a regression's predictive mean and variance; quantised on request, to a new directory.
 * Then, where the run's test set can be read (or is given), loads the files back with tf.loadLayersModel and
 * measures them against the m-pass ensemble: metrics, the largest difference in the outputs, and speed.
 */
export async function exportRun(runDir: string, options: ExportOptions = {}): Promise<ExportResult> {
  const record = readRunRecord(runDir);
  const snapshots = lastSnapshots(record, runDir, options.last);
  const regression = runTask(record) === 'regression';
  const rule = options.combine ?? 'mean';
  if (regression && rule !== 'mean') throw new UserError(`--combine ${rule} combines class probabilities; a regression ensemble is the mixture of its members' Gaussians (mean)`);
  const quantization = options.quantize ?? null;
  const outDir = options.outDir ?? defaultExportDir(runDir, snapshots.length, rule, quantization);
  checkFreshOutput(outDir);
  const measurable = runDataReadable(record) || options.dataset !== undefined || options.dataDir !== undefined;
  const test = measurable ? await runTestSet(record, options) : null;
  const reference = test === null ? null : await ensembleReference(runDir, record, test, snapshots.length, rule);
  const values = runExampleValues(record);
  const metadata: ExportMetadata = {
    run: path.basename(path.resolve(runDir)),
    members: snapshots.map((s) => s.index),
    combine: rule,
    quantization,
    task: regression ? 'regression' : 'classification',
    values,
    pixelRange: values === 'bytes' ? EXPORT_PIXEL_RANGE : null,
    inputShape: record.data.exampleShape ?? [...record.data.inputShape],
    classNames: record.data.classNames,
    ...(regression ? { outputs: REGRESSION_OUTPUTS } : {}),
  };
  const seen = { float32Bytes: 0 };
  let flopsPerImage: number;
  const members: tfl.LayersModel[] = [];
  try {
    for (const s of snapshots) members.push(await loadSnapshotModel(runDir, s));
    const model = ensembleModel(members, {
      normalization: record.data.normalization,
      values,
      combine: rule,
      ...(regression ? { regression: { noiseVariances: snapshots.map((s) => s.noiseVariance!), target: record.data.targetNormalization ?? { mean: 0, std: 1 } } } : {}),
    });
    try {
      flopsPerImage = forwardFlopsPerImage(model);
      model.setUserDefinedMetadata({ snapshotEnsembles: metadata });
      removeIfEmpty(outDir);
      await model.save(quantizing(fileSystem(outDir), quantization, seen));
    } finally {
      model.dispose();
    }
  } finally {
    members.forEach((m) => m.dispose());
  }
  const bytes = {
    modelJson: statSync(path.join(outDir, MODEL_JSON)).size,
    weights: statSync(path.join(outDir, WEIGHTS_BIN)).size,
    float32Weights: seen.float32Bytes,
  };
  if (test === null || reference === null) return { outDir, metadata, bytes, flopsPerImage, measured: null };

  const loaded = await tfl.loadLayersModel(fileSystem(outDir));
  let exported;
  try {
    exported = predictRaw(loaded, test, regression ? 2 : record.data.numClasses);
  } finally {
    loaded.dispose();
  }
  let maxAbsDifference = 0;
  for (let j = 0; j < reference.outputs.length; j++) maxAbsDifference = Math.max(maxAbsDifference, Math.abs(reference.outputs[j]! - exported.values[j]!));
  return {
    outDir,
    metadata,
    bytes,
    flopsPerImage,
    measured: {
      testExamples: test.count,
      ensemble: costOf(reference.metrics, reference.seconds, test.count),
      exported: costOf(exportedMetrics(record, exported.values, test), exported.seconds, test.count),
      maxAbsDifference,
    },
  };
}
