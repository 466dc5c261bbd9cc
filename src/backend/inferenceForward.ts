import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { TrainingGraph } from './programGraph.js';

/** A model's compiled inference pass: logits from a batch, as model.apply(x, { training: false }); dispose() frees it. */
export interface CompiledInference {
  (x: tf.Tensor): tf.Tensor;
  dispose(): void;
  /** Convolution + batch-norm pairs folded into one convolution. */
  readonly folded: number;
}

/**
 * A backend's compiler of inference passes: for a model and a way to describe it (the graph trainingGraph gives, or
 * why it has none), a compiled pass of the model's weights as they are now, or null for a model it does not compile.
 */
export type InferenceCompiler = (model: tfl.LayersModel, describe: () => TrainingGraph | string) => CompiledInference | null;

const compilers = new Map<string, InferenceCompiler>();

/** Registers a backend's compiler (the native backend's runs a member's whole forward pass in one call). */
export function registerInferenceCompiler(backend: string, compile: InferenceCompiler): void {
  compilers.set(backend, compile);
}

/** The active backend's compiled inference pass of a model, or null when it has none for it. */
export function compiledInference(model: tfl.LayersModel, describe: () => TrainingGraph | string): CompiledInference | null {
  return compilers.get(tf.getBackend())?.(model, describe) ?? null;
}
