import type * as tf from '@tensorflow/tfjs-core';
import type { Layer } from '../../models/foldedInference.js';
import { UserError } from '../../util/errors.js';
import type { GraphBuilder, Value } from './graph.js';

/**
 * What every layer converter shares: its signature, and the helpers for reading a layer (its output shape, its
 * weights) and refusing a setting no converter handles.
 */

/** What a converter gets: the graph, the name prefix of the member, and the layer's input values. */
export interface LayerInput {
  g: GraphBuilder;
  /** The node name for this layer (member prefix + layer name). */
  name: string;
  inputs: Value[];
}

/** A TF.js layer's inference computation as ONNX nodes; it says in its result whether it is held channels first. */
export type Converter = (layer: Layer, x: LayerInput) => Value;

export type Pair = [number, number];
export const pair = (v: number | readonly number[]): Pair => (typeof v === 'number' ? [v, v] : [v[0]!, v[1] ?? v[0]!]);

/** The first input of a layer that takes one. */
export const only = (x: LayerInput): Value => x.inputs[0]!;

/** The layer's output shape without the batch axis (null for sizes known only at run time). */
export function outputShape(layer: Layer): (number | null)[] {
  const shape = layer.outputShape as (number | null)[];
  if (Array.isArray(shape[0])) throw unsupported(layer, 'several outputs');
  return shape.slice(1);
}

/** The one-line error for a setting of a layer that the exporter does not convert. */
export function unsupported(layer: Layer, what: string): UserError {
  return new UserError(`export --format onnx: layer '${layer.name}' (${layer.getClassName()} with ${what}) is not supported`);
}

/** A float32 copy of a weight's values. */
export const values = (t: tf.Tensor): Float32Array => Float32Array.from(t.dataSync() as Float32Array);
