import { statSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { forwardFlopsPerImage } from '../bench/flops.js';
import { combine } from '../ensemble/combine.js';
import { runTestSet, snapshotProbabilities } from '../ensemble/evaluateRun.js';
import { fileSystem, MODEL_JSON, WEIGHTS_BIN } from '../io/fileSystemHandler.js';
import { checkFreshOutput, removeIfEmpty } from '../io/outputDir.js';
import { readRunRecord } from '../io/runRecord.js';
import { lastSnapshots, loadSnapshotModel } from '../io/snapshots.js';
import { classificationMetrics, type Metrics } from '../metrics/classification.js';
import { ensembleModel, EXPORT_PIXEL_RANGE, type ExportCombine } from './ensembleModel.js';
import { predictPixels } from './predictPixels.js';
import { quantizeWeights, type Quantization } from './quantize.js';

/** What an exported model.json says about itself, under userDefinedMetadata.snapshotEnsembles. */
export interface ExportMetadata {
  run: string;
  /** Snapshot numbers of the members, in order. */
  members: number[];
  combine: ExportCombine;
  quantization: Quantization | null;
  /** The input: raw pixel values in this range, H x W x C. */
  pixelRange: readonly [number, number];
  inputShape: [number, number, number];
  classNames: string[];
}

export interface ExportOptions {
  /** The last m snapshots (default all). */
  last?: number;
  combine?: ExportCombine;
  /** Directory to write model.json and weights.bin to (default RUN_DIR/exports/last<m>-<combine>[-<quantization>]). */
  outDir?: string;
  quantize?: Quantization | null;
}

export interface ModelCost {
  metrics: Metrics;
  /** Forward passes over the test set, in seconds (same backend, batches of 500). */
  seconds: number;
  imagesPerSecond: number;
}

export interface ExportResult {
  outDir: string;
  metadata: ExportMetadata;
  /** Bytes of model.json and weights.bin, and what weights.bin would hold in float32. */
  bytes: { modelJson: number; weights: number; float32Weights: number };
  flopsPerImage: number;
  testExamples: number;
  /** The m-pass ensemble as `evaluate` computes it, snapshot by snapshot. */
  ensemble: ModelCost;
  /** The exported files loaded back with tf.loadLayersModel. */
  exported: ModelCost;
  /** Largest difference between the two's class probabilities on the test set. */
  maxAbsDifference: number;
}

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

const cost = (probabilities: Parameters<typeof classificationMetrics>[0], labels: ArrayLike<number>, seconds: number, images: number): ModelCost => ({
  metrics: classificationMetrics(probabilities, labels),
  seconds,
  imagesPerSecond: images / Math.max(seconds, 1e-9),
});

/**
 * Exports the ensemble of a run's last m snapshots as one TF.js layers model of standard layers (ensembleModel),
 * quantised on request, to a new directory; then loads it back with tf.loadLayersModel and measures it on the
 * run's test set against the m-pass ensemble: metrics, the largest difference in probabilities, and speed.
 */
export async function exportRun(runDir: string, options: ExportOptions = {}): Promise<ExportResult> {
  const record = readRunRecord(runDir);
  const snapshots = lastSnapshots(record, runDir, options.last);
  const rule = options.combine ?? 'mean';
  const quantization = options.quantize ?? null;
  const outDir = options.outDir ?? defaultExportDir(runDir, snapshots.length, rule, quantization);
  checkFreshOutput(outDir);
  const test = await runTestSet(record);
  const started = performance.now();
  const { indices, probabilities } = await snapshotProbabilities(runDir, record, test, snapshots.length);
  const ensembleSeconds = (performance.now() - started) / 1000;
  const reference = combine(probabilities, rule);

  const members: tfl.LayersModel[] = [];
  const metadata: ExportMetadata = {
    run: path.resolve(runDir),
    members: indices,
    combine: rule,
    quantization,
    pixelRange: EXPORT_PIXEL_RANGE,
    inputShape: record.data.inputShape,
    classNames: record.data.classNames,
  };
  const seen = { float32Bytes: 0 };
  let flopsPerImage: number;
  try {
    for (const s of snapshots) members.push(await loadSnapshotModel(runDir, s));
    const model = ensembleModel(members, { normalization: record.data.normalization, combine: rule });
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

  const loaded = await tfl.loadLayersModel(fileSystem(outDir));
  let exported;
  try {
    exported = predictPixels(loaded, test, record.data.numClasses);
  } finally {
    loaded.dispose();
  }
  let maxAbsDifference = 0;
  for (let j = 0; j < reference.data.length; j++) maxAbsDifference = Math.max(maxAbsDifference, Math.abs(reference.data[j]! - exported.probabilities.data[j]!));
  return {
    outDir,
    metadata,
    bytes: {
      modelJson: statSync(path.join(outDir, MODEL_JSON)).size,
      weights: statSync(path.join(outDir, WEIGHTS_BIN)).size,
      float32Weights: seen.float32Bytes,
    },
    flopsPerImage,
    testExamples: test.count,
    ensemble: cost(reference, test.labels, ensembleSeconds, test.count),
    exported: cost(exported.probabilities, test.labels, exported.seconds, test.count),
    maxAbsDifference,
  };
}
