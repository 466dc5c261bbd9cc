import { channelStats } from '../../data/batch.js';
import type { ExportCombine } from '../ensembleModel.js';
import { attr, type GraphBuilder, type Value } from './graph.js';
import type { AttributeObject } from './protobuf.js';
import type { Normalization } from '../../schema/data.js';

/** How the graph's input is laid out: as TF.js holds images (N x H x W x C), or as most ONNX consumers (N x C x H x W). */
export type OnnxLayout = 'nhwc' | 'nchw';
/** The input layouts an ONNX export can take: N x H x W x C (as TF.js) or N x C x H x W. */
export const ONNX_LAYOUTS: readonly OnnxLayout[] = ['nhwc', 'nchw'];

/** What the graph's input holds: raw pixel values in `range` (bytes), or a table's raw feature values. */
export type OnnxInputKind = { kind: 'pixels'; range: readonly [number, number] } | { kind: 'features' };

/**
 * The input normalised per channel (a table: per feature) as training saw it: pixels x' = (x / 255 - mean_c) / std_c,
 * features x' = (x - mean_f) / std_f, both as one Mul and one Add, x' = x a_c + b_c. An image input laid out
 * N x C x H x W gives a value already channels first.
 */
export function normalizedInput(g: GraphBuilder, input: string, shape: readonly number[], kind: OnnxInputKind, normalization: Normalization, layout: OnnxLayout): Value {
  const channels = shape[shape.length - 1]!;
  const divisor = kind.kind === 'pixels' ? kind.range[1] : 1;
  const stats = Array.from({ length: channels }, (_, c) => channelStats(normalization, c));
  const scale = stats.map((s) => 1 / (divisor * s.std));
  const offset = stats.map((s) => -s.mean / s.std);
  const channelsFirst = layout === 'nchw' && shape.length === 3;
  const dims = channelsFirst ? [channels, 1, 1] : [channels];
  const scaled = g.node('Mul', [input, g.floats('normalize_scale', scale, dims)], 'normalize_scaled');
  return { name: g.node('Add', [scaled, g.floats('normalize_offset', offset, dims)], 'normalized'), shape, channelsFirst };
}

/** A node whose output must keep its exact name (a graph output). */
function named(g: GraphBuilder, op: string, inputs: string[], output: string, attributes: AttributeObject[] = []): string {
  const name = g.node(op, inputs, output, attributes);
  if (name !== output) throw new Error(`the graph output name ${output} is taken`);
  return name;
}

/**
 * The ensemble's class probabilities from its members' logits, as the output `probabilities`: 'mean' averages
 * the members' softmax outputs (the paper's rule, Mean of Softmax); 'geometric' is the softmax of the mean logits.
 */
export function classificationHead(g: GraphBuilder, logits: readonly Value[], combine: ExportCombine): string {
  const softmax = [attr.int('axis', 1)];
  if (combine === 'geometric') {
    const mean = logits.length === 1 ? logits[0]!.name : g.node('Mean', logits.map((l) => l.name), 'mean_logits');
    return named(g, 'Softmax', [mean], 'probabilities', softmax);
  }
  if (logits.length === 1) return named(g, 'Softmax', [logits[0]!.name], 'probabilities', softmax);
  const probabilities = logits.map((l, i) => g.node('Softmax', [l.name], `member${i + 1}_probabilities`, softmax));
  return named(g, 'Mean', probabilities, 'probabilities');
}

export interface RegressionOutputs {
  mean: string;
  spread: string;
  /** Present when the members' noise variances are known. */
  variance: string | null;
}

/**
 * A regression ensemble's outputs from its members' standardised predictions z_k: each in the target's units,
 * mu_k = z_k std + mean; then `mean` = mean_k mu_k, `spread` = sqrt(mean_k (mu_k - mean)^2) (the members' standard
 * deviation), and `variance` = mean_k sigma_k^2 + spread^2, the moment-matched predictive variance that `evaluate`'s
 * Gaussian NLL uses (combineGaussians).
 */
export function regressionHead(g: GraphBuilder, outputs: readonly Value[], target: { mean: number; std: number }, noiseVariances: readonly number[] | null): RegressionOutputs {
  const stacked = outputs.length === 1 ? outputs[0]!.name : g.node('Concat', outputs.map((o) => o.name), 'members', [attr.int('axis', 1)]);
  const scaled = g.node('Mul', [stacked, g.floats('target_std', [target.std], [])], 'members_scaled');
  const members = g.node('Add', [scaled, g.floats('target_mean', [target.mean], [])], 'members_in_target_units');
  const reduce = [attr.ints('axes', [1]), attr.int('keepdims', 1)];
  const mean = named(g, 'ReduceMean', [members], 'mean', reduce);
  const deviation = g.node('Sub', [members, mean], 'deviation');
  const squared = g.node('Mul', [deviation, deviation], 'squared_deviation');
  const spreadSquared = g.node('ReduceMean', [squared], 'spread_squared', reduce);
  const spread = named(g, 'Sqrt', [spreadSquared], 'spread');
  if (noiseVariances === null) return { mean, spread, variance: null };
  const noise = noiseVariances.reduce((s, v) => s + v, 0) / noiseVariances.length;
  const variance = named(g, 'Add', [spreadSquared, g.floats('noise_variance', [noise], [])], 'variance');
  return { mean, spread, variance };
}
