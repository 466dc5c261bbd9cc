import type * as tfl from '@tensorflow/tfjs-layers';
import type { TrainingGraph, TrainingNode } from '../../programGraph.js';
import type { ChannelBlock } from './channelBlock.js';
import { matrixOf, PlanBuilder, type Plan } from './planBuilder.js';

/** An inference program's plan: a forward list only, and the values of its constant slots (folded filters, scales). */
export interface InferencePlan extends Plan {
  /** By slot index, for every slot whose role is 'constant'. */
  constants: Map<number, Float32Array>;
  /** Convolution + batch-norm pairs folded into one convolution. */
  folded: number;
}

/** A variable's current values (a copy the plan may keep). */
export type ReadVariable = (v: tfl.LayerVariable) => Float32Array;

type BatchNormNode = Extract<TrainingNode, { kind: 'batchNorm' }>;

/**
 * A batch norm in inference mode as y = x scale + shift per channel: scale = gamma / sqrt(var + eps),
 * shift = beta - mean scale, each step rounded to float32 as TF.js's ops round it (the folding of foldedInference).
 */
export function batchNormScaleShift(gamma: Float32Array, beta: Float32Array, mean: Float32Array, variance: Float32Array, epsilon: number) {
  const f = Math.fround;
  const scale = new Float32Array(gamma.length);
  const shift = new Float32Array(gamma.length);
  for (let c = 0; c < gamma.length; c++) {
    scale[c] = f(gamma[c]! / f(Math.sqrt(f(variance[c]! + f(epsilon)))));
    shift[c] = f(beta[c]! - f(mean[c]! * scale[c]!));
  }
  return { scale, shift };
}

/**
 * A convolution followed by a batch norm as one convolution: filter W scale (HWIO: the output channel is the last
 * axis), bias shift + b scale (b the convolution's own bias, when it has one). Exact in inference mode.
 */
export function foldConvBatchNorm(kernel: Float32Array, bias: Float32Array | null, scale: Float32Array, shift: Float32Array) {
  const f = Math.fround;
  const co = scale.length;
  const filter = new Float32Array(kernel.length);
  for (let i = 0; i < kernel.length; i++) filter[i] = f(kernel[i]! * scale[i % co]!);
  const folded = new Float32Array(co);
  for (let c = 0; c < co; c++) folded[c] = bias === null ? shift[c]! : f(shift[c]! + f(bias[c]! * scale[c]!));
  return { filter, bias: folded };
}

/**
 * Compiles a model's graph into an inference plan: model.apply(x, { training: false }) as one forward list, each
 * convolution read only by a batch norm folded with it, every other batch norm a per-channel scale and shift, each
 * ReLU that alone reads a convolution, batch norm or sum fused into it, dropout the identity, concatenations
 * copied into column blocks of one buffer. A convolution's output stays blocked by `block` channels (16: oneDNN's
 * nChw16c, where its AVX-512 kernels and Winograd run; 8: nChw8c, its AVX2 kernels' layout; 0: never) when every
 * reader takes it so (convolutions, poolings, ReLUs, sums of blocked outputs); it is unblocked once for any other
 * reader. The block must be the CPU's (the addon's channelBlock()): oneDNN runs any other as a reference kernel.
 * The weights are read (by `read`) when it compiles: the plan computes the model as it is now. Returns a one-line
 * reason for a graph it cannot compile.
 */
export function compileInference(graph: TrainingGraph, read: ReadVariable, block: ChannelBlock): InferencePlan | string {
  return new InferenceCompiler(graph, read, block).compile();
}

class InferenceCompiler extends PlanBuilder {
  /** Each node's output buffer. */
  private readonly value: number[] = [];
  /** Nodes computed by an earlier node's operation (a folded batch norm, a fused ReLU): that node. */
  private readonly fusedInto = new Map<number, number>();
  private readonly constants = new Map<number, Float32Array>();
  private folded = 0;
  /** Nodes whose output is blocked by `block` channels (oneDNN's nChw16c or nChw8c) rather than NHWC. */
  private readonly blocked = new Set<number>();
  /** NHWC copies of blocked outputs, by node. */
  private readonly unblocked = new Map<number, number>();

  constructor(
    graph: TrainingGraph,
    private readonly read: ReadVariable,
    private readonly block: ChannelBlock,
  ) {
    super(graph, 1);
  }

  compile(): InferencePlan | string {
    const { nodes } = this.graph;
    for (let i = 0; i < nodes.length; i++) {
      const problem = this.lower(i);
      if (problem !== null) return `${nodes[i]!.name}: ${problem}`;
    }
    const last = nodes.length - 1;
    const logits = this.slot({ role: 'logits' }, true, nodes[last]!.shape);
    this.emit(this.forward, 'copy', { src: this.nhwc(last), dst: logits }, { accumulate: 0 });
    return { storages: this.storages, buffers: this.buffers, slots: this.slots, forward: this.forward, backward: [], constants: this.constants, folded: this.folded };
  }

  /** A caller's array holding these values, fixed when the plan is made. */
  private constant(values: Float32Array): number {
    const buffer = this.slot({ role: 'constant' }, false, [values.length]);
    this.constants.set(this.slots.length - 1, values);
    return buffer;
  }

  /** The batch norm that alone reads node i (and reads only it), or null. */
  private soleBatchNorm(i: number): number | null {
    const readers = this.consumers[i]!;
    return readers.length === 1 && this.graph.nodes[readers[0]!]!.kind === 'batchNorm' ? readers[0]! : null;
  }

  /** Fuses into node i the ReLU that alone reads node `of` (i itself, or the batch norm folded into i): whether there was one. */
  private fuseRelu(i: number, of = i): boolean {
    const relu = this.soleRelu(of);
    if (relu !== null) this.fusedInto.set(relu, i);
    return relu !== null;
  }

  private scaleShift(node: BatchNormNode) {
    return batchNormScaleShift(this.read(node.gamma), this.read(node.beta), this.read(node.movingMean), this.read(node.movingVariance), node.epsilon);
  }

  /** Node i's output as NHWC: its value, or (when it is blocked by channels) an unblocked copy, made once. */
  private nhwc(i: number): number {
    if (!this.blocked.has(i)) return this.value[i]!;
    let y = this.unblocked.get(i);
    if (y === undefined) {
      y = this.fresh(this.graph.nodes[i]!.shape);
      this.emit(this.forward, 'unblock', { x: this.value[i]!, y }, {});
      this.unblocked.set(i, y);
    }
    return y;
  }

  /** A new buffer for an output of this per-example shape, blocked ([c/block h w, block]) or NHWC. */
  private output(shape: readonly number[], blocked: boolean): number {
    if (!blocked) return this.fresh(shape);
    const c = shape[shape.length - 1]!;
    return this.fresh([(c / this.block) * shape.slice(0, -1).reduce((a, b) => a * b, 1), this.block]);
  }

  /**
   * Whether node `end`'s output is worth keeping blocked: every reader takes blocked activations as they are (a
   * convolution, a pooling, a ReLU, a sum) and the channels are a multiple of the block.
   */
  private keepsBlocked(end: number): boolean {
    const shape = this.graph.nodes[end]!.shape;
    const readers = this.consumers[end]!;
    const takes = new Set(['conv', 'pool', 'globalAveragePool', 'relu', 'add']);
    return this.fills(shape[shape.length - 1]!) && shape.length === 3 && readers.length > 0 && readers.every((r) => takes.has(this.graph.nodes[r]!.kind));
  }

  /** Whether c channels fill whole blocks (never, without blocking). */
  private fills(c: number): boolean {
    return this.block !== 0 && c % this.block === 0;
  }

  private setValue(i: number, buffer: number, blocked: boolean): null {
    this.value[i] = buffer;
    if (blocked) this.blocked.add(i);
    return null;
  }

  private lower(i: number): string | null {
    const node = this.graph.nodes[i]!;
    const k0 = node.inputs[0]!;
    const x = this.value[k0]!;
    const xBlocked = this.blocked.has(k0);
    const fused = this.fusedInto.get(i);
    if (fused !== undefined) return this.setValue(i, this.value[fused]!, this.blocked.has(fused));
    switch (node.kind) {
      case 'input':
        return this.setValue(i, this.slot({ role: 'input' }, true, node.shape), false);
      case 'conv': {
        const inShape = this.graph.nodes[k0]!.shape;
        const g = this.convGeometry(inShape, node);
        if (g === null) return 'a convolution geometry the native kernels do not take';
        const kernel = this.read(node.kernel);
        const ownBias = node.bias === null ? null : this.read(node.bias);
        const bn = node.relu ? null : this.soleBatchNorm(i);
        let w = kernel;
        let bias = ownBias;
        let relu = node.relu;
        let end = i;
        if (bn !== null) {
          const { scale, shift } = this.scaleShift(this.graph.nodes[bn] as BatchNormNode);
          ({ filter: w, bias } = foldConvBatchNorm(kernel, ownBias, scale, shift));
          this.fusedInto.set(bn, i);
          this.folded++;
          end = bn;
        }
        if (!relu) {
          const r = this.soleRelu(end);
          if (r !== null) {
            this.fusedInto.set(r, i);
            relu = true;
            end = r;
          }
        }
        const ci = inShape[inShape.length - 1]!;
        const co = node.shape[node.shape.length - 1]!;
        // Blocked in, blocked out (a chain goes on), or from a one-channel image into a chain (the layouts oneDNN's
        // fast kernels take); a blocked input whose convolution cannot give a blocked output is unblocked first.
        const blockedIn = xBlocked && this.fills(co);
        const blockedOut = blockedIn || (ci === 1 && this.fills(co) && this.keepsBlocked(end));
        const y = this.output(node.shape, blockedOut);
        const params = { relu: relu ? 1 : 0, blockIn: blockedIn ? this.block : 0, blockOut: blockedOut ? this.block : 0, ci, co, ...g };
        const src = blockedIn ? x : this.nhwc(k0);
        this.emit(this.forward, 'convInference', { x: src, w: this.constant(w), bias: bias === null ? null : this.constant(bias), y }, params);
        return this.setValue(i, y, blockedOut);
      }
      case 'batchNorm': {
        const { scale, shift } = this.scaleShift(node);
        const relu = this.fuseRelu(i);
        const y = this.fresh(node.shape);
        this.emit(this.forward, 'scaleShift', { x: this.nhwc(k0), scale: this.constant(scale), shift: this.constant(shift), y }, { relu: relu ? 1 : 0 });
        return this.setValue(i, y, false);
      }
      case 'relu': {
        const y = this.output(node.shape, xBlocked);
        this.emit(this.forward, 'relu', { x, y }, {});
        return this.setValue(i, y, xBlocked);
      }
      case 'add': {
        const relu = this.fuseRelu(i);
        const blocked = node.inputs.every((k) => this.blocked.has(k));
        const inputs = node.inputs.map((k) => (blocked ? this.value[k]! : this.nhwc(k)));
        let sum = inputs[0]!;
        for (let k = 1; k < inputs.length; k++) {
          const y = this.output(node.shape, blocked);
          this.emit(this.forward, 'add', { a: sum, b: inputs[k]!, y }, { relu: relu && k === inputs.length - 1 ? 1 : 0 });
          sum = y;
        }
        return this.setValue(i, sum, blocked);
      }
      case 'concat': {
        const y = this.fresh(node.shape);
        let from = 0;
        for (const k of node.inputs) {
          const src = this.nhwc(k);
          const cols = this.buffers[src]!.cols;
          this.emit(this.forward, 'copy', { src, dst: this.columns(y, from, cols) }, { accumulate: 0 });
          from += cols;
        }
        return this.setValue(i, y, false);
      }
      case 'pool': {
        const params = this.poolParams(node);
        if (params === null) return 'a pooling geometry the native kernels do not take';
        if (params === 'identity') return this.setValue(i, x, xBlocked);
        const y = this.output(node.shape, xBlocked);
        this.emit(this.forward, 'pool', { x, y }, params);
        return this.setValue(i, y, xBlocked);
      }
      case 'globalAveragePool': {
        const y = this.fresh(node.shape);
        this.emit(this.forward, 'meanPositions', { x, y }, {});
        return this.setValue(i, y, false);
      }
      case 'flatten': {
        // A view of the caller's input would name its array twice: the input is copied into the arena first.
        let src = this.nhwc(k0);
        if (this.buffers[src]!.slot !== null) {
          const copy = this.fresh(this.graph.nodes[k0]!.shape);
          this.emit(this.forward, 'copy', { src, dst: copy }, { accumulate: 0 });
          src = copy;
        }
        const y = this.reshaped(src, matrixOf(node.shape));
        if (y === null) return 'a flatten of an unexpected size';
        return this.setValue(i, y, false);
      }
      case 'dense': {
        const relu = node.relu || this.fuseRelu(i);
        const bias = node.bias === null ? null : this.constant(this.read(node.bias));
        const y = this.fresh(node.shape);
        this.emit(this.forward, 'dense', { x: this.nhwc(k0), w: this.constant(this.read(node.kernel)), bias, y }, { relu: relu ? 1 : 0 });
        return this.setValue(i, y, false);
      }
      case 'dropout':
        return this.setValue(i, x, xBlocked); // the identity at inference
    }
  }
}
