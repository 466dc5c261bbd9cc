import { channelStats } from '../data/batch.js';
import { UserError } from '../util/errors.js';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

import { convBnFolds, isSimpleGraph, producers, type Layer } from '../models/foldedInference.js';
import type { Normalization } from '../schema/data.js';
import type { ExampleValues } from '../schema/run.js';

/**
 * How an exported model combines its members: 'mean' averages their softmax outputs (the paper's rule);
 * 'geometric' is the normalised geometric mean, softmax(mean of log softmax) = softmax(mean of the logits), since
 * log softmax(z) = z - logsumexp(z) differs from z by a constant per image.
 */
export type ExportCombine = 'mean' | 'geometric';
/** The combination rules an exported model can compute. */
export const EXPORT_COMBINE_RULES: readonly ExportCombine[] = ['mean', 'geometric'];

/** The exported model's input: raw pixel values in [0, 255] (bytes, or tf.browser.fromPixels' output). */
export const EXPORT_PIXEL_RANGE = [0, 255] as const;

type Constructor = new (config: object) => Layer;
type FromConfig = (cls: Constructor, config: object) => Layer;

/** A new layer of the same class and configuration as `layer` under another name (weights set later). */
function cloneLayer(layer: Layer, name: string): Layer {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[layer.getClassName()] as [Constructor, FromConfig] | undefined;
  if (entry === undefined) throw new Error(`cannot export layer ${layer.name}: class ${layer.getClassName()} is not a registered TF.js layer`);
  const [cls, fromConfig] = entry;
  return fromConfig(cls, { ...layer.getConfig(), name });
}

const isDropout = (layer: Layer) => ['Dropout', 'SpatialDropout1D', 'GaussianDropout', 'GaussianNoise', 'AlphaDropout'].includes(layer.getClassName());

/** Weights to copy into a built layer once the whole model exists. */
type Assignment = { layer: Layer; weights: tf.Tensor[] };

/**
 * One member's inference graph applied to `input` under names prefixed with `prefix`: every convolution that feeds
 * a batch norm replaced by one Conv2D with the folded filter and bias (and the ReLU after it as its activation),
 * dropout left out (the identity in inference), every other layer cloned from its config. Returns the logits and
 * the weights to assign; folded filters and biases are new tensors, listed in `owned`.
 */
function memberGraph(model: tfl.LayersModel, input: tfl.SymbolicTensor, prefix: string, assign: Assignment[], owned: tf.Tensor[]): tfl.SymbolicTensor {
  if (!isSimpleGraph(model)) throw new Error(`cannot export ${model.name}: only models with one input, one output and no shared layers are exported`);
  const folds = convBnFolds(model);
  for (const f of folds.values()) owned.push(f.filter, f.bias);
  const foldedConvs = new Set([...folds.values()].map((f) => f.conv.name));
  const fusedRelus = new Map([...folds.values()].flatMap((f) => (f.relu === null ? [] : [[f.relu.name, f.bn.name] as const])));
  const outputs = new Map<string, tfl.SymbolicTensor>();
  const inputName = model.inputLayers[0]!.name;
  outputs.set(inputName, input);
  for (const layer of model.layers) {
    if (layer.name === inputName || foldedConvs.has(layer.name)) continue;
    const inputs = producers(layer).map((p) => outputs.get(p.name)!);
    const fold = folds.get(layer.name);
    let y: tfl.SymbolicTensor;
    if (fold !== undefined) {
      const source = outputs.get(producers(fold.conv)[0]!.name)!;
      const conv = tfl.layers.conv2d({
        ...(fold.conv.getConfig() as unknown as Parameters<typeof tfl.layers.conv2d>[0]),
        name: prefix + fold.conv.name,
        useBias: true,
        activation: fold.relu === null ? 'linear' : 'relu',
      });
      y = conv.apply(source) as tfl.SymbolicTensor;
      assign.push({ layer: conv, weights: [fold.filter, fold.bias] });
    } else if (fusedRelus.has(layer.name) || isDropout(layer)) {
      y = inputs[0]!;
    } else {
      const clone = cloneLayer(layer, prefix + layer.name);
      y = clone.apply(inputs.length === 1 ? inputs[0]! : inputs) as tfl.SymbolicTensor;
      assign.push({ layer: clone, weights: layer.getWeights() });
    }
    outputs.set(layer.name, y);
  }
  return outputs.get(model.outputLayers[0]!.name)!;
}

/** How ensembleModel builds the exported model: the run's normalisation, how its examples are stored, the combination, a regression's head. */
export interface EnsembleModelOptions {
  normalization: Normalization;
  /** How the examples are stored: bytes (the input is raw pixels in [0, 255]) or numbers (the input is raw values). */
  values?: ExampleValues;
  combine: ExportCombine;
  /** A regression ensemble: its members' noise variances and the target's standardisation (see ensembleModel). */
  regression?: RegressionHead;
  name?: string;
}

/** What a regression ensemble needs beyond its members: each member's sigma^2 and the target's mean and std. */
export interface RegressionHead {
  noiseVariances: readonly number[];
  target: { mean: number; std: number };
}

/** The exported model's outputs: class probabilities, or a regression's predictive mean and variance. */
export const REGRESSION_OUTPUTS = ['mean', 'variance'] as const;

/**
 * The normalisation (x * k - mean) / std per channel (images; k = 1/255 for bytes) or per feature (a table) as
 * standard layers: one Rescaling when every channel has the same statistics, else a per-channel affine map, a 1x1
 * depthwise convolution for images (kernel k / std[c], bias -mean[c] / std[c]) or a diagonal dense layer for a
 * table, both exact: each output is one product and one sum.
 */
function normalizationLayer(shape: readonly number[], options: EnsembleModelOptions, assign: Assignment[], owned: tf.Tensor[]): (x: tfl.SymbolicTensor) => tfl.SymbolicTensor {
  const k = (options.values ?? 'bytes') === 'bytes' ? 1 / 255 : 1;
  const channels = shape[shape.length - 1] ?? 1;
  const stats = Array.from({ length: channels }, (_, c) => channelStats(options.normalization, c));
  if (stats.every((s) => s.mean === stats[0]!.mean && s.std === stats[0]!.std)) {
    const { mean, std } = stats[0]!;
    // (x k - mean) / std = x * k / std + (-mean / std)
    return (x) => tfl.layers.rescaling({ name: 'normalize', scale: k / std, offset: -mean / std }).apply(x) as tfl.SymbolicTensor;
  }
  const scale = stats.map((s) => k / s.std);
  const offset = stats.map((s) => -s.mean / s.std);
  const bias = tf.tensor1d(offset);
  owned.push(bias);
  if (shape.length === 3) {
    const layer = tfl.layers.depthwiseConv2d({ name: 'normalize', kernelSize: 1, depthMultiplier: 1, useBias: true });
    const kernel = tf.tensor4d(scale, [1, 1, channels, 1]);
    owned.push(kernel);
    return (x) => {
      const y = layer.apply(x) as tfl.SymbolicTensor;
      assign.push({ layer, weights: [kernel, bias] });
      return y;
    };
  }
  if (shape.length !== 1) throw new UserError(`export: examples of shape ${shape.join('x')} are neither images nor table rows`);
  const layer = tfl.layers.dense({ name: 'normalize', units: channels, useBias: true });
  const diagonal = new Float32Array(channels * channels);
  scale.forEach((v, c) => (diagonal[c * channels + c] = v));
  const kernel = tf.tensor2d(diagonal, [channels, channels]);
  owned.push(kernel);
  return (x) => {
    const y = layer.apply(x) as tfl.SymbolicTensor;
    assign.push({ layer, weights: [kernel, bias] });
    return y;
  };
}

/** The members' combination for classification: the mean of their softmax outputs, or the softmax of their mean logits. */
function classificationHead(logits: tfl.SymbolicTensor[], combine: ExportCombine): tfl.SymbolicTensor {
  const single = logits.length === 1;
  if (combine === 'mean') {
    const probabilities = logits.map((l, i) => tfl.layers.activation({ name: `member${i + 1}_softmax`, activation: 'softmax' }).apply(l) as tfl.SymbolicTensor);
    return single ? probabilities[0]! : (tfl.layers.average({ name: 'ensemble_mean' }).apply(probabilities) as tfl.SymbolicTensor);
  }
  const meanLogits = single ? logits[0]! : (tfl.layers.average({ name: 'mean_logits' }).apply(logits) as tfl.SymbolicTensor);
  return tfl.layers.activation({ name: 'ensemble_softmax', activation: 'softmax' }).apply(meanLogits) as tfl.SymbolicTensor;
}

/**
 * A regression ensemble's predictive mean and variance, [N, 2]: each member's standardised output back in the
 * target's units (mu_k = z_k std + mean), their mean mu, and the variance of the moment-matched mixture,
 * mean_k sigma_k^2 + mean_k (mu_k - mu)^2 (evaluateRegressionEnsemble's), the deviations taken before squaring.
 */
function regressionHead(outputs: tfl.SymbolicTensor[], head: RegressionHead): tfl.SymbolicTensor {
  const { mean, std } = head.target;
  const noise = head.noiseVariances.reduce((a, b) => a + b, 0) / head.noiseVariances.length;
  const means = outputs.map((z, i) => tfl.layers.rescaling({ name: `member${i + 1}_target`, scale: std, offset: mean }).apply(z) as tfl.SymbolicTensor);
  if (means.length === 1) {
    const variance = tfl.layers.rescaling({ name: 'ensemble_variance', scale: 0, offset: noise }).apply(means[0]!) as tfl.SymbolicTensor;
    return tfl.layers.concatenate({ name: 'ensemble_mean_variance' }).apply([means[0]!, variance]) as tfl.SymbolicTensor;
  }
  const mu = tfl.layers.average({ name: 'ensemble_mean' }).apply(means) as tfl.SymbolicTensor;
  const minusMu = tfl.layers.rescaling({ name: 'ensemble_mean_negated', scale: -1, offset: 0 }).apply(mu) as tfl.SymbolicTensor;
  const squares = means.map((m, i) => {
    const d = tfl.layers.add({ name: `member${i + 1}_deviation` }).apply([m, minusMu]) as tfl.SymbolicTensor;
    return tfl.layers.multiply({ name: `member${i + 1}_deviation_squared` }).apply([d, d]) as tfl.SymbolicTensor;
  });
  const spread = tfl.layers.average({ name: 'ensemble_spread_squared' }).apply(squares) as tfl.SymbolicTensor;
  const variance = tfl.layers.rescaling({ name: 'ensemble_variance', scale: 1, offset: noise }).apply(spread) as tfl.SymbolicTensor;
  return tfl.layers.concatenate({ name: 'ensemble_mean_variance' }).apply([mu, variance]) as tfl.SymbolicTensor;
}

/**
 * One TF.js layers model, made only of standard layers, that computes an ensemble of logits models:
 * raw input (pixels in [0, 255], or a table's values) -> the run's normalisation (normalizationLayer) -> each member
 * (batch norms folded into their convolutions) -> for 'mean', softmax of each then Average; for 'geometric',
 * Average of the logits then softmax; for a regression, the predictive mean and variance (regressionHead).
 * The members are left as they are (the caller disposes them); the weights are copied.
 */
export function ensembleModel(members: readonly tfl.LayersModel[], options: EnsembleModelOptions): tfl.LayersModel {
  if (members.length === 0) throw new RangeError('an ensemble needs at least one member');
  if (options.regression !== undefined && options.regression.noiseVariances.length !== members.length) {
    throw new RangeError(`${options.regression.noiseVariances.length} noise variances for ${members.length} members`);
  }
  const shape = members[0]!.inputs[0]!.shape.slice(1) as number[];
  const assign: Assignment[] = [];
  const owned: tf.Tensor[] = [];
  try {
    const input = tfl.input({ shape, name: (options.values ?? 'bytes') === 'bytes' ? 'pixels' : 'features' });
    const normalized = normalizationLayer(shape, options, assign, owned)(input);
    const logits = members.map((m, i) => memberGraph(m, normalized, `member${i + 1}_`, assign, owned));
    const output = options.regression === undefined ? classificationHead(logits, options.combine) : regressionHead(logits, options.regression);
    const model = tfl.model({ name: options.name ?? `ensemble_of_${members.length}`, inputs: input, outputs: output });
    for (const { layer, weights } of assign) layer.setWeights(weights);
    return model;
  } finally {
    tf.dispose(owned);
  }
}
