import type * as tfl from '@tensorflow/tfjs-layers';
import type { BatchNormalizationFields } from './batchNorm.js';
import { SteppedDropout } from './dropout.js';
import type { TrainingGraph, TrainingNode } from '../backend/programGraph.js';
import { isSimpleGraph, producers, type ConvConfig, type Layer } from './layerGraph.js';

const pair = (v: number | number[] | undefined, fallback: number): [number, number] =>
  v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : [v[0] ?? fallback, v[1] ?? v[0] ?? fallback];

function isReluLayer(layer: Layer, config: Record<string, unknown>): boolean {
  const name = layer.getClassName();
  return (name === 'ReLU' && config['maxValue'] == null) || (name === 'Activation' && config['activation'] === 'relu');
}

/** linear -> false, relu -> true, anything else -> null (not compiled). */
function activationOf(config: Record<string, unknown>): boolean | null {
  const a = config['activation'] ?? 'linear';
  return a === 'linear' ? false : a === 'relu' ? true : null;
}

type NodeBody = TrainingNode extends infer T ? (T extends unknown ? Omit<T, 'name' | 'inputs' | 'shape'> : never) : never;
type Described = NodeBody | string;

/** One layer as a node, or why it cannot be one. */
function describe(layer: Layer, inputs: number): Described {
  const name = layer.getClassName();
  const config = layer.getConfig() as Record<string, unknown>;
  const regularized = ['kernelRegularizer', 'biasRegularizer', 'activityRegularizer', 'gammaRegularizer', 'betaRegularizer', 'kernelConstraint', 'biasConstraint', 'gammaConstraint', 'betaConstraint'].some(
    (k) => config[k] != null,
  );
  if (regularized) return `${layer.name}: a regulariser or constraint`;
  if ((config['dataFormat'] ?? 'channelsLast') !== 'channelsLast') return `${layer.name}: channels-first data`;
  const one = inputs === 1;
  switch (name) {
    case 'Conv2D': {
      const c = config as unknown as ConvConfig;
      const relu = activationOf(config);
      const dilation = pair(c.dilationRate, 1);
      if (!one || relu === null || dilation[0] !== 1 || dilation[1] !== 1) return `${layer.name}: a Conv2D with dilation or an activation other than linear and relu`;
      const f = layer as unknown as { kernel: tfl.LayerVariable; bias: tfl.LayerVariable | null };
      return { kind: 'conv', kernel: f.kernel, bias: c.useBias ? f.bias : null, strides: pair(c.strides, 1), padding: c.padding, relu };
    }
    case 'BatchNormalization': {
      const f = layer as unknown as BatchNormalizationFields;
      const rank = (layer.outputShape as number[]).length;
      if (!one || !f.center || !f.scale || !(f.axis === -1 || f.axis === rank - 1) || rank < 2) return `${layer.name}: a batch norm not over the last axis, or without scale and offset`;
      return { kind: 'batchNorm', gamma: f.gamma, beta: f.beta, movingMean: f.movingMean, movingVariance: f.movingVariance, epsilon: f.epsilon, momentum: f.momentum };
    }
    case 'ReLU':
    case 'Activation':
      return one && isReluLayer(layer, config) ? { kind: 'relu' } : `${layer.name}: an activation other than relu`;
    case 'Add':
      return inputs >= 2 ? { kind: 'add' } : `${layer.name}: an Add of one input`;
    case 'Concatenate': {
      const rank = (layer.outputShape as number[]).length;
      const axis = config['axis'] as number;
      return inputs >= 2 && (axis === -1 || axis === rank - 1) ? { kind: 'concat' } : `${layer.name}: a concatenation not along the last axis`;
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const poolSize = pair(config['poolSize'] as number | number[], 2);
      const strides = pair((config['strides'] as number | number[] | null) ?? poolSize, 1);
      return one ? { kind: 'pool', max: name === 'MaxPooling2D', poolSize, strides, padding: config['padding'] as 'same' | 'valid' } : `${layer.name}: several inputs`;
    }
    case 'GlobalAveragePooling2D':
      return one ? { kind: 'globalAveragePool' } : `${layer.name}: several inputs`;
    case 'Flatten':
      return one ? { kind: 'flatten' } : `${layer.name}: several inputs`;
    case 'Dense': {
      const relu = activationOf(config);
      const f = layer as unknown as { kernel: tfl.LayerVariable; bias: tfl.LayerVariable | null };
      const rank = (layer.outputShape as number[]).length;
      if (!one || relu === null || rank !== 2) return `${layer.name}: a Dense layer on more than one axis or with an activation other than linear and relu`;
      return { kind: 'dense', kernel: f.kernel, bias: config['useBias'] === false ? null : f.bias, relu };
    }
    case 'Dropout': {
      const rate = config['rate'] as number;
      if (!one || config['noiseShape'] != null) return `${layer.name}: a Dropout with a noise shape`;
      const seed = layer instanceof SteppedDropout ? () => layer.trainingSeed() : () => (layer as unknown as { seed?: number }).seed;
      return { kind: 'dropout', rate, seed };
    }
    default:
      return `${layer.name}: a ${name} layer`;
  }
}

/**
 * The training graph of a model, or why it has none (a one-line reason): one input, one output, every layer applied
 * once, trainable (for `inference`, frozen layers too), of a kind listed in TrainingNode.
 */
export function trainingGraph(model: tfl.LayersModel, purpose: 'training' | 'inference' = 'training'): TrainingGraph | string {
  if (!isSimpleGraph(model)) return 'a model with several inputs or outputs, or a layer applied more than once';
  const index = new Map<string, number>();
  const nodes: TrainingNode[] = [];
  const input = model.inputLayers[0]!;
  for (const layer of model.layers) {
    if (purpose === 'training' && !layer.trainable && layer.weights.length > 0) return `${layer.name}: a frozen layer`;
    const shape = (layer.outputShape as (number | null)[]).slice(1);
    if (shape.some((d) => d === null || d < 1)) return `${layer.name}: an output of unknown size`;
    if (layer === input) {
      if (nodes.length > 0) return 'the input layer is not first';
      index.set(layer.name, 0);
      nodes.push({ name: layer.name, kind: 'input', inputs: [], shape: shape as number[] });
      continue;
    }
    const from = producers(layer).map((p) => index.get(p.name));
    if (from.some((i) => i === undefined)) return `${layer.name}: an input from outside the model`;
    const node = describe(layer, from.length);
    if (typeof node === 'string') return node;
    index.set(layer.name, nodes.length);
    nodes.push({ ...node, name: layer.name, inputs: from as number[], shape: shape as number[] } as TrainingNode);
  }
  if (nodes[0]?.kind !== 'input') return 'no input layer';
  const output = index.get(model.outputLayers[0]!.name);
  if (output !== nodes.length - 1) return 'the output layer is not last';
  return { nodes, trainable: model.trainableWeights };
}
