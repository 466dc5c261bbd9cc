import type * as tf from '@tensorflow/tfjs-core';
import { modelCompilers, type ModelCompiler } from './modelCompilers.js';

/** A model's compiled inference pass: logits from a batch, as model.apply(x, { training: false }); dispose() frees it. */
export interface CompiledInference {
  (x: tf.Tensor): tf.Tensor;
  dispose(): void;
  /** Convolution + batch-norm pairs folded into one convolution. */
  readonly folded: number;
}

/** A backend's compiler of inference passes: a compiled pass of the model's weights as they are now, or null. */
export type InferenceCompiler = ModelCompiler<CompiledInference>;

const compilers = modelCompilers<CompiledInference>();

/** Registers a backend's compiler (the native backend's runs a member's whole forward pass in one call). */
export const registerInferenceCompiler = compilers.register;

/** The active backend's compiled inference pass of a model, or null when it has none for it. */
export const compiledInference = compilers.compile;
