import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { normalizedBatch } from '../../src/data/batch.js';
import { lastM, meanProbabilities } from '../../src/ensemble/combine.js';
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

/** One snapshot's class probabilities (for one image, or count x K for several) and how long its forward pass took. */
export interface MemberPrediction {
  index: number;
  probabilities: Float32Array;
  milliseconds: number;
}

/**
 * Softmax of each snapshot's logits for `count` images (one by default; count x K probabilities each), normalised
 * exactly as the Node library does; each pass timed until its numbers are read back.
 */
export async function predictMembers(snapshots: readonly LoadedSnapshot[], record: RunRecord, pixels: Uint8Array, count = 1): Promise<MemberPrediction[]> {
  const [h, w, c] = record.data.inputShape;
  const set = { images: pixels, labels: new Uint8Array(count), count, height: h, width: w, channels: c };
  const input = normalizedBatch(set, Array.from({ length: count }, (_, i) => i), record.data.normalization);
  const out: MemberPrediction[] = [];
  for (const { index, model } of snapshots) {
    const start = performance.now();
    const probs = tf.tidy(() => tf.softmax(model.predict(tf.tensor4d(input, [count, h, w, c]), { batchSize: count }) as tf.Tensor));
    const probabilities = (await probs.data()) as Float32Array;
    probs.dispose();
    out.push({ index, probabilities, milliseconds: performance.now() - start });
  }
  return out;
}

/** The paper's ensemble of the last m snapshots: the mean of their softmax outputs (the library's own function). */
export function ensembleOfLast(members: readonly MemberPrediction[], m: number, numClasses = members[0]?.probabilities.length ?? 0): ProbabilityMatrix {
  return meanProbabilities(lastM(members, m).map((p) => probabilityMatrix(p.probabilities, numClasses)));
}

/** One prediction per model on a blank image, so later timings do not include compiling shaders or kernels. */
export async function warmUp(snapshots: readonly LoadedSnapshot[], record: RunRecord): Promise<void> {
  const [h, w, c] = record.data.inputShape;
  await predictMembers(snapshots, record, new Uint8Array(h * w * c));
}
