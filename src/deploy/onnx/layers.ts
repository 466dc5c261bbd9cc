import type * as tf from '@tensorflow/tfjs-core';
import type { BatchNormalizationFields } from '../../models/batchNorm.js';
import type { Layer } from '../../models/foldedInference.js';
import { UserError } from '../../util/errors.js';
import { attr, type GraphBuilder, type Value } from './graph.js';
import { AttributeType, type AttributeObject } from './protobuf.js';

/**
 * One converter per TF.js layer class: the layer's inference computation as ONNX nodes. Image values are held
 * channels first between convolutions and pools (GraphBuilder.channelsFirst); every converter says which order it
 * returns. A layer with no converter, or with a setting none of them handles, is a one-line UserError naming it.
 */

/** What a converter gets: the graph, the name prefix of the member, and the layer's input values. */
export interface LayerInput {
  g: GraphBuilder;
  /** The node name for this layer (member prefix + layer name). */
  name: string;
  inputs: Value[];
}

type Converter = (layer: Layer, x: LayerInput) => Value;

type Pair = [number, number];
const pair = (v: number | readonly number[]): Pair => (typeof v === 'number' ? [v, v] : [v[0]!, v[1] ?? v[0]!]);

/** The first input of a layer that takes one. */
const only = (x: LayerInput): Value => x.inputs[0]!;

/** The layer's output shape without the batch axis (null for sizes known only at run time). */
export function outputShape(layer: Layer): (number | null)[] {
  const shape = layer.outputShape as (number | null)[];
  if (Array.isArray(shape[0])) throw unsupported(layer, 'several outputs');
  return shape.slice(1);
}

/** The one-line error for a layer or setting the exporter does not convert. */
export function unsupported(layer: Layer, what?: string): UserError {
  const detail = what === undefined ? '' : ` with ${what}`;
  return new UserError(
    `export --format onnx: layer '${layer.name}' (${layer.getClassName()}${detail}) is not supported; the ONNX exporter converts ${SUPPORTED_LAYERS.join(', ')}`,
  );
}

function stringAttr(name: string, value: string): AttributeObject {
  return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
}

/** A float32 copy of a weight's values. */
const values = (t: tf.Tensor): Float32Array => Float32Array.from(t.dataSync() as Float32Array);

/** TF's 'same' padding along one axis: the total is split with the odd pixel at the end (ONNX SAME_UPPER). */
export function samePads(size: number, kernel: number, stride: number, dilation: number): Pair {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** kernel_shape, strides, dilations and pads of a convolution or pool on a channels-first value. */
function windowAttributes(layer: Layer, x: Value, kernel: Pair, strides: Pair, padding: string, dilations: Pair | null): AttributeObject[] {
  const attributes = [attr.ints('kernel_shape', kernel), attr.ints('strides', strides)];
  if (dilations !== null) attributes.push(attr.ints('dilations', dilations));
  if (padding === 'same') {
    const [h, w] = x.shape;
    const d = dilations ?? [1, 1];
    if (h === null || w === null || h === undefined || w === undefined) attributes.push(stringAttr('auto_pad', 'SAME_UPPER'));
    else {
      const [top, bottom] = samePads(h, kernel[0], strides[0], d[0]);
      const [left, right] = samePads(w, kernel[1], strides[1], d[1]);
      attributes.push(attr.ints('pads', [top, left, bottom, right]));
    }
  } else if (padding !== 'valid') throw unsupported(layer, `padding '${padding}'`);
  return attributes;
}

/** A TF.js filter H x W x I x O as ONNX's O x I x H x W. */
export function hwioToOihw(kernel: Float32Array, [kh, kw, ci, co]: readonly number[]): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let y = 0; y < kh!; y++)
    for (let x = 0; x < kw!; x++)
      for (let i = 0; i < ci!; i++)
        for (let o = 0; o < co!; o++) out[((o * ci! + i) * kh! + y) * kw! + x] = kernel[((y * kw! + x) * ci! + i) * co! + o]!;
  return out;
}

/** A depthwise filter H x W x C x M as the grouped ONNX filter (C M) x 1 x H x W, output channel c M + m. */
function depthwiseToOihw(kernel: Float32Array, [kh, kw, c, m]: readonly number[]): Float32Array {
  return hwioToOihw(kernel, [kh!, kw!, 1, c! * m!]);
}

interface ConvSettings {
  strides: number | number[];
  padding: string;
  dilationRate: number | number[];
  dataFormat?: string;
}

function checkChannelsLast(layer: Layer, config: { dataFormat?: string }): void {
  if (config.dataFormat !== undefined && config.dataFormat !== 'channelsLast') throw unsupported(layer, `dataFormat '${config.dataFormat}'`);
}

/** An ONNX Conv of a TF.js filter (H x W x I x O, or depthwise H x W x C x M) and optional bias; channels first out. */
export function convNode(
  g: GraphBuilder,
  layer: Layer,
  name: string,
  x: Value,
  filter: { values: Float32Array; shape: readonly number[]; depthwise: boolean },
  bias: Float32Array | null,
  settings: ConvSettings,
): Value {
  checkChannelsLast(layer, settings);
  const input = g.channelsFirst(x);
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const outChannels = filter.depthwise ? ci * co : co;
  const weight = filter.depthwise
    ? g.weight(`${name}_weight`, depthwiseToOihw(filter.values, filter.shape), [outChannels, 1, kh, kw])
    : g.weight(`${name}_weight`, hwioToOihw(filter.values, filter.shape), [co, ci, kh, kw]);
  const inputs = [input.name, weight];
  if (bias !== null) inputs.push(g.floats(`${name}_bias`, bias, [bias.length]));
  const dilations = pair(settings.dilationRate);
  const attributes = windowAttributes(layer, input, [kh, kw], pair(settings.strides), settings.padding, dilations[0] === 1 && dilations[1] === 1 ? null : dilations);
  if (filter.depthwise) attributes.push(attr.int('group', ci));
  return { name: g.node('Conv', inputs, name, attributes), shape: outputShape(layer), channelsFirst: true };
}

/** Softmax over TF's `axis` (negative from the end, counting the batch axis). */
function softmaxNode(g: GraphBuilder, name: string, x: Value, axis: number): Value {
  const v = g.channelsLast(x);
  const rank = v.shape.length + 1;
  const a = axis < 0 ? rank + axis : axis;
  return { name: g.node('Softmax', [v.name], name, [attr.int('axis', a)]), shape: v.shape, channelsFirst: false };
}

/** ONNX nodes for a TF.js activation function by its serialised name. */
export function activationNode(g: GraphBuilder, layer: Layer, name: string, x: Value, activation: string): Value {
  const unary = (op: string, input = x.name, out = name, attributes: AttributeObject[] = []) => g.node(op, [input], out, attributes);
  const same = (node: string): Value => ({ ...x, name: node });
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return same(unary('Relu'));
    case 'relu6':
      return same(g.node('Clip', [x.name, g.floats(`${name}_min`, [0], []), g.floats(`${name}_max`, [6], [])], name));
    case 'sigmoid':
      return same(unary('Sigmoid'));
    case 'tanh':
      return same(unary('Tanh'));
    case 'softplus':
      return same(unary('Softplus'));
    case 'softsign':
      return same(unary('Softsign'));
    case 'elu':
      return same(unary('Elu', x.name, name, [attr.float('alpha', 1)]));
    case 'selu':
      return same(unary('Selu'));
    case 'hardSigmoid':
      // TF.js: clip(0.2 x + 0.5, 0, 1)
      return same(unary('HardSigmoid', x.name, name, [attr.float('alpha', 0.2), attr.float('beta', 0.5)]));
    case 'swish':
      return same(g.node('Mul', [x.name, unary('Sigmoid', x.name, `${name}_sigmoid`)], name));
    case 'mish':
      return same(g.node('Mul', [x.name, unary('Tanh', unary('Softplus', x.name, `${name}_softplus`), `${name}_tanh`)], name));
    case 'softmax':
      return softmaxNode(g, name, x, -1);
    case 'logSoftmax': {
      const v = g.channelsLast(x);
      return { name: g.node('LogSoftmax', [v.name], name, [attr.int('axis', -1)]), shape: v.shape, channelsFirst: false };
    }
    default:
      throw unsupported(layer, `activation '${activation}'`);
  }
}

/** A layer's own activation (Conv2D, Dense...) after its main node. */
function withActivation(g: GraphBuilder, layer: Layer, name: string, y: Value): Value {
  const activation = (layer.getConfig() as { activation?: string }).activation ?? 'linear';
  return activationNode(g, layer, `${name}_${activation}`, y, activation);
}

const dropoutLike: Converter = (_layer, x) => only(x);

const conv2d: Converter = (layer, x) => {
  const config = layer.getConfig() as unknown as ConvSettings & { useBias: boolean; groups?: number };
  if ((config.groups ?? 1) !== 1) throw unsupported(layer, `groups ${config.groups}`);
  const [kernel, bias] = layer.getWeights();
  const y = convNode(x.g, layer, x.name, only(x), { values: values(kernel!), shape: kernel!.shape, depthwise: false }, config.useBias ? values(bias!) : null, config);
  return withActivation(x.g, layer, x.name, y);
};

const depthwiseConv2d: Converter = (layer, x) => {
  const config = layer.getConfig() as unknown as ConvSettings & { useBias: boolean };
  const [kernel, bias] = layer.getWeights();
  const y = convNode(x.g, layer, x.name, only(x), { values: values(kernel!), shape: kernel!.shape, depthwise: true }, config.useBias ? values(bias!) : null, config);
  return withActivation(x.g, layer, x.name, y);
};

const separableConv2d: Converter = (layer, x) => {
  const config = layer.getConfig() as unknown as ConvSettings & { useBias: boolean };
  const [depthwise, pointwise, bias] = layer.getWeights();
  const [kh, kw, c, m] = depthwise!.shape as number[];
  // The depthwise step alone, with the layer's strides and padding; its output shape is the layer's spatial size.
  const spatial = outputShape(layer);
  const first = convNode(x.g, layer, `${x.name}_depthwise`, only(x), { values: values(depthwise!), shape: [kh!, kw!, c!, m!], depthwise: true }, null, config);
  const mid: Value = { ...first, shape: [spatial[0]!, spatial[1]!, c! * m!] };
  const y = convNode(x.g, layer, x.name, mid, { values: values(pointwise!), shape: pointwise!.shape, depthwise: false }, config.useBias ? values(bias!) : null, {
    strides: 1,
    padding: 'valid',
    dilationRate: 1,
  });
  return withActivation(x.g, layer, x.name, y);
};

const dense: Converter = (layer, x) => {
  const config = layer.getConfig() as { useBias: boolean };
  const [kernel, bias] = layer.getWeights();
  const [units] = kernel!.shape.slice(-1);
  const v = x.g.channelsLast(only(x));
  const w = x.g.weight(`${x.name}_weight`, values(kernel!), kernel!.shape);
  const b = config.useBias ? x.g.floats(`${x.name}_bias`, values(bias!), [units!]) : null;
  let y: string;
  if (v.shape.length === 1) y = x.g.node('Gemm', b === null ? [v.name, w] : [v.name, w, b], x.name);
  else {
    // Dense on a higher-rank value acts on its last axis.
    const product = x.g.node('MatMul', [v.name, w], b === null ? x.name : `${x.name}_matmul`);
    y = b === null ? product : x.g.node('Add', [product, b], x.name);
  }
  return withActivation(x.g, layer, x.name, { name: y, shape: outputShape(layer), channelsFirst: false });
};

/** Batch norm in inference mode over the last (channel) axis: ONNX BatchNormalization, channel axis 1. */
const batchNorm: Converter = (layer, x) => {
  const f = layer as unknown as BatchNormalizationFields;
  const v = only(x);
  const rank = v.shape.length + 1;
  if (!(f.axis === -1 || f.axis === rank - 1)) throw unsupported(layer, `axis ${f.axis}`);
  if (rank !== 2 && rank !== 4) throw unsupported(layer, `an input of rank ${rank}`);
  const input = rank === 4 ? x.g.channelsFirst(v) : v;
  const mean = values(f.movingMean.read());
  const c = mean.length;
  const inputs = [
    input.name,
    x.g.floats(`${x.name}_scale`, f.scale ? values(f.gamma.read()) : new Float32Array(c).fill(1), [c]),
    x.g.floats(`${x.name}_offset`, f.center ? values(f.beta.read()) : new Float32Array(c), [c]),
    x.g.floats(`${x.name}_mean`, mean, [c]),
    x.g.floats(`${x.name}_variance`, values(f.movingVariance.read()), [c]),
  ];
  return { name: x.g.node('BatchNormalization', inputs, x.name, [attr.float('epsilon', f.epsilon)]), shape: v.shape, channelsFirst: input.channelsFirst };
};

const activation: Converter = (layer, x) => activationNode(x.g, layer, x.name, only(x), (layer.getConfig() as { activation: string }).activation);

const relu: Converter = (layer, x) => {
  const { maxValue } = layer.getConfig() as { maxValue?: number | null };
  const v = only(x);
  if (maxValue === null || maxValue === undefined) return { ...v, name: x.g.node('Relu', [v.name], x.name) };
  return { ...v, name: x.g.node('Clip', [v.name, x.g.floats(`${x.name}_min`, [0], []), x.g.floats(`${x.name}_max`, [maxValue], [])], x.name) };
};

const leakyRelu: Converter = (layer, x) => {
  const { alpha } = layer.getConfig() as { alpha?: number };
  const v = only(x);
  return { ...v, name: x.g.node('LeakyRelu', [v.name], x.name, [attr.float('alpha', alpha ?? 0.3)]) };
};

const elu: Converter = (layer, x) => {
  const { alpha } = layer.getConfig() as { alpha?: number };
  const v = only(x);
  return { ...v, name: x.g.node('Elu', [v.name], x.name, [attr.float('alpha', alpha ?? 1)]) };
};

const softmaxLayer: Converter = (layer, x) => {
  const { axis } = layer.getConfig() as { axis?: number | number[] };
  if (Array.isArray(axis) && axis.length !== 1) throw unsupported(layer, `axes [${axis.join(', ')}]`);
  return softmaxNode(x.g, x.name, only(x), Array.isArray(axis) ? axis[0]! : (axis ?? 1));
};

function pool(op: 'MaxPool' | 'AveragePool'): Converter {
  return (layer, x) => {
    const config = layer.getConfig() as { poolSize: number | number[]; strides?: number | number[] | null; padding: string; dataFormat?: string };
    checkChannelsLast(layer, config);
    const input = x.g.channelsFirst(only(x));
    const size = pair(config.poolSize);
    const strides = config.strides === null || config.strides === undefined ? size : pair(config.strides);
    return { name: x.g.node(op, [input.name], x.name, windowAttributes(layer, input, size, strides, config.padding, null)), shape: outputShape(layer), channelsFirst: true };
  };
}

function globalPool(op: 'GlobalAveragePool' | 'GlobalMaxPool'): Converter {
  return (layer, x) => {
    const config = layer.getConfig() as { dataFormat?: string; keepDims?: boolean };
    checkChannelsLast(layer, config);
    if (config.keepDims === true) throw unsupported(layer, 'keepDims');
    const input = x.g.channelsFirst(only(x));
    const pooled = x.g.node(op, [input.name], `${x.name}_pool`);
    // N x C x 1 x 1 -> N x C
    return { name: x.g.node('Flatten', [pooled], x.name, [attr.int('axis', 1)]), shape: outputShape(layer), channelsFirst: false };
  };
}

const flatten: Converter = (layer, x) => {
  const v = x.g.channelsLast(only(x));
  return { name: x.g.node('Flatten', [v.name], x.name, [attr.int('axis', 1)]), shape: outputShape(layer), channelsFirst: false };
};

const reshape: Converter = (layer, x) => {
  const { targetShape } = layer.getConfig() as { targetShape: number[] };
  const v = x.g.channelsLast(only(x));
  // 0 keeps the batch size; -1 is inferred, as in TF.js.
  const shape = x.g.int64s(`${x.name}_shape`, [0, ...targetShape.map((d) => (d === null ? -1 : d))]);
  return { name: x.g.node('Reshape', [v.name, shape], x.name), shape: outputShape(layer), channelsFirst: false };
};

const rescaling: Converter = (layer, x) => {
  const { scale, offset } = layer.getConfig() as { scale: number; offset: number };
  const v = only(x);
  const scaled = x.g.node('Mul', [v.name, x.g.floats(`${x.name}_scale`, [scale], [])], `${x.name}_scaled`);
  return { ...v, name: x.g.node('Add', [scaled, x.g.floats(`${x.name}_offset`, [offset], [])], x.name) };
};

const zeroPadding2d: Converter = (layer, x) => {
  const config = layer.getConfig() as { padding: number | [number, number] | [[number, number], [number, number]]; dataFormat?: string };
  checkChannelsLast(layer, config);
  const p = config.padding;
  const side = (v: number | readonly number[]): Pair => (typeof v === 'number' ? [v, v] : [v[0]!, v[1]!]);
  const [[top, bottom], [left, right]] = typeof p === 'number' ? [side(p), side(p)] : [side(p[0]), side(p[1])];
  const input = x.g.channelsFirst(only(x));
  const pads = x.g.int64s(`${x.name}_pads`, [0, 0, top, left, 0, 0, bottom, right]);
  return { name: x.g.node('Pad', [input.name, pads], x.name), shape: outputShape(layer), channelsFirst: true };
};

/** The inputs of a merge layer in one order: channels first when all are images and one already is. */
function aligned(x: LayerInput): Value[] {
  const images = x.inputs.every((v) => v.shape.length === 3);
  const first = images && x.inputs.some((v) => v.channelsFirst);
  return x.inputs.map((v) => (first ? x.g.channelsFirst(v) : x.g.channelsLast(v)));
}

/** Add, Multiply, Maximum, Minimum, Average: one variadic ONNX node (Sum, Mean...) or a chain of binary ones. */
function merge(op: 'Sum' | 'Mean' | 'Max' | 'Min' | 'Mul'): Converter {
  return (layer, x) => {
    const inputs = aligned(x);
    const shape = outputShape(layer);
    const channelsFirst = inputs[0]!.channelsFirst;
    if (op !== 'Mul') return { name: x.g.node(op, inputs.map((v) => v.name), x.name), shape, channelsFirst };
    let product = inputs[0]!.name;
    for (let i = 1; i < inputs.length; i++) product = x.g.node('Mul', [product, inputs[i]!.name], i === inputs.length - 1 ? x.name : `${x.name}_${i}`);
    return { name: product, shape, channelsFirst };
  };
}

const concatenate: Converter = (layer, x) => {
  const { axis } = layer.getConfig() as { axis?: number };
  const inputs = aligned(x);
  const rank = inputs[0]!.shape.length + 1;
  const tfAxis = (axis ?? -1) < 0 ? rank + (axis ?? -1) : axis!;
  // TF's H, W, C (axes 1, 2, 3) are axes 2, 3, 1 channels first.
  const onnxAxis = inputs[0]!.channelsFirst ? [0, 2, 3, 1][tfAxis]! : tfAxis;
  return { name: x.g.node('Concat', inputs.map((v) => v.name), x.name, [attr.int('axis', onnxAxis)]), shape: outputShape(layer), channelsFirst: inputs[0]!.channelsFirst };
};

const CONVERTERS: Record<string, Converter> = {
  Conv2D: conv2d,
  DepthwiseConv2D: depthwiseConv2d,
  SeparableConv2D: separableConv2d,
  Dense: dense,
  BatchNormalization: batchNorm,
  Activation: activation,
  ReLU: relu,
  LeakyReLU: leakyRelu,
  ELU: elu,
  Softmax: softmaxLayer,
  MaxPooling2D: pool('MaxPool'),
  AveragePooling2D: pool('AveragePool'),
  GlobalAveragePooling2D: globalPool('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPool('GlobalMaxPool'),
  Flatten: flatten,
  Reshape: reshape,
  Rescaling: rescaling,
  ZeroPadding2D: zeroPadding2d,
  Add: merge('Sum'),
  Average: merge('Mean'),
  Maximum: merge('Max'),
  Minimum: merge('Min'),
  Multiply: merge('Mul'),
  Concatenate: concatenate,
  // the identity in inference
  Dropout: dropoutLike,
  SpatialDropout1D: dropoutLike,
  GaussianNoise: dropoutLike,
  GaussianDropout: dropoutLike,
  AlphaDropout: dropoutLike,
};

/** The TF.js layer classes the exporter converts (and InputLayer). */
export const SUPPORTED_LAYERS: readonly string[] = Object.keys(CONVERTERS);

/** The converter for a layer, or a UserError naming it. */
export function converterFor(layer: Layer): Converter {
  const converter = CONVERTERS[layer.getClassName()];
  if (converter === undefined) throw unsupported(layer);
  return converter;
}
