import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { foldedInference, type InferenceForward } from '../models/foldedInference.js';
import type { TrainingObjective } from './trainLoop.js';

/** Hinton, Vinyals and Dean's settings as flags take them: temperature T > 0 and the weight A in [0, 1] of the soft term. */
export interface DistillationSettings {
  temperature: number;
  alpha: number;
}

/** Hinton et al.'s usual settings: temperature 4, weight 0.9 of the soft targets. */
export const DEFAULT_DISTILLATION: DistillationSettings = { temperature: 4, alpha: 0.9 };

/** Why distillation settings cannot be used, naming the flag; null when they can. */
export function distillationProblem({ temperature, alpha }: DistillationSettings): string | null {
  if (!(temperature > 0) || !Number.isFinite(temperature)) return `--temperature must be a positive number, got ${temperature}`;
  if (!(alpha >= 0 && alpha <= 1)) return `--alpha must be in [0, 1], got ${alpha}`;
  return null;
}

/** Floor inside the teacher's log p log p term: p = 0 contributes 0, as 0 log 0 = 0. */
const LOG_FLOOR = 1e-30;

/**
 * The distillation loss of Hinton, Vinyals and Dean (2015), the batch mean of
 *   A T^2 KL(q || softmax(s / T)) + (1 - A) CE(y, softmax(s)),   KL(q || p) = sum_k q_k (log q_k - log p_k),
 * for the student's logits s, the teacher's tempered probabilities q and the one-hot labels y. The T^2 keeps the
 * soft term's gradient, A T (softmax(s / T) - q), on the scale of the hard one's as T changes.
 */
export function distillationLoss(logits: tf.Tensor2D, labels: tf.Tensor2D, teacher: tf.Tensor2D, { temperature: T, alpha: A }: DistillationSettings): tf.Scalar {
  return tf.tidy(() => {
    const logStudent = tf.logSoftmax(tf.div(logits, T));
    const qLogQ = tf.mul(teacher, tf.log(tf.maximum(teacher, LOG_FLOOR)));
    const kl = tf.mean(tf.sum(tf.sub(qLogQ, tf.mul(teacher, logStudent)), 1));
    const soft = tf.mul(kl, A * T * T);
    if (A === 1) return soft as tf.Scalar;
    const hard = tf.losses.softmaxCrossEntropy(labels, logits);
    return tf.add(soft, tf.mul(hard, 1 - A)) as tf.Scalar;
  });
}

/**
 * The teacher's soft targets: the mean of the members' tempered softmax outputs, q = 1/m sum_i softmax(z_i / T),
 * z_i the logits of member i in inference mode (batch norm on its running statistics) on the very images the
 * student sees.
 */
export function teacherTargets(forwards: readonly InferenceForward[], images: tf.Tensor4D, temperature: number): tf.Tensor2D {
  return tf.tidy(() => {
    const tempered = forwards.map((f) => tf.softmax(tf.div(f(images), temperature)));
    return tf.div(tf.addN(tempered), forwards.length) as tf.Tensor2D;
  });
}

export interface DistillationObjective extends TrainingObjective {
  dispose(): void;
}

/**
 * The training loop's objective for distilling an ensemble of logits models into a student: per batch, the
 * teachers' targets on the augmented batch (a cache of one output per training image would give the teacher's
 * view of the un-augmented image, not of the crop and flip the student is trained on), then distillationLoss.
 * The teachers are the caller's; dispose() releases only their folded forward passes.
 */
export function distillationObjective(teachers: readonly tfl.LayersModel[], settings: DistillationSettings): DistillationObjective {
  const forwards = teachers.map((t) => foldedInference(t));
  return {
    targets: (images) => teacherTargets(forwards, images, settings.temperature),
    loss: (logits, labels, targets) => distillationLoss(logits, labels, targets as tf.Tensor2D, settings),
    dispose: () => forwards.forEach((f) => f.dispose()),
  };
}
