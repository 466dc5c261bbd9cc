import type * as tf from '@tensorflow/tfjs-core';
import { modelCompilers, type ModelCompiler } from './modelCompilers.js';

/** A model's forward pass in training mode: logits from a batch, with gradients to every trainable weight. */
export type TrainingForward = (x: tf.Tensor) => tf.Tensor;

/** A backend's compiler of training steps: a compiled forward pass of a model, or null for one it does not compile. */
export type TrainingCompiler = ModelCompiler<TrainingForward>;

const compilers = modelCompilers<TrainingForward>();

/** Registers a backend's compiler (the native backend's runs a whole forward and backward pass in one call each). */
export const registerTrainingCompiler = compilers.register;

/** The active backend's compiled training forward pass for a model, or null when it has none for it. */
export const compiledTrainingForward = compilers.compile;
