import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { normalizedBatch } from '../../src/data/batch.js';
import { lastM, meanProbabilities } from '../../src/metrics/combine.js';
import { probabilityMatrix, type ProbabilityMatrix } from '../../src/metrics/probabilities.js';
import type { RunRecord } from './api.js';

/** A run's snapshots loaded in the browser with tf.loadLayersModel, over HTTP from the server. */
export interface LoadedSnapshot {
  index: number;
  model: tfl.LayersModel;
}

export async function loadSnapshots(record: RunRecord, onLoaded?: (done: number, total: number) => void): Promise<LoadedSnapshot[]> {
  const loaded: LoadedSnapshot[] = [];
  for (const snapshot of record.snapshots) {
    const model = await tfl.loadLayersModel(`run/${snapshot.path}/model.json`);
    loaded.push({ index: snapshot.index, model });
    onLoaded?.(loaded.length, record.snapshots.length);
  }
  return loaded;
}

/** Model input for one or more examples: image bytes, or numbers (a table's features). */
export type ExampleValues = Uint8Array | Float32Array;

/**
 * How the run's examples are stored, which says how they are normalised (as the library's runExampleValues): bytes
 * (x / 255 - mean) / std, or numbers (x - mean) / std.
 */
export function runValues(record: RunRecord): 'bytes' | 'numbers' {
  return record.data.values ?? (record.data.source?.kind === 'csv' ? 'numbers' : 'bytes');
}

/** The shape of one example as the run's models take it: [F] for a table, else [height, width, channels]. */
export function exampleShape(record: RunRecord): number[] {
  return record.data.exampleShape ?? [...record.data.inputShape];
}

/** One example of zeros, stored as the run stores its examples. */
export function blankExample(record: RunRecord): ExampleValues {
  const [h, w, c] = record.data.inputShape;
  return runValues(record) === 'numbers' ? new Float32Array(h * w * c) : new Uint8Array(h * w * c);
}

/** One snapshot's outputs (count x units, mapped by a head such as softmax) and how long its forward pass took. */
export interface MemberOutputs {
  index: number;
  outputs: Float32Array;
  milliseconds: number;
}

/**
 * Each snapshot's outputs for `count` examples, normalised exactly as the Node library normalises them (bytes or
 * numbers, by the array's type, which must be the run's), then mapped by `head`; each pass timed until its numbers
 * are read back.
 */
export async function forwardEach(
  snapshots: readonly LoadedSnapshot[],
  record: RunRecord,
  values: ExampleValues,
  count: number,
  head: (outputs: tf.Tensor) => tf.Tensor,
): Promise<MemberOutputs[]> {
  const want = runValues(record);
  if ((values instanceof Float32Array ? 'numbers' : 'bytes') !== want) {
    const got = want === 'bytes' ? 'numbers' : 'image bytes';
    throw new Error(`the run's examples are ${want === 'bytes' ? 'image bytes' : 'numbers'}, not ${got}: the page cannot normalise ${got} as the run did`);
  }
  const [h, w, c] = record.data.inputShape;
  const shape = exampleShape(record);
  const set = { images: values, labels: new Uint8Array(count), count, height: h, width: w, channels: c, shape };
  const input = normalizedBatch(set, Array.from({ length: count }, (_, i) => i), record.data.normalization);
  const out: MemberOutputs[] = [];
  for (const { index, model } of snapshots) {
    const start = performance.now();
    const result = tf.tidy(() => head(model.predict(tf.tensor(input, [count, ...shape]), { batchSize: count }) as tf.Tensor));
    const outputs = (await result.data()) as Float32Array;
    result.dispose();
    out.push({ index, outputs, milliseconds: performance.now() - start });
  }
  return out;
}

/** One snapshot's class probabilities (for one example, or count x K for several) and how long its forward pass took. */
export interface MemberPrediction {
  index: number;
  probabilities: Float32Array;
  milliseconds: number;
}

/** Softmax of each snapshot's logits for `count` examples (one by default; count x K probabilities each). */
export async function predictMembers(snapshots: readonly LoadedSnapshot[], record: RunRecord, values: ExampleValues, count = 1): Promise<MemberPrediction[]> {
  const passes = await forwardEach(snapshots, record, values, count, (logits) => tf.softmax(logits));
  return passes.map(({ index, outputs, milliseconds }) => ({ index, probabilities: outputs, milliseconds }));
}

/** The paper's ensemble of the last m snapshots: the mean of their softmax outputs (the library's own function). */
export function ensembleOfLast(members: readonly MemberPrediction[], m: number, numClasses = members[0]?.probabilities.length ?? 0): ProbabilityMatrix {
  return meanProbabilities(lastM(members, m).map((p) => probabilityMatrix(p.probabilities, numClasses)));
}

/** One prediction per model on a blank example, so later timings do not include compiling shaders or kernels. */
export async function warmUp(snapshots: readonly LoadedSnapshot[], record: RunRecord): Promise<void> {
  await forwardEach(snapshots, record, blankExample(record), 1, (outputs) => outputs);
}
