import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** A model's forward pass in training mode: logits from a batch, with gradients to every trainable weight. */
export type TrainingForward = (x: tf.Tensor) => tf.Tensor;

/** Per backend: a compiled training forward pass for a model, or null for a model it does not compile. */
const compilers = new Map<string, (model: tfl.LayersModel) => TrainingForward | null>();

/** Registers a backend's compiler (the native backend's runs a whole forward and backward pass in one call each). */
export function registerTrainingCompiler(backend: string, compile: (model: tfl.LayersModel) => TrainingForward | null): void {
  compilers.set(backend, compile);
}

/**
 * model.apply(x, { training: true }) as the active backend runs it best: its compiled program when it has one for
 * this model (the same numbers within float32 rounding, the same updates of batch-norm statistics and dropout masks),
 * else the model's own layers.
 */
export function trainingForward(model: tfl.LayersModel): TrainingForward {
  const compiled = compilers.get(tf.getBackend())?.(model) ?? null;
  return compiled ?? ((x: tf.Tensor) => model.apply(x, { training: true }) as tf.Tensor);
}
