// Over 300 lines, on purpose: the forward lowering (lowerForward) and the backward lowering share one compiler's state
// (buffers, slots, which ReLU each batch norm or sum absorbed, what each node saved for its gradient, who holds a
// buffer), and split across files they would pass a dozen maps to each other.
import type { TrainingGraph } from '../../programGraph.js';
import { maxPoolGradTakes } from '../poolKernels.js';
import type { ChannelBlock } from './channelBlock.js';
import type { PlanOp } from './operations.js';
import { matrixOf, PlanBuilder, type Plan } from './planBuilder.js';

/** Where a gradient lives while the backward list is written (other gradients may share its storage). */
interface Gradient {
  buffer: number;
}

/**
 * Compiles a model's training graph into a plan: the forward list (batch norms fused with the ReLU that alone reads
 * them, or with the sum that alone reads them and its ReLU; other sums with theirs; the input, logits and dropout
 * masks copied between the caller's arrays and the arena), and the backward list, written node by node in reverse,
 * each gradient added where several operations contribute to it (in place when nothing else refers to its buffer).
 * Pure: the numbers come from the graph, `maxBatch` and `block`.
 *
 * With a channel block (8 or 16: the CPU's, see channelBlock), activations whose channels fill whole blocks stay
 * blocked ([c / block h w, block] per example, oneDNN's nChw8c or nChw16c, where its convolutions run 9-23% faster
 * than on NHWC here) through convolutions, batch norms, ReLUs, sums and poolings, and their gradients alike; they are
 * converted (block and unblock operations, each gradient converted back) only where a reader takes NHWC (flatten,
 * dropout, a convolution whose input channels do not fill blocks: oneDNN has no fast kernel for NHWC on one side and
 * blocked on the other). A graph with concatenations (DenseNet) stays NHWC: its layers write channel ranges of one
 * buffer, and every layer would convert. Returns a one-line reason for a graph it cannot compile.
 */
export function compileTraining(graph: TrainingGraph, maxBatch: number, block: ChannelBlock = 0): Plan | string {
  return new Compiler(graph, maxBatch, block).compile();
}

class Compiler extends PlanBuilder {
  /** Each node's output buffer. */
  private readonly value: number[] = [];
  /**
   * Nodes whose output is another node's: a ReLU fused into the batch norm or sum before it, a sum folded into a
   * batch norm (and the sum's ReLU into that batch norm too).
   */
  private readonly fusedInto = new Map<number, number>();
  private readonly weightSlot = new Map<unknown, number>();
  private readonly gradSlot = new Map<unknown, number>();
  /** Per node: saved statistics and masks the backward list reads. */
  private readonly saved = new Map<number, Record<string, number>>();
  private readonly gradients = new Map<number, Gradient>();
  /** How many gradients (of nodes not yet back-propagated) refer to each storage. */
  private readonly holders = new Map<number, number>();
  /** Nodes whose output (and gradient) is blocked by channels. */
  private readonly blocked = new Set<number>();
  /** Converted copies of nodes' outputs (NHWC of a blocked one, blocked of an NHWC one), by node and layout. */
  private readonly converted = new Map<string, number>();
  /** The block activations are kept in; 0 when the program stays NHWC. */
  private readonly block: ChannelBlock;

  constructor(graph: TrainingGraph, maxBatch: number, block: ChannelBlock) {
    super(graph, maxBatch);
    this.block = graph.nodes.some((node) => node.kind === 'concat') ? 0 : block;
  }

  private variable(v: unknown): number {
    return this.weightSlot.get(v)!;
  }

  compile(): Plan | string {
    const { nodes } = this.graph;
    this.graph.trainable.forEach((variable, i) => {
      this.weightSlot.set(variable, this.slot({ role: 'weight', variable: i }, false, variable.shape as number[]));
      this.gradSlot.set(variable, this.slot({ role: 'grad', variable: i }, false, variable.shape as number[]));
    });
    for (let i = 0; i < nodes.length; i++) {
      const problem = this.lowerForward(i);
      if (problem !== null) return `${nodes[i]!.name}: ${problem}`;
    }
    const last = nodes.length - 1;
    const logits = this.slot({ role: 'logits' }, true, nodes[last]!.shape);
    this.emit(this.forward, 'copy', { src: this.value[last]!, dst: logits }, { accumulate: 0 });
    // The gradient of the logits comes in the caller's array; it is copied into the arena, where views can read it.
    const dlogits = this.slot({ role: 'dlogits' }, true, nodes[last]!.shape);
    const dy = this.fresh(nodes[last]!.shape);
    this.emit(this.backward, 'copy', { src: dlogits, dst: dy }, { accumulate: 0 });
    this.setGradient(last, dy);
    const needs = this.needsGradient();
    for (let i = last; i > 0; i--) {
      const g = this.gradients.get(i);
      if (g === undefined || this.fusedInto.has(i)) continue;
      this.lowerBackward(i, g.buffer, needs);
      this.release(i);
    }
    for (const variable of this.graph.trainable) {
      if (!this.written.has(this.gradSlot.get(variable)!)) return `the variable ${variable.name} gets no gradient`;
    }
    return { storages: this.storages, buffers: this.buffers, slots: this.slots, forward: this.forward, backward: this.backward };
  }

  // ---- forward ----

  private setValue(i: number, buffer: number, blocked = false): void {
    this.value[i] = buffer;
    if (blocked) this.blocked.add(i);
  }

  /** Whether c channels of a 3-D activation fill whole blocks (never without blocking). */
  private fills(shape: readonly number[]): boolean {
    return this.block !== 0 && shape.length === 3 && shape[2]! % this.block === 0;
  }

  /** Whether node i keeps its output blocked (before it is lowered; its inputs are). */
  private keepsBlocked(i: number): boolean {
    const node = this.graph.nodes[i]!;
    if (!this.fills(node.shape) || i === this.graph.nodes.length - 1) return false; // the logits stay NHWC
    switch (node.kind) {
      case 'conv':
        return this.fills(this.graph.nodes[node.inputs[0]!]!.shape);
      case 'batchNorm':
      case 'relu':
      case 'add':
        return true;
      case 'pool':
        return this.blocked.has(node.inputs[0]!);
      default:
        return false;
    }
  }

  /**
   * Whether node i reads its input k blocked: in its own layout (a node that passes its input on has k's), or (a
   * global average) in k's; flatten, dense and concat read NHWC.
   */
  private readsBlocked(i: number, k: number): boolean {
    const node = this.graph.nodes[i]!;
    if (node.kind === 'globalAveragePool') return this.blocked.has(k);
    return this.blocked.has(i) && ['conv', 'batchNorm', 'relu', 'add', 'pool', 'dropout'].includes(node.kind);
  }

  /** Whether node i passes its input on unchanged: dropout of rate 0 (or 1, as tfjs-layers does), a 1x1 pooling. */
  private passesOn(i: number): boolean {
    const node = this.graph.nodes[i]!;
    if (node.kind === 'dropout') return !(node.rate > 0 && node.rate < 1);
    return node.kind === 'pool' && this.poolParams(node) === 'identity';
  }

  /** A new contiguous buffer of this per-example shape, blocked ([c / block h w, block]) or NHWC. */
  private output(shape: readonly number[], blocked: boolean): number {
    if (!blocked) return this.fresh(shape);
    return this.fresh([(shape[2]! / this.block) * shape[0]! * shape[1]!, this.block]);
  }

  /** Node k's output as node i reads it: its value, or a converted copy (made once, by the forward list). */
  private input(i: number, k: number): number {
    const blocked = this.readsBlocked(i, k);
    if (this.blocked.has(k) === blocked) return this.value[k]!;
    const key = `${k}:${blocked}`;
    let y = this.converted.get(key);
    if (y === undefined) {
      y = this.convert(this.value[k]!, this.graph.nodes[k]!.shape, blocked, this.forward);
      this.converted.set(key, y);
    }
    return y;
  }

  /** Activations `x` of this shape in the other layout (blocked when `toBlocked`), converted by an operation of `list`. */
  private convert(x: number, shape: readonly number[], toBlocked: boolean, list: PlanOp[]): number {
    const y = this.output(shape, toBlocked);
    if (toBlocked) this.emit(list, 'block', { x: this.contiguous(x, list), y }, {});
    else this.emit(list, 'unblock', { x, y }, {});
    return y;
  }

  private lowerForward(i: number): string | null {
    const node = this.graph.nodes[i]!;
    if (this.fusedInto.has(i)) {
      const into = this.fusedInto.get(i)!;
      this.setValue(i, this.value[into]!, this.blocked.has(into));
      return null;
    }
    if (this.passesOn(i)) {
      const k = node.inputs[0]!;
      this.setValue(i, this.value[k]!, this.blocked.has(k));
      return null;
    }
    const blocked = this.keepsBlocked(i);
    if (blocked) this.blocked.add(i);
    const input = node.inputs.map((k) => this.input(i, k));
    const x = input[0]!;
    switch (node.kind) {
      case 'input': {
        const slot = this.slot({ role: 'input' }, true, node.shape);
        const y = this.fresh(node.shape);
        this.emit(this.forward, 'copy', { src: slot, dst: y }, { accumulate: 0 });
        this.setValue(i, y);
        return null;
      }
      case 'conv': {
        const inShape = this.graph.nodes[node.inputs[0]!]!.shape;
        const g = this.convGeometry(inShape, node);
        if (g === null) return 'a convolution geometry the native kernels do not take';
        const y = this.output(node.shape, blocked);
        const bias = node.bias === null ? null : this.variable(node.bias);
        const params = { relu: node.relu ? 1 : 0, block: blocked ? this.block : 0, ...g };
        this.emit(this.forward, 'conv', { x: this.contiguous(x, this.forward), w: this.variable(node.kernel), bias, y }, params);
        this.setValue(i, y);
        return null;
      }
      case 'batchNorm': {
        const sum = this.foldableSum(i);
        const relu = sum === null ? this.soleRelu(i) : this.soleRelu(sum.add);
        if (sum !== null) this.fusedInto.set(sum.add, i);
        if (relu !== null) this.fusedInto.set(relu, i);
        const c = node.shape[node.shape.length - 1]!;
        const y = this.output(node.shape, blocked);
        const mean = this.fresh([c], false);
        const variance = this.fresh([c], false);
        const moving = (statistic: 'mean' | 'variance', output: boolean) => this.slot({ role: 'moving', node: i, statistic, output }, false, [c]);
        this.emit(
          this.forward,
          'batchNorm',
          {
            x,
            gamma: this.variable(node.gamma),
            beta: this.variable(node.beta),
            y,
            mean,
            variance,
            movingMean: moving('mean', false),
            movingVariance: moving('variance', false),
            newMovingMean: moving('mean', true),
            newMovingVariance: moving('variance', true),
            residual: sum === null ? null : this.input(i, sum.other),
          },
          { relu: relu === null ? 0 : 1, epsilon: node.epsilon, momentum: node.momentum },
        );
        this.saved.set(i, { mean, variance, relu: relu === null ? 0 : 1, ...(sum === null ? {} : { sumWith: sum.other }) });
        this.setValue(i, y);
        return null;
      }
      case 'relu': {
        const y = this.output(node.shape, blocked);
        this.emit(this.forward, 'relu', { x, y }, {});
        this.setValue(i, y);
        return null;
      }
      case 'add': {
        const relu = node.inputs.length === 2 ? this.soleRelu(i) : null;
        if (relu !== null) this.fusedInto.set(relu, i);
        let sum = input[0]!;
        for (let k = 1; k < input.length; k++) {
          const y = this.output(node.shape, blocked);
          this.emit(this.forward, 'add', { a: sum, b: input[k]!, y }, { relu: relu !== null && k === input.length - 1 ? 1 : 0 });
          sum = y;
        }
        this.saved.set(i, { relu: relu === null ? 0 : 1 });
        this.setValue(i, sum);
        return null;
      }
      case 'concat': {
        const y = this.fresh(node.shape);
        let from = 0;
        node.inputs.forEach((k, j) => {
          const cols = this.graph.nodes[k]!.shape.at(-1)!;
          this.emit(this.forward, 'copy', { src: input[j]!, dst: this.columns(y, from, cols) }, { accumulate: 0 });
          from += cols;
        });
        this.setValue(i, y);
        return null;
      }
      case 'pool': {
        const params = this.poolParams(node);
        if (params === null || params === 'identity') return 'a pooling geometry the native kernels do not take';
        if (node.max && !maxPoolGradTakes(params.fh, params.fw)) return 'a max pooling window too large for the native gradient';
        const y = this.output(node.shape, blocked);
        this.emit(this.forward, 'pool', { x: this.contiguous(x, this.forward), y }, params);
        this.saved.set(i, params);
        this.setValue(i, y);
        return null;
      }
      case 'globalAveragePool': {
        const y = this.fresh(node.shape);
        this.emit(this.forward, 'meanPositions', { x: this.contiguous(x, this.forward), y }, {});
        this.setValue(i, y);
        return null;
      }
      case 'flatten': {
        const y = this.reshaped(this.contiguous(x, this.forward), matrixOf(node.shape));
        if (y === null) return 'a flatten of an unexpected size';
        this.setValue(i, y);
        return null;
      }
      case 'dense': {
        const y = this.fresh(node.shape);
        const bias = node.bias === null ? null : this.variable(node.bias);
        this.emit(this.forward, 'dense', { x: this.contiguous(x, this.forward), w: this.variable(node.kernel), bias, y }, { relu: node.relu ? 1 : 0 });
        this.setValue(i, y);
        return null;
      }
      case 'dropout': {
        const slot = this.slot({ role: 'mask', node: i }, true, node.shape);
        const mask = this.fresh(node.shape);
        this.emit(this.forward, 'copy', { src: slot, dst: mask }, { accumulate: 0 });
        const y = this.fresh(node.shape);
        this.emit(this.forward, 'mul', { a: x, b: mask, y }, { accumulate: 0 });
        this.saved.set(i, { mask });
        this.setValue(i, y);
        return null;
      }
    }
  }

  /**
   * The sum that alone reads batch norm i's output, when the batch norm can add it in (its output is then the sum's,
   * the sum's ReLU fused too): a sum of two terms whose other term is an earlier node (its value exists when the batch
   * norm runs), not the logits. Where both terms are such batch norms (a block whose shortcut projects), the later
   * one takes the sum.
   */
  private foldableSum(i: number): { add: number; other: number } | null {
    const readers = this.consumers[i]!;
    if (readers.length !== 1) return null;
    const add = readers[0]!;
    const node = this.graph.nodes[add]!;
    if (node.kind !== 'add' || node.inputs.length !== 2) return null;
    const other = node.inputs[0] === i ? node.inputs[1]! : node.inputs[0]!;
    const last = this.graph.nodes.length - 1;
    const relu = this.soleRelu(add);
    if (other >= i || add === last || relu === last) return null;
    return { add, other };
  }

  /** Buffer x as a contiguous buffer: itself, or when it is a view a copy made by an operation of `list`. */
  private contiguous(x: number, list: PlanOp[]): number {
    const b = this.buffers[x]!;
    if (b.stride === b.cols) return x;
    const y = this.fresh([b.rows, b.cols]);
    this.emit(list, 'copy', { src: x, dst: y }, { accumulate: 0 });
    return y;
  }

  // ---- backward ----

  /** Whether each node's output depends on a trainable variable (only then does its gradient lead anywhere). */
  private needsGradient(): boolean[] {
    const needs: boolean[] = [];
    this.graph.nodes.forEach((node, i) => {
      const weighted = node.kind === 'conv' || node.kind === 'batchNorm' || node.kind === 'dense';
      needs[i] = weighted || node.inputs.some((k) => needs[k]);
    });
    return needs;
  }

  private storageOf(buffer: number): number | null {
    return this.buffers[buffer]!.storage;
  }

  /** The node whose gradient node i's is: the batch norm or sum a ReLU was fused into, else i. */
  private target(node: number): number {
    return this.fusedInto.get(node) ?? node;
  }

  private setGradient(node: number, buffer: number): void {
    this.gradients.set(this.target(node), { buffer });
    const s = this.storageOf(buffer);
    if (s !== null) this.holders.set(s, (this.holders.get(s) ?? 0) + 1);
  }

  /** Node i has been back-propagated: its gradient no longer holds its buffer. */
  private release(node: number): void {
    const g = this.gradients.get(node);
    const s = g === undefined ? null : this.storageOf(g.buffer);
    if (s !== null) this.holders.set(s, this.holders.get(s)! - 1);
  }

  /** Whether node i's gradient buffer is its alone (in the arena, no other gradient refers to its storage). */
  private owned(node: number): boolean {
    const s = this.storageOf(this.gradients.get(node)!.buffer);
    return s !== null && this.holders.get(s) === 1;
  }

  /** A contiguous buffer of node i's output shape and layout, for its gradient. */
  private gradientBuffer(node: number): number {
    return this.output(this.graph.nodes[node]!.shape, this.blocked.has(node));
  }

  /** Whether node `reader` (being back-propagated) read its input k in another layout than k's own. */
  private converts(reader: number, k: number): boolean {
    return this.readsBlocked(reader, k) !== this.blocked.has(k);
  }

  /** Adds buffer `src` (in the layout node `reader` read its input k in) to input k's gradient. */
  private give(reader: number, k: number, src: number): void {
    if (!this.converts(reader, k)) return this.contributeBuffer(k, src);
    this.contributeBuffer(k, this.convert(src, this.graph.nodes[k]!.shape, this.blocked.has(k), this.backward));
  }

  /** Adds an operation's output (in the layout node `reader` read its input k in) to input k's gradient, as contributeOp. */
  private giveOp(reader: number, k: number, canAccumulate: boolean, write: (dst: number, accumulate: number) => void): void {
    if (!this.converts(reader, k)) return this.contributeOp(k, canAccumulate, write);
    const t = this.output(this.graph.nodes[k]!.shape, !this.blocked.has(k));
    write(t, 0);
    this.give(reader, k, t);
  }

  /** Adds buffer `src` (which stays as it is) to node i's gradient. */
  private contributeBuffer(to: number, src: number): void {
    const node = this.target(to);
    const g = this.gradients.get(node);
    if (g === undefined) return this.setGradient(node, src);
    if (this.owned(node)) {
      this.emit(this.backward, 'copy', { src, dst: g.buffer }, { accumulate: 1 });
      return;
    }
    const sum = this.gradientBuffer(node);
    this.emit(this.backward, 'add', { a: g.buffer, b: src, y: sum }, { relu: 0 });
    this.release(node);
    this.setGradient(node, sum);
  }

  /**
   * Adds an operation's output to node i's gradient: `write(dst, accumulate)` emits the operation writing (or, when
   * it can, adding to) dst.
   */
  private contributeOp(to: number, canAccumulate: boolean, write: (dst: number, accumulate: number) => void): void {
    const node = this.target(to);
    const g = this.gradients.get(node);
    if (g === undefined) {
      const dst = this.gradientBuffer(node);
      write(dst, 0);
      return this.setGradient(node, dst);
    }
    if (this.owned(node) && canAccumulate) return write(g.buffer, 1);
    const t = this.gradientBuffer(node);
    write(t, 0);
    this.contributeBuffer(node, t);
  }

  private lowerBackward(i: number, dy: number, needs: boolean[]): void {
    const node = this.graph.nodes[i]!;
    const x = node.kind === 'input' ? -1 : this.input(i, node.inputs[0]!);
    const inputNeeds = node.inputs.map((k) => needs[k]!);
    const y = this.value[i]!;
    const saved = this.saved.get(i) ?? {};
    const masked = (relu: boolean): number => {
      if (!relu) return dy;
      const t = this.output(node.shape, this.blocked.has(i));
      this.emit(this.backward, 'mask', { dy, y, dx: t }, { accumulate: 0 });
      return t;
    };
    switch (node.kind) {
      case 'input':
        return;
      case 'conv': {
        const g = masked(node.relu);
        const inShape = this.graph.nodes[node.inputs[0]!]!.shape;
        const geometry = { block: this.blocked.has(i) ? this.block : 0, ...this.convGeometry(inShape, node)! };
        const xd = this.contiguous(x, this.backward);
        const grad = (v: unknown) => this.gradSlot.get(v)!;
        this.emit(this.backward, 'convFilter', { x: xd, dy: g, dw: grad(node.kernel), dbias: node.bias === null ? null : grad(node.bias) }, geometry);
        if (inputNeeds[0]) this.giveOp(i, node.inputs[0]!, false, (dst) => this.emit(this.backward, 'convData', { dy: g, w: this.variable(node.kernel), dx: dst }, geometry));
        return;
      }
      case 'batchNorm': {
        const grad = (v: unknown) => this.gradSlot.get(v)!;
        // With a sum folded in, the ReLU's mask is the sum's (the mask operation reads the output); the sum's other
        // term gets the masked gradient as it is.
        const sumWith = saved['sumWith'];
        const g = sumWith === undefined ? dy : masked(saved['relu'] === 1);
        const relu = sumWith === undefined && saved['relu'] === 1;
        const emit = (dst: number | null, accumulate: number) =>
          this.emit(
            this.backward,
            'batchNormGrad',
            {
              dy: g,
              x,
              mean: saved['mean']!,
              variance: saved['variance']!,
              gamma: this.variable(node.gamma),
              beta: relu ? this.variable(node.beta) : null,
              dx: dst,
              dgamma: grad(node.gamma),
              dbeta: grad(node.beta),
            },
            { relu: relu ? 1 : 0, epsilon: node.epsilon, accumulate },
          );
        if (inputNeeds[0]) this.giveOp(i, node.inputs[0]!, true, emit);
        else emit(null, 0);
        if (sumWith !== undefined && needs[sumWith]) this.give(i, sumWith, g);
        return;
      }
      case 'relu':
        if (inputNeeds[0]) this.giveOp(i, node.inputs[0]!, true, (dst, accumulate) => this.emit(this.backward, 'mask', { dy, y, dx: dst }, { accumulate }));
        return;
      case 'add': {
        const g = masked(saved['relu'] === 1);
        node.inputs.forEach((k, j) => {
          if (inputNeeds[j]) this.give(i, k, g);
        });
        return;
      }
      case 'concat': {
        let from = 0;
        node.inputs.forEach((k, j) => {
          const cols = this.graph.nodes[k]!.shape.at(-1)!;
          const part = this.columns(dy, from, cols);
          from += cols;
          if (inputNeeds[j]) this.giveOp(i, k, true, (dst, accumulate) => this.emit(this.backward, 'copy', { src: part, dst }, { accumulate }));
        });
        return;
      }
      case 'pool': {
        if (!inputNeeds[0] || y === x) {
          if (inputNeeds[0]) this.give(i, node.inputs[0]!, dy);
          return;
        }
        const params = saved as Record<string, number>;
        const xd = this.contiguous(x, this.backward);
        this.giveOp(i, node.inputs[0]!, false, (dst) => this.emit(this.backward, 'poolGrad', { dy, x: params['max'] === 1 ? xd : null, dx: dst }, params as never));
        return;
      }
      case 'globalAveragePool':
        if (inputNeeds[0]) this.giveOp(i, node.inputs[0]!, true, (dst, accumulate) => this.emit(this.backward, 'meanPositionsGrad', { dy, dx: dst }, { accumulate }));
        return;
      case 'flatten':
        if (inputNeeds[0]) this.give(i, node.inputs[0]!, this.reshaped(this.contiguous(dy, this.backward), matrixOf(this.graph.nodes[node.inputs[0]!]!.shape))!);
        return;
      case 'dense': {
        const g = masked(node.relu);
        const grad = (v: unknown) => this.gradSlot.get(v)!;
        const xd = this.contiguous(x, this.backward);
        this.emit(this.backward, 'denseFilter', { x: xd, dy: g, dw: grad(node.kernel), dbias: node.bias === null ? null : grad(node.bias) }, {});
        if (inputNeeds[0]) this.giveOp(i, node.inputs[0]!, true, (dst, accumulate) => this.emit(this.backward, 'denseData', { dy: g, w: this.variable(node.kernel), dx: dst }, { accumulate }));
        return;
      }
      case 'dropout':
        if (!inputNeeds[0]) return;
        if (saved['mask'] === undefined) return this.give(i, node.inputs[0]!, dy);
        this.giveOp(i, node.inputs[0]!, true, (dst, accumulate) => this.emit(this.backward, 'mul', { a: dy, b: saved['mask']!, y: dst }, { accumulate }));
        return;
    }
  }
}
