import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { TrainingGraph } from './programGraph.js';

/** A model's forward pass in training mode: logits from a batch, with gradients to every trainable weight. */
export type TrainingForward = (x: tf.Tensor) => tf.Tensor;

/**
 * A backend's compiler of training steps: for a model and a way to describe it as a TrainingGraph (or say why it
 * cannot be), a compiled forward pass, or null for a model it does not compile.
 */
export type TrainingCompiler = (model: tfl.LayersModel, describe: () => TrainingGraph | string) => TrainingForward | null;

const compilers = new Map<string, TrainingCompiler>();

/** Registers a backend's compiler (the native backend's runs a whole forward and backward pass in one call each). */
export function registerTrainingCompiler(backend: string, compile: TrainingCompiler): void {
  compilers.set(backend, compile);
}

/** The active backend's compiled training forward pass for a model, or null when it has none for it. */
export function compiledTrainingForward(model: tfl.LayersModel, describe: () => TrainingGraph | string): TrainingForward | null {
  return compilers.get(tf.getBackend())?.(model, describe) ?? null;
}
