import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNELS, hasFusedKernel } from '../backend/fusedKernelNames.js';

type NamedTensor = { name: string; tensor: tf.Tensor };

/** SGD's settings: learning rate, momentum (Nesterov's or plain) and L2 weight decay. */
export interface SgdConfig {
  learningRate: number;
  momentum?: number;
  nesterov?: boolean;
  /** L2 penalty added to the gradient as PyTorch's SGD does: g <- g + weightDecay * w. */
  weightDecay?: number;
}

/** Why an SGD configuration is invalid, or null when it is valid (checked before a run touches its directory). */
export function sgdConfigProblem({ momentum = 0.9, nesterov = true, weightDecay = 1e-4 }: Omit<SgdConfig, 'learningRate'>): string | null {
  if (!(momentum >= 0) || !Number.isFinite(momentum)) return `momentum must be a number >= 0, got ${momentum}`;
  if (!(weightDecay >= 0) || !Number.isFinite(weightDecay)) return `weight decay must be a number >= 0, got ${weightDecay}`;
  if (nesterov && momentum === 0) return 'Nesterov momentum needs momentum > 0 (or turn Nesterov off)';
  return null;
}

/**
 * Stochastic gradient descent with (Nesterov) momentum and weight decay, written exactly as PyTorch's torch.optim.SGD
 * (dampening 0):
 *   g_t = grad + wd * w_{t-1};  b_t = mu * b_{t-1} + g_t  (b_1 = g_1);
 *   step = g_t + mu * b_t (Nesterov) or b_t;  w_t = w_{t-1} - lr * step.
 * The learning rate is meant to change every iteration (setLearningRate), so it is kept as a number, not a tensor.
 * Usable in model.compile() as well as in our own training loop.
 */
export class SgdOptimizer extends tf.Optimizer {
  static get className(): string {
    return 'SnapshotEnsemblesSGD';
  }

  learningRate: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  private readonly buffers = new Map<string, tf.Variable>();

  constructor({ learningRate, momentum = 0.9, nesterov = true, weightDecay = 1e-4 }: SgdConfig) {
    super();
    const problem = sgdConfigProblem({ momentum, nesterov, weightDecay });
    if (problem !== null) throw new RangeError(problem);
    this.learningRate = learningRate;
    this.momentum = momentum;
    this.nesterov = nesterov;
    this.weightDecay = weightDecay;
  }

  /** Sets the learning rate of the next step (the schedule's, every iteration). */
  setLearningRate(learningRate: number): void {
    this.learningRate = learningRate;
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const entries: [string, tf.Tensor][] = Array.isArray(variableGradients)
      ? variableGradients.map((g) => [g.name, g.tensor])
      : Object.entries(variableGradients);
    if (hasFusedKernel(FUSED_KERNELS.sgdStep)) this.fusedSteps(entries);
    else this.composedSteps(entries);
    this.incrementIterations();
  }

  private variableNamed(name: string): tf.Variable {
    const value = tf.engine().registeredVariables[name];
    if (value === undefined) throw new Error(`SgdOptimizer: no variable named ${name}`);
    return value;
  }

  /** The update from stock ops, one variable at a time. */
  private composedSteps(entries: [string, tf.Tensor][]): void {
    tf.tidy(() => {
      const lr = tf.scalar(this.learningRate);
      const mu = tf.scalar(this.momentum);
      const wd = tf.scalar(this.weightDecay);
      for (const [name, gradient] of entries) {
        if (gradient == null) continue;
        const value = this.variableNamed(name);
        tf.tidy(() => {
          const g = this.weightDecay > 0 ? tf.add(gradient, tf.mul(wd, value)) : gradient;
          let buffer = this.buffers.get(name);
          let step: tf.Tensor = g;
          if (this.momentum > 0) {
            const next = buffer === undefined ? g : tf.add(tf.mul(mu, buffer), g);
            if (buffer === undefined) {
              buffer = tf.variable(next, false);
              this.buffers.set(name, buffer);
            } else {
              buffer.assign(next);
            }
            step = this.nesterov ? tf.add(g, tf.mul(mu, next)) : next;
          }
          value.assign(tf.sub(value, tf.mul(lr, step)));
        });
      }
    });
  }

  /** The same update as one fused kernel per variable (a backend that has it: native). */
  private fusedSteps(entries: [string, tf.Tensor][]): void {
    const attrs = { learningRate: this.learningRate, momentum: this.momentum, weightDecay: this.weightDecay, nesterov: this.nesterov };
    for (const [name, gradient] of entries) {
      if (gradient == null) continue;
      const value = this.variableNamed(name);
      tf.tidy(() => {
        const buffer = this.buffers.get(name);
        const inputs: tf.NamedTensorMap = buffer === undefined ? { w: value, grad: gradient } : { w: value, grad: gradient, buffer };
        const [next, nextBuffer] = tf.engine().runKernel(FUSED_KERNELS.sgdStep, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        if (nextBuffer !== undefined) {
          if (buffer === undefined) this.buffers.set(name, tf.variable(nextBuffer, false));
          else buffer.assign(nextBuffer);
        }
        value.assign(next!);
      });
    }
  }

  /** The momentum buffer of each variable, in the given order (null before its first update). */
  momentumBuffers(variables: readonly tf.Variable[]): (tf.Tensor | null)[] {
    return variables.map((v) => this.buffers.get(v.name) ?? null);
  }

  /** Restores the iteration count and the momentum buffers of the given variables (copies the tensors). */
  restore(iterations: number, variables: readonly tf.Variable[], buffers: readonly (tf.Tensor | null)[]): void {
    this.dispose();
    variables.forEach((v, i) => {
      const b = buffers[i];
      if (b != null) this.buffers.set(v.name, tf.variable(b, false));
    });
    this.iterations_ = iterations;
  }

  override dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }

  /** The iteration count and every momentum buffer, named `<variable>/momentum`. */
  override async getWeights(): Promise<NamedTensor[]> {
    return [
      await this.saveIterations(),
      ...[...this.buffers].map(([name, v]) => ({ name: `${name}/momentum`, tensor: v as tf.Tensor })),
    ];
  }

  /** Restores the step count and momentum buffers saved by getWeights (TF.js's optimizer interface). */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    this.dispose();
    for (const { name, tensor } of rest) {
      const variableName = name.replace(/\/momentum$/, '');
      this.buffers.set(variableName, tf.variable(tensor, false));
    }
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, momentum: this.momentum, nesterov: this.nesterov, weightDecay: this.weightDecay };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config);
  }
}

tf.serialization.registerClass(SgdOptimizer);
