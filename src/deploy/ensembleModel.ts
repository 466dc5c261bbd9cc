import { channelStats } from '../data/batch.js';
import { UserError } from '../util/errors.js';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Normalization } from '../data/batch.js';
import { convBnFolds, isSimpleGraph, producers, type Layer } from '../models/foldedInference.js';

/**
 * How an exported model combines its members: 'mean' averages their softmax outputs (the paper's rule);
 * 'geometric' is the normalised geometric mean, softmax(mean of log softmax) = softmax(mean of the logits), since
 * log softmax(z) = z - logsumexp(z) differs from z by a constant per image.
 */
export type ExportCombine = 'mean' | 'geometric';
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

export interface EnsembleModelOptions {
  normalization: Normalization;
  combine: ExportCombine;
  name?: string;
}

/**
 * One TF.js layers model, made only of standard layers, that computes an ensemble of logits models:
 * pixels in [0, 255] -> Rescaling (x / 255 - mean) / std -> each member (batch norms folded into their
 * convolutions) -> for 'mean', softmax of each then Average; for 'geometric', Average of the logits then softmax.
 * The members are left as they are (the caller disposes them); the weights are copied.
 */
export function ensembleModel(members: readonly tfl.LayersModel[], options: EnsembleModelOptions): tfl.LayersModel {
  if (members.length === 0) throw new RangeError('an ensemble needs at least one member');
  const shape = members[0]!.inputs[0]!.shape.slice(1) as number[];
  // Rescaling takes one scale and offset, so per-channel statistics must agree across channels to be exact here.
  const channels = shape[shape.length - 1] ?? 1;
  const stats = Array.from({ length: channels }, (_, c) => channelStats(options.normalization, c));
  if (stats.some((s) => s.mean !== stats[0]!.mean || s.std !== stats[0]!.std)) {
    throw new UserError('export: this run normalises each channel differently, which a Rescaling layer cannot express yet');
  }
  const { mean, std } = stats[0]!;
  const input = tfl.input({ shape, name: 'pixels' });
  // (x / 255 - mean) / std = x * 1 / (255 std) + (-mean / std)
  const normalized = tfl.layers.rescaling({ name: 'normalize', scale: 1 / (255 * std), offset: -mean / std }).apply(input) as tfl.SymbolicTensor;
  const assign: Assignment[] = [];
  const owned: tf.Tensor[] = [];
  try {
    const logits = members.map((m, i) => memberGraph(m, normalized, `member${i + 1}_`, assign, owned));
    let output: tfl.SymbolicTensor;
    const single = logits.length === 1;
    if (options.combine === 'mean') {
      const probabilities = logits.map((l, i) => tfl.layers.activation({ name: `member${i + 1}_softmax`, activation: 'softmax' }).apply(l) as tfl.SymbolicTensor);
      output = single ? probabilities[0]! : (tfl.layers.average({ name: 'ensemble_mean' }).apply(probabilities) as tfl.SymbolicTensor);
    } else {
      const meanLogits = single ? logits[0]! : (tfl.layers.average({ name: 'mean_logits' }).apply(logits) as tfl.SymbolicTensor);
      output = tfl.layers.activation({ name: 'ensemble_softmax', activation: 'softmax' }).apply(meanLogits) as tfl.SymbolicTensor;
    }
    const model = tfl.model({ name: options.name ?? `ensemble_of_${members.length}`, inputs: input, outputs: output });
    for (const { layer, weights } of assign) layer.setWeights(weights);
    return model;
  } finally {
    tf.dispose(owned);
  }
}
