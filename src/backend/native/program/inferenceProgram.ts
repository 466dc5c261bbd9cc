import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { CompiledInference } from '../../inferenceForward.js';
import type { TrainingGraph } from '../../programGraph.js';
import type { NativeAddon, ProgramHandle } from '../addon.js';
import { floatValues, outputArray } from '../tensors.js';
import { channelBlock } from './channelBlock.js';
import { compileInference, type InferencePlan } from './compileInference.js';
import { encode } from './encode.js';

/** A variable's values now, copied (the variable's own array may be recycled once it is written again). */
function readVariable(v: tfl.LayerVariable): Float32Array {
  return Float32Array.from(v.read().dataSync() as Float32Array);
}

/**
 * A model's inference pass as one native program (native/src/program.cc): one addon call per batch, from the input
 * to the logits, over the weights as they were when it was made (copied into the program as its constants). The
 * program's arena is laid out for the largest batch seen so far (made again for a larger one) and freed by dispose().
 */
class InferenceProgram {
  private handle: ProgramHandle | null = null;
  private maxBatch = 0;
  private readonly outputShape: number[];

  constructor(
    private readonly addon: NativeAddon,
    private readonly plan: InferencePlan,
    graph: TrainingGraph,
  ) {
    this.outputShape = graph.nodes[graph.nodes.length - 1]!.shape;
  }

  private programFor(n: number): ProgramHandle {
    if (this.handle !== null && n <= this.maxBatch) return this.handle;
    this.release();
    const e = encode(this.addon, this.plan, n);
    const constants = this.plan.slots.map((_, k) => this.plan.constants.get(k) ?? null);
    this.handle = this.addon.createProgram(e.arenaFloats, n, e.buffers, e.forward, e.backward, constants);
    this.maxBatch = n;
    return this.handle;
  }

  apply(x: tf.Tensor): tf.Tensor {
    const backend = tf.backend() as MathBackendCPU;
    const n = x.shape[0]!;
    const input = floatValues(backend, x);
    if (input === null) throw new TypeError('inference program: the input is not a float32 tensor of the native backend');
    const handle = this.programFor(n);
    const logits = outputArray(backend, [n, ...this.outputShape]);
    // The constants (folded filters, scales) were copied into the program when it was made.
    const arrays = this.plan.slots.map((slot) => (slot.role === 'input' ? input : slot.role === 'logits' ? logits : null));
    if (process.env.SE_NATIVE_POISON_POOL === '1') this.addon.fillProgram(handle, Number.NaN);
    this.addon.runProgram(handle, 0, n, arrays);
    return tf.tensor(logits, [n, ...this.outputShape], 'float32');
  }

  release(): void {
    if (this.handle !== null) this.addon.releaseProgram(this.handle);
    this.handle = null;
    this.maxBatch = 0;
  }
}

/**
 * The native backend's inference pass of a model: its weights as they are now compiled into one program, or null
 * when the model does not compile (trainingGraph or compileInference say why) or SE_NATIVE_PROGRAM=0.
 */
export function nativeInference(addon: NativeAddon, describe: () => TrainingGraph | string): CompiledInference | null {
  if (process.env.SE_NATIVE_PROGRAM === '0') return null;
  const graph = describe();
  if (typeof graph === 'string') return null;
  const plan = compileInference(graph, readVariable, channelBlock(addon));
  if (typeof plan === 'string') return null;
  const program = new InferenceProgram(addon, plan, graph);
  const forward = ((x: tf.Tensor) => program.apply(x)) as CompiledInference;
  Object.defineProperty(forward, 'folded', { value: plan.folded });
  forward.dispose = () => program.release();
  return forward;
}
