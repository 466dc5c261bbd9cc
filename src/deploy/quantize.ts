import { Float16Array } from '@petamoriken/float16';
import type * as tf from '@tensorflow/tfjs-core';

/**
 * TF.js's own weight quantisation, as tfjs-converter writes it and tf.loadLayersModel (tf.io.decodeWeights)
 * dequantises on load: each float32 weight stored as float16, or as uint8 with an affine map
 * w = q * scale + min recorded in the weights manifest's `quantization` entry.
 */
export type Quantization = 'float16' | 'uint8';
/** The weight quantisations an export can store: float16 or uint8. */
export const QUANTIZATIONS: readonly Quantization[] = ['float16', 'uint8'];

export interface QuantizedWeights {
  specs: tf.io.WeightsManifestEntry[];
  data: ArrayBuffer;
}

/**
 * The affine uint8 range of tfjs-converter (quantization.py): the range widened to include 0, scale =
 * (max - min) / 255, and min nudged to a multiple of scale so that 0 is represented exactly (zero weights and
 * biases stay zero).
 */
export function affineUint8Range(values: Float32Array): { scale: number; min: number } {
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (hi === lo) return { scale: 1, min: 0 };
  const scale = (hi - lo) / 255;
  const zeroPoint = Math.round(-lo / scale);
  return { scale, min: -zeroPoint * scale };
}

/** q = round((w - min) / scale), clamped to 0..255. */
export function quantizeUint8(values: Float32Array, scale: number, min: number): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.min(255, Math.max(0, Math.round((values[i]! - min) / scale)));
  return out;
}

/** The weights of a saved model with every float32 weight quantised (others copied as they are). */
export function quantizeWeights(specs: readonly tf.io.WeightsManifestEntry[], data: ArrayBuffer, dtype: Quantization): QuantizedWeights {
  const parts: Uint8Array[] = [];
  const out: tf.io.WeightsManifestEntry[] = [];
  let offset = 0;
  for (const spec of specs) {
    if (spec.quantization !== undefined) throw new Error(`weight ${spec.name} is already quantised`);
    const count = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = count * 4; // float32 and int32 alike
    const raw = data.slice(offset, offset + bytes);
    offset += bytes;
    if (spec.dtype !== 'float32') {
      parts.push(new Uint8Array(raw));
      out.push({ ...spec });
      continue;
    }
    const values = new Float32Array(raw);
    if (dtype === 'float16') {
      const half = new Float16Array(values);
      parts.push(new Uint8Array(half.buffer, half.byteOffset, half.byteLength));
      out.push({ ...spec, quantization: { dtype: 'float16' } });
    } else {
      const { scale, min } = affineUint8Range(values);
      parts.push(quantizeUint8(values, scale, min));
      out.push({ ...spec, quantization: { dtype: 'uint8', scale, min } });
    }
  }
  if (offset !== data.byteLength) throw new Error(`the weight specs cover ${offset} bytes of ${data.byteLength}`);
  const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    joined.set(p, at);
    at += p.length;
  }
  return { specs: out, data: joined.buffer };
}
