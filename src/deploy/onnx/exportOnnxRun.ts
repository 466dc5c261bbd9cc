import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ImageSet } from '../../data/dataset.js';
import { combine } from '../../metrics/combine.js';
import { snapshotGaussians, snapshotProbabilities } from '../../ensemble/evaluateRun.js';
import { runDataReadable, runTestSet, type RunTestSetOptions } from '../../run/runData.js';
import { writeFileAtomic } from '../../io/atomicWrite.js';
import { makeOutputDir } from '../../io/outputDir.js';
import { readRunRecord, runExampleValues, runTask } from '../../run/runRecord.js';
import { lastSnapshots, loadSnapshotModel } from '../../run/snapshots.js';
import { classificationMetrics } from '../../metrics/classification.js';
import { probabilityMatrix } from '../../metrics/probabilities.js';
import { combineGaussians, regressionMetrics } from '../../metrics/regression.js';
import { UserError } from '../../util/errors.js';
import { EXPORT_PIXEL_RANGE, type ExportCombine } from '../ensembleModel.js';
import { ensembleOnnx, ONNX_OPSET, onnxInterface, type OnnxEnsemble, type OnnxEnsembleSpec, type OnnxTensorInfo } from './ensembleOnnx.js';
import type { OnnxLayout } from './heads.js';
import type { OnnxToTime } from './onnxCost.js';
import { decodeModel } from './protobuf.js';
import { loadOnnxRuntime, ONNX_RUNTIME_MISSING, openOnnx, predictOnnx, runtimeName } from './runtime.js';
import type { OnnxWeightStorage } from './weightStorage.js';
import type { Metrics, RegressionMetrics } from '../../schema/metrics.js';
import type { RunRecord, SnapshotRecord } from '../../schema/run.js';

/**
 * `export --format onnx`: the one place the ONNX exporter reads a run directory. It turns what run.json says
 * (input shape and kind, normalisation, task, classes or target) into an OnnxEnsembleSpec, loads the last m
 * snapshots, writes the file, and checks it in ONNX Runtime against `evaluate`'s ensemble on the test set.
 */

export type OnnxQuantization = Exclude<OnnxWeightStorage, 'float32'>;

/** Which members to export as ONNX, how, where, and on which data to check the file. */
export interface OnnxExportOptions extends Pick<RunTestSetOptions, 'dataset' | 'dataDir'> {
  last?: number;
  combine?: ExportCombine;
  quantize?: OnnxQuantization | null;
  layout?: OnnxLayout;
  /** The file to write (default RUN_DIR/exports/last<m>-<combine>[-<quantization>][-nchw].onnx); it must not exist. */
  out?: string;
  /** ONNX Runtime's intra-op threads for the check (default: its own choice). */
  threads?: number;
}

/** What the file says about itself, as JSON under the metadata key `snapshot_ensembles`. */
export interface OnnxExportMetadata {
  /** The run directory's name. */
  run: string;
  members: number[];
  task: 'classification' | 'regression';
  combine: ExportCombine;
  quantization: OnnxQuantization | null;
  layout: OnnxLayout;
  /** Raw pixel values in this range, or null for a table's raw feature values. */
  pixelRange: readonly [number, number] | null;
  input: OnnxTensorInfo;
  outputs: OnnxTensorInfo[];
  opset: number;
  classNames: string[];
  /** Regression: the target column and the training targets' mean and std. */
  target: { name: string; mean: number; std: number } | null;
}

/** The exported file run in ONNX Runtime against the m-pass ensemble as `evaluate` computes it. */
export type OnnxCheck = { runtime: string; maxAbsDifference: number } & (
  | { task: 'classification'; ensemble: Metrics; exported: Metrics }
  | { task: 'regression'; ensemble: RegressionMetrics; exported: RegressionMetrics }
);

/** What exportOnnxRun wrote, and the file run in ONNX Runtime against the ensemble. */
export interface OnnxExportResult {
  file: string;
  bytes: number;
  metadata: OnnxExportMetadata;
  /** The weight matrices and filters as stored, and as float32. */
  weights: { storedBytes: number; float32Bytes: number };
  nodes: number;
  /** 0 when not checked. */
  testExamples: number;
  /** Null when onnxruntime-node is not installed, or the run's examples cannot be read (then `note` says so). */
  check: OnnxCheck | null;
  note: string | null;
}

/** Where `export --format onnx` writes when no --out is given: RUN_DIR/exports/last<m>-<combine>[-<quantization>][-nchw].onnx. */
export function defaultOnnxFile(runDir: string, m: number, rule: ExportCombine, quantization: OnnxQuantization | null, layout: OnnxLayout): string {
  return path.join(runDir, 'exports', `last${m}-${rule}${quantization === null ? '' : `-${quantization}`}${layout === 'nchw' ? '-nchw' : ''}.onnx`);
}

/** The spec of a run's ensemble of the given snapshots: what run.json says about the input and the task. */
export function onnxSpecOfRun(record: RunRecord, snapshots: readonly SnapshotRecord[], options: { combine: ExportCombine; layout: OnnxLayout; quantize: OnnxQuantization | null }): OnnxEnsembleSpec {
  const table = runExampleValues(record) === 'numbers';
  const inputShape = record.data.exampleShape ?? record.data.inputShape;
  if (options.layout === 'nchw' && inputShape.length !== 3) throw new UserError(`--layout nchw applies to images; this run's examples are [${inputShape.join(', ')}]`);
  const regression = runTask(record) === 'regression';
  if (regression && options.combine !== 'mean') throw new UserError(`--combine ${options.combine} applies to classification; a regression ensemble is the mean of its members`);
  const target = record.data.targetNormalization ?? { mean: 0, std: 1 };
  const noise = snapshots.map((s) => s.noiseVariance);
  return {
    inputShape,
    input: table ? { kind: 'features' } : { kind: 'pixels', range: EXPORT_PIXEL_RANGE },
    normalization: record.data.normalization,
    head: regression
      ? { task: 'regression', target, noiseVariances: noise.every((v): v is number => v !== undefined) ? noise : null }
      : { task: 'classification', combine: options.combine, classNames: record.data.classNames },
    layout: options.layout,
    weights: options.quantize ?? 'float32',
    name: `${record.config.model}_ensemble_of_${snapshots.length}`,
  };
}

/** The model's doc_string: what goes in and what comes out. */
function onnxDoc(meta: OnnxExportMetadata): string {
  const members = `the ensemble of snapshots ${meta.members.join(', ')} of run ${meta.run}`;
  const input = meta.pixelRange === null ? 'raw feature values' : `raw pixel values in [${meta.pixelRange.join(', ')}] (${meta.layout === 'nchw' ? 'N x C x H x W' : 'N x H x W x C'})`;
  const output = meta.task === 'classification' ? `class probabilities (${meta.combine === 'mean' ? 'mean of the members\' softmax outputs' : 'softmax of the mean logits'})` : `the ensemble mean of ${meta.target!.name}, the members' spread and the predictive variance`;
  return `${members}, written by snapshot-ensembles: ${input} in, ${output} out.`;
}

/** Refuses an output path that exists (a file or a directory): an export never lands on old files. */
function checkNewFile(file: string): void {
  if (existsSync(file)) throw new UserError(`${file} already exists; choose another --out`);
}

const maxDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
};

/** The written file in ONNX Runtime on the run's test set, against `evaluate`'s last-m ensemble. */
async function checkInRuntime(
  file: string,
  runDir: string,
  record: RunRecord,
  test: ImageSet,
  m: number,
  rule: ExportCombine,
  layout: OnnxLayout,
  threads?: number,
): Promise<{ check: OnnxCheck | null; note: string | null }> {
  const ort = await loadOnnxRuntime();
  if (ort === null) return { check: null, note: `not checked: ${ONNX_RUNTIME_MISSING}` };
  const session = await openOnnx(ort, file, threads);
  try {
    const { outputs } = await predictOnnx(ort, session, test, layout);
    const runtime = runtimeName(ort);
    if (runTask(record) === 'regression') {
      const { members } = await snapshotGaussians(runDir, record, test, m);
      const reference = combineGaussians(members);
      const mean = outputs['mean']!;
      const variance = outputs['variance'] ?? Float32Array.from(outputs['spread']!, (s) => s * s);
      const maxAbsDifference = Math.max(maxDifference(mean, reference.mean), maxDifference(outputs['spread']!, reference.spread));
      return {
        check: { runtime, maxAbsDifference, task: 'regression', ensemble: regressionMetrics(reference.mean, reference.variance, test.labels), exported: regressionMetrics(mean, variance, test.labels) },
        note: null,
      };
    }
    const { probabilities } = await snapshotProbabilities(runDir, record, test, m);
    const reference = combine(probabilities, rule);
    const exported = probabilityMatrix(outputs['probabilities']!, record.data.numClasses);
    return {
      check: {
        runtime,
        maxAbsDifference: maxDifference(exported.data, reference.data),
        task: 'classification',
        ensemble: classificationMetrics(reference, test.labels),
        exported: classificationMetrics(exported, test.labels),
      },
      note: null,
    };
  } finally {
    await session.release();
  }
}

/**
 * Exports the ensemble of a run's last m snapshots as one .onnx file (ensembleOnnx), then runs the file in ONNX
 * Runtime on the run's test set against the m-pass ensemble: the largest difference, and the change in metrics
 * that quantisation brings. Nothing is written when the run, the options or a layer are refused.
 */
export async function exportOnnxRun(runDir: string, options: OnnxExportOptions = {}): Promise<OnnxExportResult> {
  const record = readRunRecord(runDir);
  const snapshots = lastSnapshots(record, runDir, options.last);
  const rule = options.combine ?? 'mean';
  const layout = options.layout ?? 'nhwc';
  const quantization = options.quantize ?? null;
  const file = options.out ?? defaultOnnxFile(runDir, snapshots.length, rule, quantization, layout);
  checkNewFile(file);
  const base = onnxSpecOfRun(record, snapshots, { combine: rule, layout, quantize: quantization });
  const io = onnxInterface(base);
  const task = runTask(record);
  const metadata: OnnxExportMetadata = {
    run: path.basename(path.resolve(runDir)),
    members: snapshots.map((s) => s.index),
    task,
    combine: rule,
    quantization,
    layout: io.layout,
    pixelRange: base.input.kind === 'pixels' ? base.input.range : null,
    input: io.input,
    outputs: io.outputs,
    opset: ONNX_OPSET,
    classNames: task === 'classification' ? record.data.classNames : [],
    target: task === 'regression' ? { name: record.data.classNames[0] ?? 'target', ...(record.data.targetNormalization ?? { mean: 0, std: 1 }) } : null,
  };
  const spec: OnnxEnsembleSpec = {
    ...base,
    metadata: { snapshot_ensembles: JSON.stringify(metadata), ...(task === 'classification' ? { class_names: JSON.stringify(record.data.classNames) } : {}) },
    doc: onnxDoc(metadata),
  };
  // The test set is read before anything is written: a run whose data cannot be read leaves no file behind.
  const measurable = runDataReadable(record) || options.dataset !== undefined || options.dataDir !== undefined;
  const test = measurable ? await runTestSet(record, options) : null;
  const members: tfl.LayersModel[] = [];
  let built: OnnxEnsemble;
  try {
    for (const s of snapshots) members.push(await loadSnapshotModel(runDir, s));
    built = ensembleOnnx(members, spec);
  } finally {
    members.forEach((m) => m.dispose());
  }
  makeOutputDir(path.dirname(path.resolve(file)));
  checkNewFile(file);
  writeFileAtomic(file, built.bytes);
  const { check, note } =
    test === null
      ? { check: null, note: "not checked: the run's examples were given in memory; give --data to check the file against the ensemble" }
      : await checkInRuntime(file, runDir, record, test, snapshots.length, rule, metadata.layout, options.threads);
  return {
    file,
    bytes: statSync(file).size,
    metadata,
    weights: { storedBytes: built.weights.storedBytes, float32Bytes: built.weights.float32Bytes },
    nodes: built.nodes,
    testExamples: test?.count ?? 0,
    check,
    note,
  };
}

/**
 * The ONNX models of a run to time in `evaluate --cost`: the ensemble of the given snapshots (mean) built in memory,
 * and every .onnx file under RUN_DIR/exports that `export` wrote (its members from its metadata). `flops` holds each
 * given snapshot's forward FLOPs per image; a file's cost is its members' sum.
 */
export async function onnxModelsOfRun(runDir: string, record: RunRecord, snapshots: readonly SnapshotRecord[], flops: readonly number[]): Promise<OnnxToTime[]> {
  const members: tfl.LayersModel[] = [];
  let bytes: Uint8Array;
  try {
    for (const s of snapshots) members.push(await loadSnapshotModel(runDir, s));
    bytes = ensembleOnnx(members, onnxSpecOfRun(record, snapshots, { combine: 'mean', layout: 'nhwc', quantize: null })).bytes;
  } finally {
    members.forEach((m) => m.dispose());
  }
  const flopsOf = (indices: readonly number[]) => indices.reduce((sum, i) => sum + (flops[snapshots.findIndex((s) => s.index === i)] ?? NaN), 0);
  const models: OnnxToTime[] = [
    { label: `ensemble of last ${snapshots.length} (mean), ONNX`, model: bytes, members: snapshots.length, flopsPerImage: flopsOf(snapshots.map((s) => s.index)), layout: 'nhwc' },
  ];
  const dir = path.join(runDir, 'exports');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.onnx')).sort() : [];
  for (const name of files) {
    const file = path.join(dir, name);
    const entry = decodeModel(readFileSync(file)).metadata_props.find((p) => p.key === 'snapshot_ensembles');
    if (entry === undefined) continue;
    const meta = JSON.parse(entry.value) as OnnxExportMetadata;
    if (meta.task !== 'classification') continue;
    models.push({ label: `exported ${name}`, model: file, members: meta.members.length, flopsPerImage: flopsOf(meta.members), layout: meta.layout });
  }
  return models;
}
