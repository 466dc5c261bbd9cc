import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's gradients, which tfjs-layers registers in training code
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../src/backend/backends.js';
import { distillationLoss, distillationProblem, teacherTargets } from '../src/training/distillation.js';
import type { InferenceForward } from '../src/models/foldedInference.js';

const softmax = (z: number[], t = 1) => {
  const e = z.map((v) => Math.exp(v / t));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

/** A stand-in teacher whose logits are fixed. */
function fixedTeacher(logits: number[][]): InferenceForward {
  const f = (() => tf.tensor2d(logits)) as unknown as InferenceForward;
  f.dispose = () => {};
  return f;
}

describe('distillation loss (Hinton, Vinyals and Dean 2015)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  const student = [
    [1.0, -0.5, 0.3],
    [0.2, 2.0, -1.0],
  ];
  const teacher = [
    [0.7, 0.1, 0.2],
    [0.05, 0.9, 0.05],
  ];
  const labels = [
    [1, 0, 0],
    [0, 0, 1],
  ];

  it.each([
    [4, 0.9],
    [1, 0],
    [2.5, 1],
  ])('T = %f, A = %f: A T^2 KL(q || softmax(s/T)) + (1 - A) CE, batch mean, as computed by hand', (T, A) => {
    let expected = 0;
    for (let i = 0; i < 2; i++) {
      const p = softmax(student[i]!, T);
      const kl = teacher[i]!.reduce((s, q, k) => s + q * (Math.log(q) - Math.log(p[k]!)), 0);
      const ce = -Math.log(softmax(student[i]!)[labels[i]!.indexOf(1)]!);
      expected += (A * T * T * kl + (1 - A) * ce) / 2;
    }
    const loss = tf.tidy(() => distillationLoss(tf.tensor2d(student), tf.tensor2d(labels), tf.tensor2d(teacher), { temperature: T, alpha: A }).dataSync()[0]!);
    expect(loss).toBeCloseTo(expected, 5);
  });

  it('its gradient in the logits is A T (softmax(s/T) - q) + (1 - A) (softmax(s) - y), over the batch size', () => {
    const T = 3;
    const A = 0.7;
    const grad = tf.tidy(() =>
      tf.grad((s: tf.Tensor) => distillationLoss(s as tf.Tensor2D, tf.tensor2d(labels), tf.tensor2d(teacher), { temperature: T, alpha: A }))(tf.tensor2d(student)).arraySync(),
    ) as number[][];
    for (let i = 0; i < 2; i++) {
      const soft = softmax(student[i]!, T);
      const hard = softmax(student[i]!);
      for (let k = 0; k < 3; k++) {
        const expected = (A * T * (soft[k]! - teacher[i]![k]!) + (1 - A) * (hard[k]! - labels[i]![k]!)) / 2;
        expect(grad[i]![k]!).toBeCloseTo(expected, 5);
      }
    }
  });

  it("the teacher's targets are the mean of the members' tempered softmax outputs", () => {
    const before = tf.memory().numTensors;
    const a = [[2, 0, -1]];
    const b = [[-1, 1, 0.5]];
    const q = tf.tidy(() => teacherTargets([fixedTeacher(a), fixedTeacher(b)], tf.zeros([1, 1, 1, 1]), 2).arraySync()) as number[][];
    const pa = softmax(a[0]!, 2);
    const pb = softmax(b[0]!, 2);
    q[0]!.forEach((v, k) => expect(v).toBeCloseTo((pa[k]! + pb[k]!) / 2, 6));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('settings: the temperature must be positive, alpha in [0, 1]', () => {
    expect(distillationProblem({ temperature: 4, alpha: 0.9 })).toBeNull();
    expect(distillationProblem({ temperature: 0, alpha: 0.5 })).toBe('--temperature must be a positive number, got 0');
    expect(distillationProblem({ temperature: Number.NaN, alpha: 0.5 })).toMatch(/--temperature must be a positive number/);
    expect(distillationProblem({ temperature: 1, alpha: 1.5 })).toBe('--alpha must be in [0, 1], got 1.5');
    expect(distillationProblem({ temperature: 1, alpha: -0.1 })).toBe('--alpha must be in [0, 1], got -0.1');
  });
});
