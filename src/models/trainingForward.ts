import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { compiledTrainingForward, type TrainingForward } from '../backend/trainingForward.js';
import { trainingGraph } from './trainingGraph.js';

/**
 * model.apply(x, { training: true }) as the active backend runs it best: its compiled program when it has one for
 * this model (the same numbers within float32 rounding, the same updates of batch-norm statistics and dropout masks),
 * else the model's own layers.
 */
export function trainingForward(model: tfl.LayersModel): TrainingForward {
  const compiled = compiledTrainingForward(model, () => trainingGraph(model));
  return compiled ?? ((x: tf.Tensor) => model.apply(x, { training: true }) as tf.Tensor);
}
