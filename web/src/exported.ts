import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * A model written by `snapshot-ensembles export`: raw pixels in [0, 255] in, the ensemble's class probabilities
 * out, loaded with one tf.loadLayersModel and none of the library's code.
 */
export interface ExportedModel {
  /** Its directory inside the run directory, e.g. exports/last3-mean. */
  path: string;
  model: tfl.LayersModel;
  loadMilliseconds: number;
  /** Snapshot numbers of its members, from the metadata `export` writes into model.json (null if absent). */
  members: number[] | null;
}

/** A path inside the run directory: relative, plain names, no '..'. */
export function exportPathProblem(path: string, parameter: 'export' | 'onnx' = 'export'): string | null {
  const parts = path.replace(/\/+$/, '').split('/');
  const what = parameter === 'export' ? 'a directory' : 'a file';
  return parts.every((p) => /^[\w.-]+$/.test(p) && p !== '.' && p !== '..') ? null : `?${parameter}=${path}: not ${what} inside the run`;
}

export async function loadExported(path: string): Promise<ExportedModel> {
  const problem = exportPathProblem(path);
  if (problem !== null) throw new Error(problem);
  const clean = path.replace(/\/+$/, '');
  const start = performance.now();
  const model = await tfl.loadLayersModel(`run/${clean}/model.json`);
  const meta = (model.getUserDefinedMetadata() as { snapshotEnsembles?: { members?: unknown } } | undefined)?.snapshotEnsembles;
  const members = Array.isArray(meta?.members) && meta.members.every((m) => Number.isInteger(m)) ? (meta.members as number[]) : null;
  return { path: clean, model, loadMilliseconds: performance.now() - start, members };
}

export interface ExportedPrediction {
  /** count x K probabilities (a regression run's export: count x [mean, variance]). */
  probabilities: Float32Array;
  milliseconds: number;
}

/**
 * One forward pass of the exported model on `count` examples of raw values (image bytes, or a table's numbers; the
 * model normalises them itself), timed until its numbers are read back.
 */
export async function predictExported(exported: ExportedModel, values: Uint8Array | Float32Array, count: number, shape: readonly number[]): Promise<ExportedPrediction> {
  const start = performance.now();
  const out = tf.tidy(() => exported.model.predict(tf.tensor(Float32Array.from(values), [count, ...shape])) as tf.Tensor);
  const probabilities = (await out.data()) as Float32Array;
  out.dispose();
  return { probabilities, milliseconds: performance.now() - start };
}
