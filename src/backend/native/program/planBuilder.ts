import type { TrainingGraph, TrainingNode } from '../../programGraph.js';
import { convInfo } from '../convKernels.js';
import { poolGeometry } from '../poolKernels.js';
import type { OperationName, PlanOp } from './operations.js';

/**
 * A block of the arena that the layout places: `floats` per example when batched (times the batch the program is
 * laid out for), else `floats` in all.
 */
export interface Storage {
  batched: boolean;
  floats: number;
}

/**
 * An operand: a [rows, cols] block with a row stride, `rows` per example when batched, either at `offset` floats into
 * a storage of the arena or one of the caller's arrays (`slot`, contiguous, offset 0).
 */
export interface PlanBuffer {
  storage: number | null;
  slot: number | null;
  offset: number;
  batched: boolean;
  rows: number;
  cols: number;
  stride: number;
}

/**
 * What each of the caller's arrays holds. `variable` indexes TrainingGraph.trainable; `node` TrainingGraph.nodes; a
 * `constant` is an inference program's folded filter, bias or batch-norm scale, made when it is compiled.
 */
export type SlotRole =
  | { role: 'input' }
  | { role: 'logits' }
  | { role: 'dlogits' }
  | { role: 'weight'; variable: number }
  | { role: 'grad'; variable: number }
  | { role: 'moving'; node: number; statistic: 'mean' | 'variance'; output: boolean }
  | { role: 'mask'; node: number }
  | { role: 'constant' };

/** A compiled training step before layout: buffers over storages and slots, and the forward and backward lists. */
export interface Plan {
  storages: Storage[];
  buffers: PlanBuffer[];
  slots: SlotRole[];
  forward: PlanOp[];
  backward: PlanOp[];
}

export type Shape2 = { rows: number; cols: number };

/** A node's output as [positions, channels] per example: [h, w, c] -> [h w, c]; [f] -> [1, f]. */
export function matrixOf(shape: readonly number[]): Shape2 {
  const cols = shape[shape.length - 1] ?? 1;
  return { rows: shape.slice(0, -1).reduce((a, b) => a * b, 1), cols };
}

/**
 * What the training and the inference compilers share: the plan's storages, buffers and slots as they are made, the
 * lists operations are emitted to, and the graph's readers of each node.
 */
export class PlanBuilder {
  protected readonly storages: Storage[] = [];
  protected readonly buffers: PlanBuffer[] = [];
  protected readonly slots: SlotRole[] = [];
  protected readonly forward: PlanOp[] = [];
  protected readonly backward: PlanOp[] = [];
  /** Each node's readers. */
  protected readonly consumers: number[][];

  constructor(
    protected readonly graph: TrainingGraph,
    protected readonly maxBatch: number,
  ) {
    this.consumers = graph.nodes.map(() => []);
    graph.nodes.forEach((node, i) => node.inputs.forEach((input) => this.consumers[input]!.push(i)));
  }

  protected slot(role: SlotRole, batched: boolean, shape: readonly number[]): number {
    const { rows, cols } = batched ? matrixOf(shape) : { rows: 1, cols: shape.reduce((a, b) => a * b, 1) };
    this.slots.push(role);
    return this.add({ storage: null, slot: this.slots.length - 1, offset: 0, batched, rows, cols, stride: cols });
  }

  protected add(buffer: PlanBuffer): number {
    this.buffers.push(buffer);
    return this.buffers.length - 1;
  }

  /** A new storage holding one contiguous buffer of this per-example shape (or of `floats` in all when unbatched). */
  protected fresh(shape: readonly number[], batched = true): number {
    const { rows, cols } = batched ? matrixOf(shape) : { rows: 1, cols: shape.reduce((a, b) => a * b, 1) };
    this.storages.push({ batched, floats: rows * cols });
    return this.add({ storage: this.storages.length - 1, slot: null, offset: 0, batched, rows, cols, stride: cols });
  }

  /** The same memory as buffer `of`, seen as another shape (contiguous buffers only), or null. */
  protected reshaped(of: number, shape: Shape2): number | null {
    const b = this.buffers[of]!;
    if (b.stride !== b.cols || b.rows * b.cols !== shape.rows * shape.cols) return null;
    return this.add({ ...b, rows: shape.rows, cols: shape.cols, stride: shape.cols });
  }

  /** Columns [from, from + cols) of buffer `of`. */
  protected columns(of: number, from: number, cols: number): number {
    const b = this.buffers[of]!;
    return this.add({ ...b, offset: b.offset + from, cols });
  }

  protected emit<N extends OperationName>(list: PlanOp[], name: N, buffers: PlanOp<N>['buffers'], params: PlanOp<N>['params']): void {
    list.push({ name, buffers, params } as unknown as PlanOp);
    for (const [key, id] of Object.entries(buffers as Record<string, number | null>)) if (id !== null && isOutput(name, key)) this.written.add(id);
  }

  /** Buffers some operation writes (to check that every gradient is computed). */
  protected readonly written = new Set<number>();


  /** The one node that reads node i, when it is a ReLU that reads nothing else. */
  protected soleRelu(i: number): number | null {
    const readers = this.consumers[i]!;
    if (readers.length !== 1) return null;
    const r = this.graph.nodes[readers[0]!]!;
    return r.kind === 'relu' && r.inputs.length === 1 ? readers[0]! : null;
  }

  protected convGeometry(inShape: number[], node: Extract<TrainingNode, { kind: 'conv' }>) {
    const filterShape = node.kernel.shape as number[];
    const g = convInfo([this.maxBatch, ...inShape], filterShape, { strides: node.strides, pad: node.padding });
    if (g === null) return null;
    const [, h, w, , kh, kw, , oh, ow, sh, sw, , , pt, pl, pb, pr] = g.shape as number[];
    return { h: h!, w: w!, kh: kh!, kw: kw!, oh: oh!, ow: ow!, sh: sh!, sw: sw!, pt: pt!, pl: pl!, pb: pb!, pr: pr! };
  }

  /**
   * A pooling node's operation parameters; 'identity' for a 1x1 window that keeps the shape (the input passes on
   * unchanged, as the cpu kernels pass it on); null for a geometry the native kernels do not take.
   */
  protected poolParams(node: Extract<TrainingNode, { kind: 'pool' }>): PlanOp<'pool'>['params'] | 'identity' | null {
    const inShape = this.graph.nodes[node.inputs[0]!]!.shape;
    const g = poolGeometry([this.maxBatch, ...inShape], { filterSize: node.poolSize, strides: node.strides, pad: node.padding });
    if (g === null) return inShape.every((d, k) => d === node.shape[k]) ? 'identity' : null;
    const [, h, w, , fh, fw, oh, ow, sh, sw, pt, pl] = g.shape as number[];
    return { max: node.max ? 1 : 0, h: h!, w: w!, fh: fh!, fw: fw!, oh: oh!, ow: ow!, sh: sh!, sw: sw!, pt: pt!, pl: pl! };
  }
}

/** The operands each operation writes (the rest it reads). */
const OUTPUTS: Record<OperationName, readonly string[]> = {
  conv: ['y'],
  convData: ['dx'],
  convFilter: ['dw', 'dbias'],
  batchNorm: ['y', 'mean', 'variance', 'newMovingMean', 'newMovingVariance'],
  batchNormGrad: ['dx', 'dgamma', 'dbeta'],
  add: ['y'],
  mask: ['dx'],
  copy: ['dst'],
  mul: ['y'],
  relu: ['y'],
  pool: ['y'],
  poolGrad: ['dx'],
  meanPositions: ['y'],
  meanPositionsGrad: ['dx'],
  dense: ['y'],
  denseData: ['dx'],
  denseFilter: ['dw', 'dbias'],
  scaleShift: ['y'],
  convInference: ['y'],
  unblock: ['y'],
  block: ['y'],
};

export function isOutput(name: OperationName, operand: string): boolean {
  return OUTPUTS[name].includes(operand);
}
