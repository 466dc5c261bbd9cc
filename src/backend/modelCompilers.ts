import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { TrainingGraph } from './programGraph.js';

/**
 * A backend's compiler of some pass of a model: for the model and a way to describe it (the graph trainingGraph
 * gives, or why it has none), the compiled pass, or null for a model it does not compile.
 */
export type ModelCompiler<R> = (model: tfl.LayersModel, describe: () => TrainingGraph | string) => R | null;

/** Compilers of one kind of pass, one per backend; `compile` asks the active backend's. */
export function modelCompilers<R>() {
  const byBackend = new Map<string, ModelCompiler<R>>();
  return {
    register(backend: string, compile: ModelCompiler<R>): void {
      byBackend.set(backend, compile);
    },
    /** The active backend's compiled pass of a model, or null when it has none for it. */
    compile(model: tfl.LayersModel, describe: () => TrainingGraph | string): R | null {
      return byBackend.get(tf.getBackend())?.(model, describe) ?? null;
    },
  };
}
