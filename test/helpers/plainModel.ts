import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/*
 * Loading an exported model the way a user's own code would: plain TF.js, no import of this library. The two
 * functions below use only node:fs and @tensorflow/tfjs-core / tfjs-layers.
 */
export async function loadPlain(dir: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
  const manifest = json.weightsManifest[0]!;
  const bytes = readFileSync(path.join(dir, manifest.paths[0]!));
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: manifest.weights,
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    }),
  );
}

/** The model's outputs on raw values of the given shape (batch first). */
export function predictPlain(model: tfl.LayersModel, values: Uint8Array | Float32Array, shape: number[]): Float32Array {
  const out = tf.tidy(() => model.predict(tf.tensor(Float32Array.from(values), shape)) as tf.Tensor);
  const data = out.dataSync() as Float32Array;
  out.dispose();
  return data;
}

export function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`${a.length} values against ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
