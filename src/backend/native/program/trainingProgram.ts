import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { TrainingGraph, TrainingNode } from '../../programGraph.js';
import type { TrainingForward } from '../../trainingForward.js';
import type { NativeAddon, ProgramHandle } from '../addon.js';
import { floatValues, outputArray } from '../tensors.js';
import { channelBlock } from './channelBlock.js';
import { compileTraining } from './compile.js';
import type { Plan } from './planBuilder.js';
import { encode } from './encode.js';
import { OPERATIONS } from './operations.js';

type BatchNormNode = Extract<TrainingNode, { kind: 'batchNorm' }>;
type DropoutNode = Extract<TrainingNode, { kind: 'dropout' }>;

/** Checks that the addon's operations are those of OPERATIONS (names, operands, parameters, in order). */
export function operationsMismatch(addon: NativeAddon): string | null {
  const theirs = addon.programOperations();
  for (const [name, spec] of Object.entries(OPERATIONS)) {
    const t = theirs[name];
    if (t === undefined) return `the addon has no operation ${name}`;
    if (t[1].join() !== spec.buffers.join() || t[2].join() !== spec.params.join()) return `the addon's ${name} takes other operands`;
  }
  return Object.keys(theirs).length === Object.keys(OPERATIONS).length ? null : 'the addon has operations this side does not know';
}

/**
 * A model's training step compiled into one native program (native/src/program.cc): model.apply(x, { training: true })
 * as one tape node whose forward and backward passes are one addon call each, with the batch-norm statistics and
 * dropout masks of the layers it replaces. Laid out for batches up to `maxBatch`.
 */
export class TrainingProgram {
  private constructor(
    private readonly addon: NativeAddon,
    private readonly handle: ProgramHandle,
    private readonly graph: TrainingGraph,
    private readonly plan: Plan,
    readonly maxBatch: number,
    readonly arenaBytes: number,
  ) {}

  /** The program of a training graph, or why the graph does not compile. */
  static make(addon: NativeAddon, graph: TrainingGraph, maxBatch: number): TrainingProgram | string {
    const plan = compileTraining(graph, maxBatch, channelBlock(addon));
    if (typeof plan === 'string') return plan;
    const e = encode(addon, plan, maxBatch);
    const handle = addon.createProgram(e.arenaFloats, maxBatch, e.buffers, e.forward, e.backward);
    return new TrainingProgram(addon, handle, graph, plan, maxBatch, addon.programBytes(handle));
  }

  /** Whether the program still describes the model (the same trainable variables, in order). */
  describes(model: tfl.LayersModel): boolean {
    const now = model.trainableWeights;
    return now.length === this.graph.trainable.length && now.every((v, i) => v === this.graph.trainable[i]);
  }

  /** Logits of batch x, as model.apply(x, { training: true }) gives them, with gradients to every trainable variable. */
  apply(x: tf.Tensor): tf.Tensor {
    const backend = tf.backend() as MathBackendCPU;
    const n = x.shape[0]!;
    if (n > this.maxBatch) throw new RangeError(`training program: batch ${n} is larger than the program's ${this.maxBatch}`);
    const variables = this.graph.trainable.map((v) => v.read() as tf.Variable);
    const read = (t: tf.Tensor, what: string): Float32Array => {
      const values = floatValues(backend, t);
      if (values === null) throw new TypeError(`training program: ${what} is not a float32 tensor of the native backend`);
      return values;
    };
    const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const slots = this.plan.slots;
      const arrays: (Float32Array | null)[] = slots.map(() => null);
      const weights: (Float32Array | null)[] = slots.map(() => null);
      const masks: tf.Tensor[] = [];
      const updates: { variable: tfl.LayerVariable; values: Float32Array; shape: number[] }[] = [];
      let logits: Float32Array | null = null;
      slots.forEach((slot, k) => {
        switch (slot.role) {
          case 'input':
            arrays[k] = read(x, 'the input');
            break;
          case 'weight':
            arrays[k] = weights[k] = read(variables[slot.variable]!, this.graph.trainable[slot.variable]!.name);
            break;
          case 'moving': {
            const node = this.graph.nodes[slot.node] as BatchNormNode;
            const variable = slot.statistic === 'mean' ? node.movingMean : node.movingVariance;
            const shape = variable.shape as number[];
            if (slot.output) {
              arrays[k] = outputArray(backend, shape);
              updates.push({ variable, values: arrays[k]!, shape });
            } else {
              arrays[k] = read(variable.read(), variable.name);
            }
            break;
          }
          case 'mask': {
            const node = this.graph.nodes[slot.node] as DropoutNode;
            const mask = dropoutMultiplier([n, ...node.shape], node.rate, node.seed());
            masks.push(mask);
            arrays[k] = read(mask, 'a dropout mask');
            break;
          }
          case 'logits':
            arrays[k] = logits = outputArray(backend, [n, ...this.graph.nodes[this.graph.nodes.length - 1]!.shape]);
            break;
        }
      });
      if (process.env.SE_NATIVE_POISON_POOL === '1') this.addon.fillProgram(this.handle, Number.NaN);
      try {
        this.addon.runProgram(this.handle, 0, n, arrays);
      } finally {
        tf.dispose(masks);
      }
      for (const u of updates) tf.tidy(() => void u.variable.write(tf.tensor(u.values, u.shape, 'float32')));
      const value = tf.tensor(logits!, [n, ...this.graph.nodes[this.graph.nodes.length - 1]!.shape], 'float32');
      const gradFunc = (dy: tf.Tensor): tf.Tensor[] => {
        const back: (Float32Array | null)[] = slots.map(() => null);
        const grads: Float32Array[] = [];
        slots.forEach((slot, k) => {
          if (slot.role === 'dlogits') back[k] = read(dy, 'the gradient of the logits');
          if (slot.role === 'weight') {
            back[k] = read(variables[slot.variable]!, this.graph.trainable[slot.variable]!.name);
            if (back[k] !== weights[k]) throw new Error('training program: a weight changed between the forward and the backward pass');
          }
          if (slot.role === 'grad') back[k] = grads[slot.variable] = outputArray(backend, this.graph.trainable[slot.variable]!.shape as number[]);
        });
        this.addon.runProgram(this.handle, 1, n, back);
        return variables.map((v, i) => tf.tensor(grads[i]!, v.shape, 'float32'));
      };
      return { value, gradFunc };
    });
    return op(...variables);
  }
}

/** tf.dropout's multiplier: floor(uniform + keep) / keep, drawn exactly as tf.dropout(x, rate, undefined, seed) draws it. */
function dropoutMultiplier(shape: number[], rate: number, seed: number | undefined): tf.Tensor {
  return tf.tidy(() => {
    const keep = 1 - rate;
    return tf.div(tf.floor(tf.add(tf.randomUniform(shape, 0, 1, 'float32', seed), keep)), keep);
  });
}

const programs = new WeakMap<tfl.LayersModel, TrainingProgram | string>();

/**
 * The native backend's training forward pass for a model: its compiled program (made on first use, and again for a
 * larger batch), or null when the model does not compile (trainingGraph or compileTraining say why) or
 * SE_NATIVE_PROGRAM=0.
 */
export function nativeTrainingForward(addon: NativeAddon, model: tfl.LayersModel, describe: () => TrainingGraph | string): TrainingForward | null {
  if (process.env.SE_NATIVE_PROGRAM === '0') return null;
  const known = programs.get(model);
  if (typeof known === 'string') return null;
  if (known !== undefined && !known.describes(model)) programs.delete(model);
  return (x: tf.Tensor) => {
    let program = programs.get(model);
    if (program === undefined || (typeof program !== 'string' && program.maxBatch < x.shape[0]!)) {
      const graph = describe();
      program = typeof graph === 'string' ? graph : TrainingProgram.make(addon, graph, x.shape[0]!);
      programs.set(model, program);
    }
    return typeof program === 'string' ? (model.apply(x, { training: true }) as tf.Tensor) : program.apply(x);
  };
}

/** Why a model (described by trainingGraph) has no training program on the native backend, or null when it has one. */
export function trainingProgramProblem(graph: TrainingGraph | string, maxBatch = 1): string | null {
  if (typeof graph === 'string') return graph;
  const plan = compileTraining(graph, maxBatch);
  return typeof plan === 'string' ? plan : null;
}
